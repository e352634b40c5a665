// Package networktest holds the conformance suite every
// network.WebSocketClient implementation must pass, and the scripted
// servers it runs against.
//
// RunConformance takes a Harness: a way to make a fresh client and a way to
// start a scripted Server whose connections (ServerConn) the test drives
// frame by frame. NewLoopbackServer is such a server over real sockets on
// loopback (an httptest server with gorilla/websocket on the server side);
// an in-memory host can be adapted the same way (see core/network/memory).
// The suite assumes nothing about the client's implementation.
//
// Every case runs as a subtest, ends with a goroutine leak check
// (go.uber.org/goleak) and bounds its waits, so a broken implementation
// fails instead of hanging.
package networktest
