package domain

import "context"

//go:generate go tool mockgen -typed -destination=../mocks/domainmock/datasource.go -package=domainmock . ChatWebSocketDataSource

// ChatWebSocketDataSource is a real-time chat session: it connects, sends,
// and delivers what the server pushes as typed streams. The envelope
// protocol and the Pusher protocol each have an implementation in data/.
//
// Streams: each call returns a new subscription that receives every event
// from then on; the channel closes when ctx ends or the source closes.
// Delivery is lossless: when a subscriber's buffer is full the source waits
// for it (and the socket waits for the source), so a subscriber that keeps
// reading never misses an event. Only a subscriber that takes nothing for
// a bound in time is cut off (its channel closes) and ErrSlowConsumer is
// reported on Errors.
//
// Concurrency: every method is safe for concurrent use. After Close returns
// nothing more is sent on any stream.
type ChatWebSocketDataSource interface {
	// Connect opens the session with accessToken and waits until it is
	// connected, has failed, or ctx ends. An empty accessToken makes the
	// data source ask its configured token source for this first token
	// too, so an app gives its TokenSource once, to the data source. Later
	// reconnects ask the token source for a fresh token.
	Connect(ctx context.Context, accessToken string) error
	// Close ends the session, waits for its goroutines and closes every
	// stream. Idempotent.
	Close() error

	// SendMessage sends a message and returns it as the server confirmed it
	// (its echo). While offline the message waits in a bounded outbox.
	SendMessage(ctx context.Context, draft MessageDraft) (Message, error)
	// SendTyping reports typing; it is never queued while offline.
	SendTyping(ctx context.Context, conversationID string, isTyping bool) error
	// MarkRead marks a conversation read up to and including messageID.
	MarkRead(ctx context.Context, conversationID, messageID string) error
	// SendCallSignal sends a call action or WebRTC signalling payload.
	SendCallSignal(ctx context.Context, signal CallSignal) error

	Messages(ctx context.Context) <-chan Message
	Typing(ctx context.Context) <-chan TypingIndicator
	UserStatuses(ctx context.Context) <-chan UserStatusUpdate
	ConversationUpdates(ctx context.Context) <-chan ConversationUpdate
	ReadReceipts(ctx context.Context) <-chan ReadReceipt
	Calls(ctx context.Context) <-chan CallEvent
	// RawMessages carries every inbound frame, typed or not.
	RawMessages(ctx context.Context) <-chan RawFrame
	ConnectionStates(ctx context.Context) <-chan ConnectionState
	// Errors carries asynchronous failures as *Error.
	Errors(ctx context.Context) <-chan error

	// ConnectionState returns the latest connection state.
	ConnectionState() ConnectionState
	// History returns the most recent typed events (up to 100), oldest first.
	History() []Event
}
