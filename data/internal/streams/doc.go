// Package streams is the typed-stream hub shared by the data sources of
// chatwire (the envelope protocol in package data and the Pusher-backed one
// in data/laravel): the nine fan-out streams of domain.ChatWebSocketDataSource,
// the bounded event history, asynchronous error reporting, and the mapping
// of core errors onto domain sentinels.
//
// A data source owns one Hub. Its pump routes decoded events with Publish,
// frames with PublishRaw, state changes with PublishState and failures with
// Report; its subscribe methods and History delegate to the Hub; its Close
// calls Hub.Close last, after its own goroutines have stopped.
//
// Every stream fans out through a stream.Broadcaster with the Evict policy:
// a subscriber that falls a full buffer behind has its channel closed and
// domain.ErrSlowConsumer is reported on Errors as a *domain.Error of class
// domain.ClassSubscription, so no value is dropped silently. The Errors
// stream itself cannot report on itself: an Errors subscriber that falls
// behind just sees its channel close.
//
// The package is internal: applications see only the data sources.
package streams
