// Package data holds chatwire's data sources: implementations of
// domain.ChatWebSocketDataSource over a wire protocol.
//
// This package speaks the chat envelope protocol (docs/protocol.md):
// New wires a gorilla WebSocketClient under a network.ConnectionManager
// under a ChatWebSocketDataSource that decodes each frame once, off the
// socket reader, and routes it into typed streams. On top of the manager's
// reconnects it gives delivery guarantees: a message's UUID client_id makes
// resends harmless, the echo acknowledges SendMessage, written but
// unacknowledged messages are resent in order after a reconnect, and a sync
// from the highest seq processed replays what was missed, merged with live
// frames and de-duplicated, so each event reaches a consumer once.
//
// Sub-packages: data/laravel is the data source for Pusher-protocol
// backends (Laravel Reverb, Soketi, Pusher); data/chattest is the
// reference server of the envelope protocol, for tests and development.
package data
