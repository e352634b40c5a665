// Package chatwire is a Go SDK for holding a real-time chat connection over
// WebSocket: messages, typing, presence, conversation updates, read
// receipts and call signalling arrive as typed Go values, and the
// connection survives networks that drop, stall and come back, without
// losing or duplicating a message. This package holds no code: it is the
// map. Start here:
//
//  1. A data source is one chat session behind the port
//     domain.ChatWebSocketDataSource. data.New speaks the chat envelope
//     protocol (docs/protocol.md); data/laravel.New speaks the Pusher
//     Channels protocol (Laravel Reverb, Soketi, Pusher; docs/pusher.md).
//     Give it your token source once, in its options.
//  2. A user interface subscribes to notifiers: presentation.NewNotifiers
//     builds them all over one data source (connection, messages,
//     conversations, typing, presence, calls). Each has Value (the latest
//     snapshot), Changes (snapshots) and Events (typed changes: "message
//     added", "bob started typing"...). Start connects.
//  3. Tests: data/chattest is the reference server, on loopback or in
//     memory (chattest.Server.Transport: no sockets); domain/domaintest is
//     a fake data source that the test drives (push any event, answer
//     sends); mocks/domainmock is the generated gomock mock of the port.
//
// The package's Example (example_test.go; go test -run Example .) is the
// whole wiring of an app: a data source, the notifiers, and a render loop.
// Layers and guarantees: docs/architecture.md.
// The command chatwire (cmd/chatwire) runs a demo, the reference server and
// an interactive client.
package chatwire
