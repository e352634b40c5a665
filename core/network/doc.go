// Package network is chatwire's transport layer: one WebSocket connection
// behind a small interface, a gorilla/websocket implementation of it, and a
// ConnectionManager that keeps a logical connection alive on top.
//
// # The seam
//
// WebSocketClient is one connection and nothing more: Connect, Send (a
// text frame, returning once it was written), Ping, a Frames channel, Done
// and Err (why it ended, as a *CloseError with the close code and reason),
// and an idempotent Close. It never reconnects. Implementations swap
// freely: GorillaClient here, the in-memory client of core/network/memory
// for unit tests, and any other that passes the conformance suite in
// core/network/networktest. Failures are typed: *DialError for a refused
// upgrade (HTTP 401 matches ErrUnauthorized), *CloseError for the end of a
// connection (4001 matches ErrUnauthorized, 1009 and 4009 match
// ErrFrameTooLarge), and ErrClosed once it has ended.
//
// # The gorilla client
//
// GorillaClient runs exactly one reader and one writer goroutine per
// connection. Sends and pings wait in a bounded queue for the writer; a
// Send whose ctx ends while its frame is still queued is guaranteed not to
// be written. The reader delivers every frame as a fresh slice, enforces
// the read limit (default 1 MiB; an oversized frame closes the connection
// with 1009), and lets gorilla answer pings and close frames. Close sends a
// close frame, waits (bounded) for the peer's answer and for both
// goroutines. An idle connection holds a small read buffer and borrows
// write buffers from a shared pool; see GorillaOptions for timeouts, TLS,
// proxy and buffer sizes.
//
// # The manager
//
// ConnectionManager wraps any WebSocketClient (through a factory, one
// client per attempt): it builds the URL and headers per attempt from an
// Endpoint (so every reconnect carries a fresh token), sends heartbeats and
// declares a silent connection dead, reconnects with jittered exponential
// backoff, keeps frames sent while offline in a bounded outbox, and offers
// streams of frames, states and errors that survive reconnects. Every timer
// runs on an injectable clock.Clock.
package network
