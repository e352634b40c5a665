// Package domain holds chatwire's entities, the ChatWebSocketDataSource port
// and its errors. It imports nothing of chatwire's and nothing about
// sockets or wire frames (of JSON only json.Valid, to check that a call
// signal's payload is JSON): the data layer maps wire frames onto these
// types, and the presentation layer consumes them.
package domain
