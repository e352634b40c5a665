// Package wsconn is the machinery every chatwire WebSocket client shares,
// written once: the connection's life (dial, open, close, end), the bounded
// write queue drained by one writer goroutine, the reader's delivery of
// frames and its end-of-connection bookkeeping, ping/pong matching and the
// option defaults.
//
// A client (the gorilla one in core/network, coderws, memory) keeps a Conn
// in its struct and supplies what differs: how to dial, how to read, and a
// Transport that writes frames on its socket. It owns the error values
// through Errors, because this package cannot import core/network.
//
// The contract a client gets from Conn:
//
//   - Send returns nil once the frame was written. If its ctx ends before
//     the writer took the frame, the frame is never written and Send
//     returns ctx's error; once the writer took it, Send waits for that
//     write. A request moves from pending to writing or cancelled exactly
//     once, by compare-and-swap.
//   - Frames is closed before Done; Done is closed after both goroutines
//     stopped; Err is set once, by the first cause, and reported only once
//     Done is closed.
//   - Close is idempotent, may be called from any goroutine, and after Wait
//     returns no frame is sent on Frames and no goroutine is left.
package wsconn
