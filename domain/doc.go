// Package domain holds chatwire's entities, the ChatWebSocketDataSource port
// and its errors. It imports nothing of chatwire's and nothing about JSON or
// sockets: the data layer maps wire frames onto these types, and the
// presentation layer consumes them.
package domain
