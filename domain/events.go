package domain

import "time"

// Event is any entity that travels on a typed stream and is kept in the
// data source's history: Message, TypingIndicator, UserStatusUpdate,
// ConversationUpdate, ReadReceipt, CallEvent and RawFrame.
type Event interface {
	// EventType is the wire type the event arrived as ("chat.message"...).
	EventType() string
}

// TypingIndicator says a user started or stopped typing in a conversation.
type TypingIndicator struct {
	ConversationID string
	UserID         string
	IsTyping       bool
	ReceivedAt     time.Time
}

// PresenceStatus is a user's availability.
type PresenceStatus string

const (
	StatusOnline  PresenceStatus = "online"
	StatusAway    PresenceStatus = "away"
	StatusOffline PresenceStatus = "offline"
)

// UserStatusUpdate is a change of a user's presence.
type UserStatusUpdate struct {
	UserID   string
	Status   PresenceStatus
	LastSeen time.Time // zero when the server did not say
}

// ConversationAction says what happened to a conversation.
type ConversationAction string

const (
	ConversationCreated       ConversationAction = "created"
	ConversationUpdated       ConversationAction = "updated"
	ConversationDeleted       ConversationAction = "deleted"
	ConversationMemberAdded   ConversationAction = "member_added"
	ConversationMemberRemoved ConversationAction = "member_removed"
)

// ConversationUpdate is a change to a conversation. Only ConversationID and
// Action are always present; nil or zero fields were not sent.
type ConversationUpdate struct {
	ConversationID string
	Action         ConversationAction
	Title          string
	ParticipantIDs []string
	LastMessage    *Message
	UnreadCount    *int
	UpdatedAt      time.Time
	Seq            int64
}

// ReadReceipt says a user has read a conversation up to and including MessageID.
type ReadReceipt struct {
	ConversationID string
	UserID         string
	MessageID      string
	ReadAt         time.Time
	Seq            int64
}

// RawFrame is one inbound frame exactly as received, typed or not.
type RawFrame struct {
	Type       string // the frame's type or event name; empty if unreadable
	Seq        int64
	Data       []byte // the whole frame; do not modify
	ReceivedAt time.Time
}

func (Message) EventType() string            { return "chat.message" }
func (TypingIndicator) EventType() string    { return "typing.indicator" }
func (UserStatusUpdate) EventType() string   { return "user.status" }
func (ConversationUpdate) EventType() string { return "conversation.update" }
func (ReadReceipt) EventType() string        { return "message.read" }
func (e CallEvent) EventType() string        { return "call." + string(e.Kind) }
func (f RawFrame) EventType() string         { return f.Type }
