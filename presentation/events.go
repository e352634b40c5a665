package presentation

import (
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/internal/fanout"
)

// MessageEventKind is what happened to a message.
type MessageEventKind int

const (
	// MessageAdded: a message arrived, or this user sent one (as sending).
	MessageAdded MessageEventKind = iota + 1
	// MessageStatusChanged: sending became sent or failed, sent became
	// read, or failed became sending again (Retry). Previous says from what.
	MessageStatusChanged
	// MessageUpdated: the server's copy replaced one with other content.
	MessageUpdated
	// MessageRemoved: the message left the list (it fell out of the window).
	MessageRemoved
)

func (k MessageEventKind) String() string {
	switch k {
	case MessageAdded:
		return "added"
	case MessageStatusChanged:
		return "status changed"
	case MessageUpdated:
		return "updated"
	case MessageRemoved:
		return "removed"
	}
	return "unknown"
}

// MessageEvent is one change of the messages notifier.
type MessageEvent struct {
	Kind MessageEventKind
	// Message is the message after the change (before it, for removed).
	Message Message
	// Previous is the status before a MessageStatusChanged.
	Previous MessageStatus
}

// ConversationEventKind is what happened to a conversation.
type ConversationEventKind int

const (
	// ConversationAdded: the conversation entered the list.
	ConversationAdded ConversationEventKind = iota + 1
	// ConversationUpdated: its title, members, preview or unread count
	// changed.
	ConversationUpdated
	// ConversationRemoved: it was deleted, or this user left it.
	ConversationRemoved
)

func (k ConversationEventKind) String() string {
	switch k {
	case ConversationAdded:
		return "added"
	case ConversationUpdated:
		return "updated"
	case ConversationRemoved:
		return "removed"
	}
	return "unknown"
}

// ConversationEvent is one change of the conversations notifier.
type ConversationEvent struct {
	Kind ConversationEventKind
	// Conversation is the conversation after the change (before it, for
	// removed).
	Conversation Conversation
	// Previous is the conversation before a ConversationUpdated.
	Previous Conversation
}

// TypingEventKind says whether someone started or stopped typing.
type TypingEventKind int

const (
	// TypingStarted: the user is now shown typing.
	TypingStarted TypingEventKind = iota + 1
	// TypingStopped: the user no longer is ("stopped", their message
	// came, or the indicator expired).
	TypingStopped
)

func (k TypingEventKind) String() string {
	switch k {
	case TypingStarted:
		return "started typing"
	case TypingStopped:
		return "stopped typing"
	}
	return "unknown"
}

// TypingEvent is one change of the typing notifier: "bob started typing in
// c1".
type TypingEvent struct {
	Kind           TypingEventKind
	ConversationID string
	UserID         string
}

// PresenceEvent is one change of the presence notifier: a user's status or
// last-seen time changed.
type PresenceEvent struct {
	UserID   string
	Presence UserPresence
	// Previous is the presence before; Known is false when the user was
	// not known before.
	Previous UserPresence
	Known    bool
}

// CallPhaseEvent is one change of the call notifier: a new call, or the
// current one moved on ("incoming call", "call ended").
type CallPhaseEvent struct {
	Call Call
	// Previous is the phase before, for the same call; CallIdle for a
	// new call.
	Previous CallPhase
}

// ConnectionEventKind is what changed about the connection.
type ConnectionEventKind int

const (
	// ConnectionStatusChanged: the status changed (Previous says from what).
	ConnectionStatusChanged ConnectionEventKind = iota + 1
	// ConnectionError: an error was reported (Connection.Err).
	ConnectionError
	// ConnectionSyncChanged: the catch-up status changed (Connection.Sync).
	ConnectionSyncChanged
	// ConnectionResynced: a notifier was cut off from a stream and
	// followed it again (Connection.Resync).
	ConnectionResynced
)

func (k ConnectionEventKind) String() string {
	switch k {
	case ConnectionStatusChanged:
		return "status changed"
	case ConnectionError:
		return "error"
	case ConnectionSyncChanged:
		return "sync changed"
	case ConnectionResynced:
		return "resynced"
	}
	return "unknown"
}

// ConnectionEvent is one change of the connection notifier. One snapshot
// change may make several events (a drop changes the status and reports an
// error), in the order of the kinds above.
type ConnectionEvent struct {
	Kind       ConnectionEventKind
	Connection Connection
	// Previous is the status before a ConnectionStatusChanged.
	Previous domain.ConnectionStatus
}

// newEvents returns a notifier's event fan-out.
func newEvents[E any](clock domain.Clock) *fanout.Fanout[E] {
	return fanout.New[E](fanout.Options{Clock: clock})
}
