// Package peer is the peer-comparison harness of chatwire: flood and
// latency servers for the chat envelope protocol, the Pusher Channels
// protocol and Centrifuge, and the client side that measures one client
// library in its own process (CPU per message from the process's rusage,
// allocations, latency), so that separate processes compare SDKs fairly.
//
// Every client receives the same chat message: the 347-byte chat.message
// envelope of docs/benchmarks.md, whose payload object (the part Pusher
// and Centrifuge carry) is the same bytes. The content holds the server's
// write time in Unix nanoseconds, so a receiver computes the one-way
// latency on the shared clock of one machine.
//
// cmd/peerserver serves all protocols; cmd/peerclient runs one Go client;
// pusherjs/ holds the pusher-js client; cmd/peerbench runs interleaved
// rounds of every client and writes benchstat input. See
// docs/benchmarks.md.
package peer
