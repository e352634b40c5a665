package pusher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Protocol event names.
const (
	EventConnectionEstablished = "pusher:connection_established"
	EventError                 = "pusher:error"
	EventPing                  = "pusher:ping"
	EventPong                  = "pusher:pong"
	EventSubscribe             = "pusher:subscribe"
	EventUnsubscribe           = "pusher:unsubscribe"
	EventSubscriptionError     = "pusher:subscription_error"
	EventSubscriptionSucceeded = "pusher_internal:subscription_succeeded"
	EventMemberAdded           = "pusher_internal:member_added"
	EventMemberRemoved         = "pusher_internal:member_removed"
	// EventSubscriptionCount is Pusher's count of a channel's subscribers
	// (when the app enables it); the Client passes it on to the channel's
	// Events as EventSubscriptionCountChanged.
	EventSubscriptionCount = "pusher_internal:subscription_count"
	// EventSubscriptionCountChanged is the channel event that carries a
	// new subscription count ({"subscription_count": n}).
	EventSubscriptionCountChanged = "pusher:subscription_count"
	// EventCacheMiss: a cache channel had no event cached when it was
	// subscribed (otherwise the server sends the last event at once).
	EventCacheMiss = "pusher:cache_miss"
	// EventSignin asks the server to authenticate the user; see
	// Client.Signin.
	EventSignin = "pusher:signin"
	// EventSigninSuccess is the server's answer to a valid pusher:signin.
	EventSigninSuccess = "pusher:signin_success"
)

// Frame is one protocol message as it travels on the wire.
type Frame struct {
	Event   string `json:"event"`
	Channel string `json:"channel,omitempty"`
	// Data is the frame's data as sent: servers send a JSON string holding
	// JSON (double-encoded), some send an object. Use Payload for the
	// decoded form.
	Data json.RawMessage `json:"data,omitempty"`
	// UserID is set by the server on client events on presence channels.
	UserID string `json:"user_id,omitempty"`
	// Raw is the frame as received (nil for a frame built to be sent). It
	// is shared by every subscriber: never modify it.
	Raw []byte `json:"-"`
	// Encrypted marks an event on a private-encrypted- channel as the
	// Client delivers it: Data then holds the decrypted data (JSON), or nil
	// when it could not be decrypted (reported on Errors). Raw keeps the
	// ciphertext as received.
	Encrypted bool `json:"-"`
	// MemberEvents is what the frame changed in its presence channel's
	// member list, as Channel.MemberEvents reports it: a grace period
	// (Options.PresenceGrace) makes a member_removed change nothing at
	// first, for example. Nil when it changed nothing.
	MemberEvents []MemberEvent `json:"-"`
	// Synthetic marks a frame the Client made rather than received (Raw is
	// nil): a pusher_internal:member_removed for a member whose grace
	// period ended.
	Synthetic bool `json:"-"`
}

// Payload returns the frame's data with one level of string encoding
// removed: for "data":"{\"a\":1}" it returns {"a":1}. A string that does not
// hold JSON is returned as the JSON string it is; an object or other value
// as is; no data as nil.
func (f Frame) Payload() json.RawMessage { return unwrapData(f.Data) }

// EncodeFrame marshals f for sending. Data must be valid JSON or empty
// (empty is sent as {}).
func EncodeFrame(f Frame) ([]byte, error) {
	if f.Event == "" {
		return nil, errors.New("pusher: frame without event name")
	}
	if len(f.Data) == 0 {
		f.Data = json.RawMessage("{}")
	} else if !json.Valid(f.Data) {
		return nil, errors.New("pusher: frame data is not valid json")
	}
	return json.Marshal(f)
}

// ErrMalformed is matched by every *DecodeError.
var ErrMalformed = errors.New("pusher: malformed frame")

// DecodeError is an inbound frame or frame data that could not be decoded.
// The session goes on.
type DecodeError struct {
	Event string // the frame's event, if it could be read
	Err   error
}

func (e *DecodeError) Error() string {
	if e.Event == "" {
		return fmt.Sprintf("pusher: malformed frame: %v", e.Err)
	}
	return fmt.Sprintf("pusher: malformed %s frame: %v", e.Event, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Is matches ErrMalformed.
func (e *DecodeError) Is(target error) bool { return target == ErrMalformed }

// unwrapData removes one level of string encoding if the string holds JSON.
func unwrapData(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	if raw[0] != '"' {
		return raw
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return raw
	}
	inner := bytes.TrimSpace([]byte(s))
	if len(inner) > 0 && json.Valid(inner) {
		return json.RawMessage(inner)
	}
	return raw
}

// decodeData unmarshals a frame's data, string-encoded or not, into v.
func decodeData(f Frame, v any) error {
	p := f.Payload()
	if len(p) == 0 {
		return &DecodeError{Event: f.Event, Err: errors.New("no data")}
	}
	if err := json.Unmarshal(p, v); err != nil {
		return &DecodeError{Event: f.Event, Err: err}
	}
	return nil
}

// flexID reads an id sent as a JSON string or number; absent or null is "".
func flexID(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", errors.New("not a string or number")
	}
	return n.String(), nil
}

// connectionEstablished is the data of pusher:connection_established.
type connectionEstablished struct {
	SocketID        string `json:"socket_id"`
	ActivityTimeout int    `json:"activity_timeout"`
}

// errorData is the data of pusher:error; code may be null.
type errorData struct {
	Code    *int   `json:"code"`
	Message string `json:"message"`
}

// subscriptionErrorData is the data of pusher:subscription_error (Soketi:
// {"type":"AuthError","error":"...","status":401}); some servers send a
// bare string.
type subscriptionErrorData struct {
	Type   string `json:"type"`
	Error  string `json:"error"`
	Status int    `json:"status"`
}

// decodeProtocolError reads a pusher:error frame's data.
func decodeProtocolError(f Frame) (*ProtocolError, error) {
	var d errorData
	if err := decodeData(f, &d); err != nil {
		return nil, err
	}
	pe := &ProtocolError{Message: redact(d.Message)}
	if d.Code != nil {
		pe.Code = *d.Code
	}
	return pe, nil
}

// subscribeData is the data of pusher:subscribe.
type subscribeData struct {
	Channel     string `json:"channel"`
	Auth        string `json:"auth,omitempty"`
	ChannelData string `json:"channel_data,omitempty"`
}

func encodeSubscribe(channel string, a Auth) []byte {
	d, _ := json.Marshal(subscribeData{Channel: channel, Auth: a.Auth, ChannelData: a.ChannelData})
	b, _ := EncodeFrame(Frame{Event: EventSubscribe, Data: d})
	return b
}

func encodeUnsubscribe(channel string) []byte {
	d, _ := json.Marshal(subscribeData{Channel: channel})
	b, _ := EncodeFrame(Frame{Event: EventUnsubscribe, Data: d})
	return b
}

// Fixed frames.
var (
	pingFrame = []byte(`{"event":"pusher:ping","data":{}}`)
	pongFrame = []byte(`{"event":"pusher:pong","data":{}}`)
)

// PingFrame returns the heartbeat frame {"event":"pusher:ping","data":{}}.
func PingFrame() []byte { return append([]byte(nil), pingFrame...) }
