package chattest

import (
	"encoding/json"
	"strconv"
	"time"
)

// Frame types of the chat envelope protocol.
const (
	TypeSessionReady       = "session.ready"
	TypeChatMessage        = "chat.message"
	TypeTypingIndicator    = "typing.indicator"
	TypeUserStatus         = "user.status"
	TypeConversationUpdate = "conversation.update"
	TypeMessageRead        = "message.read"
	TypeCallIncoming       = "call.incoming"
	TypeCallAccepted       = "call.accepted"
	TypeCallRejected       = "call.rejected"
	TypeCallCancelled      = "call.cancelled"
	TypeCallEnded          = "call.ended"
	TypeCallOffer          = "call.offer"
	TypeCallAnswer         = "call.answer"
	TypeCallICECandidate   = "call.ice_candidate"
	TypePong               = "pong"
	TypeSyncDone           = "sync.done"
	TypeError              = "error"

	// Client to server only.
	TypePing       = "ping"
	TypeSync       = "sync"
	TypeCallInvite = "call.invite"
	TypeCallAccept = "call.accept"
	TypeCallReject = "call.reject"
	TypeCallCancel = "call.cancel"
	TypeCallEnd    = "call.end"
)

// Error codes carried by error frames.
const (
	CodeBadFrame       = "bad_frame"
	CodeUnknownType    = "unknown_type"
	CodeInvalidPayload = "invalid_payload"
	CodeNotFound       = "not_found"
	CodeForbidden      = "forbidden"
	CodeConflict       = "conflict"
	CodeInvalidState   = "invalid_state"
)

// Close codes the server sends on its own (CloseAll sends any code).
const (
	CloseGoingAway     = 1001 // sent to every connection by Server.Close
	ClosePolicy        = 4008 // the connection's send queue overflowed
	CloseFrameTooLarge = 4009 // an inbound frame was over MaxFrameBytes
)

// Frame is the envelope of every frame: {"type", "seq", "payload"}. Tests
// decode server frames into it, then decode Payload by Type.
type Frame struct {
	Type    string          `json:"type"`
	Seq     int64           `json:"seq,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Message is a stored chat message; it is also the chat.message payload the
// server sends (and the last_message of a conversation.update).
type Message struct {
	ID             string       `json:"id"`
	ClientID       string       `json:"client_id,omitempty"`
	ConversationID string       `json:"conversation_id"`
	SenderID       string       `json:"sender_id"`
	Content        string       `json:"content"`
	Kind           string       `json:"kind"`
	CreatedAt      time.Time    `json:"created_at"`
	ReplyTo        string       `json:"reply_to,omitempty"`
	Attachments    []Attachment `json:"attachments,omitempty"`
}

// Attachment is a file referenced by a message.
type Attachment struct {
	URL  string `json:"url"`
	Name string `json:"name"`
	MIME string `json:"mime"`
	Size int64  `json:"size"`
}

// Server to client payloads other than Message.

type sessionReadyPayload struct {
	UserID              string `json:"user_id"`
	SessionID           string `json:"session_id"`
	HeartbeatIntervalMS int64  `json:"heartbeat_interval_ms"`
	MaxFrameBytes       int    `json:"max_frame_bytes"`
	LastSeq             int64  `json:"last_seq"`
	Epoch               string `json:"epoch"`
}

type typingPayload struct {
	ConversationID string `json:"conversation_id"`
	UserID         string `json:"user_id"`
	IsTyping       bool   `json:"is_typing"`
}

type userStatusPayload struct {
	UserID   string     `json:"user_id"`
	Status   string     `json:"status"`
	LastSeen *time.Time `json:"last_seen,omitempty"`
}

type conversationUpdatePayload struct {
	ConversationID string    `json:"conversation_id"`
	Action         string    `json:"action"`
	Title          string    `json:"title,omitempty"`
	ParticipantIDs []string  `json:"participant_ids,omitempty"`
	LastMessage    *Message  `json:"last_message,omitempty"`
	UnreadCount    *int      `json:"unread_count,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
}

type messageReadPayload struct {
	ConversationID string    `json:"conversation_id"`
	UserID         string    `json:"user_id"`
	MessageID      string    `json:"message_id"`
	ReadAt         time.Time `json:"read_at"`
}

type callIncomingPayload struct {
	CallID         string    `json:"call_id"`
	ConversationID string    `json:"conversation_id"`
	CallerID       string    `json:"caller_id"`
	CalleeIDs      []string  `json:"callee_ids"`
	Media          string    `json:"media"`
	CreatedAt      time.Time `json:"created_at"`
}

type callResponsePayload struct {
	CallID string `json:"call_id"`
	UserID string `json:"user_id"`
	Reason string `json:"reason,omitempty"`
}

type callEndedPayload struct {
	CallID     string `json:"call_id"`
	EndedBy    string `json:"ended_by"`
	Reason     string `json:"reason"`
	DurationMS int64  `json:"duration_ms"`
}

type syncDonePayload struct {
	Replayed int  `json:"replayed"`
	Complete bool `json:"complete"`
}

type errorPayload struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Ref     string `json:"ref,omitempty"`
}

// Client to server payloads.

type inChatMessage struct {
	ClientID       string       `json:"client_id"`
	ConversationID string       `json:"conversation_id"`
	Content        string       `json:"content"`
	Kind           string       `json:"kind"`
	ReplyTo        string       `json:"reply_to"`
	Attachments    []Attachment `json:"attachments"`
}

type inTyping struct {
	ConversationID string `json:"conversation_id"`
	IsTyping       bool   `json:"is_typing"`
}

type inMessageRead struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
}

type inCall struct {
	CallID         string          `json:"call_id"`
	ConversationID string          `json:"conversation_id"`
	CalleeIDs      []string        `json:"callee_ids"`
	Media          string          `json:"media"`
	Reason         string          `json:"reason"`
	To             string          `json:"to"`
	SDP            json.RawMessage `json:"sdp"`
	Candidate      json.RawMessage `json:"candidate"`
}

type inSync struct {
	Since *int64  `json:"since"`
	Epoch *string `json:"epoch"`
}

// frame builds {"type":typ,"seq":seq,"payload":payload} without touching
// payload's bytes (json.Marshal would compact a raw sdp). typ is one of the
// constants above, which need no escaping; seq 0 is left out.
func frame(typ string, seq int64, payload []byte) []byte {
	b := make([]byte, 0, len(typ)+len(payload)+40)
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, '"')
	if seq > 0 {
		b = append(b, `,"seq":`...)
		b = strconv.AppendInt(b, seq, 10)
	}
	b = append(b, `,"payload":`...)
	b = append(b, payload...)
	return append(b, '}')
}

// mustJSON marshals a payload built from the types above, which cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("chattest: marshal payload: " + err.Error())
	}
	return b
}

// withRaw appends "key":raw to the JSON object obj, verbatim.
func withRaw(obj []byte, key string, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return obj
	}
	out := make([]byte, 0, len(obj)+len(key)+len(raw)+4)
	out = append(out, obj[:len(obj)-1]...)
	out = append(out, `,"`...)
	out = append(out, key...)
	out = append(out, `":`...)
	out = append(out, raw...)
	return append(out, '}')
}
