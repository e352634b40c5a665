// Package streams is the typed-stream hub shared by the data sources of
// chatwire (the envelope protocol in package data and the Pusher-backed one
// in data/laravel): the nine fan-out streams of domain.ChatWebSocketDataSource,
// the bounded event history, asynchronous error reporting, and the mapping
// of core errors onto domain sentinels.
//
// A data source owns one Hub. The goroutine that routes its frames (the
// connection manager's loop for data.New, the pusher.Client's routing
// goroutine for data/laravel) publishes decoded events with Publish,
// frames with PublishRaw and state changes with PublishState; failures go
// to Report from whichever goroutine finds them. Its subscribe methods and
// History delegate to the Hub; its Close calls Hub.StopWaiting first and
// Hub.Close last, after those goroutines have stopped.
//
// Every stream is lossless for a subscriber that keeps reading: it fans out
// through a stream.Broadcaster with the Block policy, so a publish waits
// while a subscriber's buffer is full. The goroutine publishing is then
// held back, so is the socket reader feeding it, and TCP flow control
// slows the server: a burst costs time, not events,
// and no buffer grows with it. Only a subscriber that takes nothing for
// Options.StallTimeout (10 s by default) while a publish waits on it is
// cut off: its channel closes after what it buffered and
// domain.ErrSlowConsumer is reported on Errors as a *domain.Error of class
// domain.ClassSubscription. The Errors stream cannot report on itself: an
// Errors subscriber that stalls just sees its channel close.
//
// Nothing is allocated up front: a subscriber's channel (DefaultBuffer
// slots) is made when it subscribes and the history grows as events come.
//
// The package is internal: applications see only the data sources.
package streams
