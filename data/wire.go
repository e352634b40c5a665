package data

import (
	"encoding/json"
	"time"
)

// Frame types of the chat envelope protocol (docs/protocol.md).
const (
	typeSessionReady       = "session.ready"
	typeChatMessage        = "chat.message"
	typeTyping             = "typing.indicator"
	typeUserStatus         = "user.status"
	typeConversationUpdate = "conversation.update"
	typeMessageRead        = "message.read"
	typePing               = "ping"
	typePong               = "pong"
	typeSync               = "sync"
	typeSyncDone           = "sync.done"
	typeError              = "error"
	callTypePrefix         = "call."
)

// envelope is every frame: {"type": T, "seq": N, "payload": {...}}.
type envelope struct {
	Type    frameType       `json:"type"`
	Seq     int64           `json:"seq,omitempty"`
	Payload json.RawMessage `json:"payload"`
}

// frameType is a frame's type; decoding one of the protocol's own types
// yields its constant instead of a new string.
type frameType string

// UnmarshalJSON follows encoding/json for a string: null leaves t alone,
// anything but a string is an error.
func (t *frameType) UnmarshalJSON(b []byte) error {
	if len(b) > 1 && b[0] == '"' && b[len(b)-1] == '"' {
		if k, ok := knownType(b[1 : len(b)-1]); ok {
			*t = frameType(k)
			return nil
		}
	}
	return json.Unmarshal(b, (*string)(t))
}

// knownType returns the constant for a type's unquoted bytes.
func knownType(b []byte) (string, bool) {
	switch string(b) {
	case typeChatMessage:
		return typeChatMessage, true
	case typeTyping:
		return typeTyping, true
	case typeUserStatus:
		return typeUserStatus, true
	case typeConversationUpdate:
		return typeConversationUpdate, true
	case typeMessageRead:
		return typeMessageRead, true
	case typePong:
		return typePong, true
	case typeSessionReady:
		return typeSessionReady, true
	case typeSyncDone:
		return typeSyncDone, true
	case typeError:
		return typeError, true
	}
	return "", false
}

// outbound is a client frame; Payload is one of the *Out structs below.
type outbound struct {
	Type    string `json:"type"`
	Payload any    `json:"payload"`
}

type wireAttachment struct {
	URL  string `json:"url"`
	Name string `json:"name,omitempty"`
	MIME string `json:"mime,omitempty"`
	Size int64  `json:"size,omitempty"`
}

type wireMessage struct {
	ID             string           `json:"id"`
	ClientID       string           `json:"client_id,omitempty"`
	ConversationID string           `json:"conversation_id"`
	SenderID       string           `json:"sender_id"`
	Content        string           `json:"content"`
	Kind           string           `json:"kind,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
	ReplyTo        string           `json:"reply_to,omitempty"`
	Attachments    []wireAttachment `json:"attachments,omitempty"`
}

type wireSessionReady struct {
	UserID              string `json:"user_id"`
	SessionID           string `json:"session_id"`
	HeartbeatIntervalMS int64  `json:"heartbeat_interval_ms,omitempty"`
	MaxFrameBytes       int64  `json:"max_frame_bytes,omitempty"`
	LastSeq             int64  `json:"last_seq"`
	Epoch               string `json:"epoch,omitempty"`
}

type wireTyping struct {
	ConversationID string `json:"conversation_id"`
	UserID         string `json:"user_id,omitempty"`
	IsTyping       bool   `json:"is_typing"`
}

type wireUserStatus struct {
	UserID   string     `json:"user_id"`
	Status   string     `json:"status"`
	LastSeen *time.Time `json:"last_seen,omitempty"`
}

type wireConversationUpdate struct {
	ConversationID string       `json:"conversation_id"`
	Action         string       `json:"action"`
	Title          string       `json:"title,omitempty"`
	ParticipantIDs []string     `json:"participant_ids,omitempty"`
	LastMessage    *wireMessage `json:"last_message,omitempty"`
	UnreadCount    *int         `json:"unread_count,omitempty"`
	UpdatedAt      *time.Time   `json:"updated_at,omitempty"`
}

type wireRead struct {
	ConversationID string     `json:"conversation_id"`
	UserID         string     `json:"user_id,omitempty"`
	MessageID      string     `json:"message_id"`
	ReadAt         *time.Time `json:"read_at,omitempty"`
}

// wireCall is the payload of every call.* frame, inbound and outbound.
type wireCall struct {
	CallID         string          `json:"call_id"`
	ConversationID string          `json:"conversation_id,omitempty"`
	CallerID       string          `json:"caller_id,omitempty"`
	CalleeIDs      []string        `json:"callee_ids,omitempty"`
	Media          string          `json:"media,omitempty"`
	UserID         string          `json:"user_id,omitempty"`
	Reason         string          `json:"reason,omitempty"`
	EndedBy        string          `json:"ended_by,omitempty"`
	DurationMS     int64           `json:"duration_ms,omitempty"`
	From           string          `json:"from,omitempty"`
	To             string          `json:"to,omitempty"`
	SDP            json.RawMessage `json:"sdp,omitempty"`
	Candidate      json.RawMessage `json:"candidate,omitempty"`
	CreatedAt      *time.Time      `json:"created_at,omitempty"`
}

type wireSyncDone struct {
	Replayed int  `json:"replayed"`
	Complete bool `json:"complete"`
}

type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Ref     string `json:"ref,omitempty"`
}

type wireSync struct {
	Since int64  `json:"since"`
	Epoch string `json:"epoch,omitempty"`
}

type wireReadOut struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
}
