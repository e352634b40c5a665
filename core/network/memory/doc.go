// Package memory is an in-memory WebSocket transport for fast tests: a
// Server that accepts dials from Clients in the same process, and a Client
// that implements network.WebSocketClient with the same contract as the
// gorilla client (it passes the same conformance suite, see
// core/network/networktest), without sockets.
//
// Each direction of a connection buffers up to 64 KiB of frames, like a
// socket buffer: a write completes once its frame is buffered, and a side
// that stops reading holds the writer back once the buffer is full. A server reads only in
// ServerConn.ReadFrame and ServerConn.Close: a script that stops calling
// them is a server that stalls (pings go unanswered), and ServerConn.Drop
// is a dropped TCP connection (1006 at the client).
//
// Use it where a test needs a WebSocketClient but not a network, for
// example under a ConnectionManager:
//
//	srv := memory.NewServer(memory.ServerOptions{Handler: serve})
//	defer srv.Close()
//	newClient := func() network.WebSocketClient { return memory.NewClient(srv, memory.Options{}) }
package memory
