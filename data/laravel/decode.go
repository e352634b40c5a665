package laravel

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chatwire/chatwire/domain"
)

// Payload shapes. Every decoder accepts its object flat or wrapped in the
// property a Laravel event usually has ({"message": {...}} for a public
// $message, and "data" for API resources); ids may be strings or numbers,
// times RFC 3339 (Carbon's "2024-05-01T10:00:00.000000Z"), "2006-01-02
// 15:04:05" or Unix seconds. Unknown fields are ignored (RawMessages keeps
// them). Where the payload has no conversation id, the conversation
// channel's id is used; where it has no user id, the presence sender.

// DecodeMessage decodes a chat message: wrapped in "message" or "data", or
// flat. Fields: id (required), client_id, conversation_id, sender_id (or
// user_id, or user.id / sender.id), content (or body, or a string
// "message"), kind (or type; default "text"), created_at, reply_to (or
// reply_to_id), attachments [{url, name, mime (or mime_type), size}].
func DecodeMessage(ev Event) (domain.Event, error) {
	f, err := parseFields(ev.Data, "message", "data")
	if err != nil {
		return nil, err
	}
	m, err := messageFrom(&f, ev.ConversationID)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func messageFrom(f *fields, conversationID string) (domain.Message, error) {
	var m domain.Message
	var err error
	if m.ID, err = f.id([]string{"id", "message_id"}); err != nil {
		return m, err
	}
	if m.ID == "" {
		return m, errors.New("message: missing id")
	}
	if m.ClientID, err = f.str("client_id"); err != nil {
		return m, err
	}
	if m.ConversationID, err = f.id([]string{"conversation_id"}, "conversation"); err != nil {
		return m, err
	}
	if m.ConversationID == "" {
		m.ConversationID = conversationID
	}
	if m.ConversationID == "" {
		return m, errors.New("message: missing conversation_id")
	}
	if m.SenderID, err = f.id([]string{"sender_id", "user_id"}, "sender", "user"); err != nil {
		return m, err
	}
	content, ok := f.value("content", "body", "text")
	if !ok {
		if v, isSet := f.value("message"); isSet && f.data[v.valStart] == '"' {
			content, ok = v, true
		}
	}
	if ok {
		if m.Content, err = f.flexString(content); err != nil {
			return m, fmt.Errorf("content: %w", err)
		}
	}
	kind, err := f.str("kind", "type")
	if err != nil {
		return m, err
	}
	m.Kind = domain.MessageKind(kind)
	if m.Kind == "" {
		m.Kind = domain.KindText
	}
	if m.CreatedAt, err = f.time("created_at", "sent_at"); err != nil {
		return m, err
	}
	if m.ReplyTo, err = f.id([]string{"reply_to", "reply_to_id"}); err != nil {
		return m, err
	}
	if v := f.raw("attachments"); v != nil {
		var list []struct {
			URL      string          `json:"url"`
			Name     string          `json:"name"`
			FileName string          `json:"filename"`
			MIME     string          `json:"mime"`
			MIMEType string          `json:"mime_type"`
			Size     json.RawMessage `json:"size"`
		}
		if err := json.Unmarshal(v, &list); err != nil {
			return m, fmt.Errorf("attachments: %w", err)
		}
		for _, a := range list {
			at := domain.Attachment{URL: a.URL, Name: first(a.Name, a.FileName), MIME: first(a.MIME, a.MIMEType)}
			if size, ok, err := attachmentSize(a.Size); err != nil {
				return m, fmt.Errorf("attachments: %w", err)
			} else if ok {
				at.Size = size
			}
			m.Attachments = append(m.Attachments, at)
		}
	}
	return m, nil
}

// DecodeTyping decodes a typing indicator, from a server event or Echo's
// whisper('typing', ...): conversation_id, user_id (or id, or user.id),
// typing (or is_typing; true when absent, as Echo apps often whisper only
// while typing).
func DecodeTyping(ev Event) (domain.Event, error) {
	f, err := parseFields(ev.Data)
	if err != nil {
		return nil, err
	}
	t := domain.TypingIndicator{ReceivedAt: ev.ReceivedAt}
	if t.ConversationID, err = f.id([]string{"conversation_id"}); err != nil {
		return nil, err
	}
	if t.ConversationID == "" {
		t.ConversationID = ev.ConversationID
	}
	if t.UserID, err = f.id([]string{"user_id", "id"}, "user"); err != nil {
		return nil, err
	}
	if t.UserID == "" {
		t.UserID = ev.UserID
	}
	if t.IsTyping, err = f.boolean(true, "typing", "is_typing"); err != nil {
		return nil, err
	}
	if t.ConversationID == "" || t.UserID == "" {
		return nil, errors.New("typing: missing conversation_id or user_id")
	}
	return t, nil
}

// DecodeRead decodes a read receipt: flat or wrapped in "read", "receipt"
// or "data"; conversation_id, user_id (or reader_id, or user.id),
// message_id (or last_read_message_id), read_at (default: when it arrived).
func DecodeRead(ev Event) (domain.Event, error) {
	f, err := parseFields(ev.Data, "read", "receipt", "data")
	if err != nil {
		return nil, err
	}
	var r domain.ReadReceipt
	if r.ConversationID, err = f.id([]string{"conversation_id"}); err != nil {
		return nil, err
	}
	if r.ConversationID == "" {
		r.ConversationID = ev.ConversationID
	}
	if r.UserID, err = f.id([]string{"user_id", "reader_id"}, "user", "reader"); err != nil {
		return nil, err
	}
	if r.UserID == "" {
		r.UserID = ev.UserID
	}
	if r.MessageID, err = f.id([]string{"message_id", "last_read_message_id"}); err != nil {
		return nil, err
	}
	if r.ReadAt, err = f.time("read_at"); err != nil {
		return nil, err
	}
	if r.ReadAt.IsZero() {
		r.ReadAt = ev.ReceivedAt
	}
	if r.ConversationID == "" || r.UserID == "" || r.MessageID == "" {
		return nil, errors.New("read: missing conversation_id, user_id or message_id")
	}
	return r, nil
}

// ConversationDecoder returns a decoder of conversation updates whose
// action is action unless the payload says otherwise ("action"). Payload:
// flat or wrapped in "conversation" or "data"; conversation_id (or id),
// title (or name), participant_ids (or participants: ids or objects with
// an id), last_message (a message object), unread_count, updated_at.
func ConversationDecoder(action domain.ConversationAction) Decoder {
	return func(ev Event) (domain.Event, error) {
		f, err := parseFields(ev.Data, "conversation", "data")
		if err != nil {
			return nil, err
		}
		u := domain.ConversationUpdate{Action: action}
		if u.ConversationID, err = f.id([]string{"conversation_id", "id"}); err != nil {
			return nil, err
		}
		if u.ConversationID == "" {
			u.ConversationID = ev.ConversationID
		}
		if u.ConversationID == "" {
			return nil, errors.New("conversation: missing conversation_id")
		}
		if a, err := f.str("action"); err != nil {
			return nil, err
		} else if a != "" {
			u.Action = domain.ConversationAction(a)
		}
		if u.Title, err = f.str("title", "name"); err != nil {
			return nil, err
		}
		if u.ParticipantIDs, err = f.ids("participant_ids", "participants"); err != nil {
			return nil, err
		}
		if lm, err := parseFields(f.raw("last_message")); err == nil {
			m, err := messageFrom(&lm, u.ConversationID)
			if err != nil {
				return nil, fmt.Errorf("last_message: %w", err)
			}
			u.LastMessage = &m
		}
		if n, ok, err := f.int64("unread_count"); err != nil {
			return nil, err
		} else if ok {
			c := int(n)
			u.UnreadCount = &c
		}
		if u.UpdatedAt, err = f.time("updated_at"); err != nil {
			return nil, err
		}
		return u, nil
	}
}

// CallDecoder returns a decoder of call events of kind. Payload: flat or
// wrapped in "call" or "data"; call_id (or id, required), conversation_id,
// caller_id (or from), callee_ids, media (or type), user_id (default: the
// presence sender, or from), reason, ended_by, duration_ms (or duration in
// seconds), from, to, sdp / candidate / signal (kept as raw JSON),
// created_at.
func CallDecoder(kind domain.CallEventKind) Decoder {
	return func(ev Event) (domain.Event, error) {
		f, err := parseFields(ev.Data, "call", "data")
		if err != nil {
			return nil, err
		}
		c := domain.CallEvent{Kind: kind}
		if c.CallID, err = f.id([]string{"call_id", "id"}); err != nil {
			return nil, err
		}
		if c.CallID == "" {
			return nil, errors.New("call: missing call_id")
		}
		if c.ConversationID, err = f.id([]string{"conversation_id"}); err != nil {
			return nil, err
		}
		if c.ConversationID == "" {
			c.ConversationID = ev.ConversationID
		}
		if c.From, err = f.id([]string{"from"}); err != nil {
			return nil, err
		}
		if c.From == "" {
			c.From = ev.UserID
		}
		if c.To, err = f.id([]string{"to"}); err != nil {
			return nil, err
		}
		if c.CallerID, err = f.id([]string{"caller_id"}, "caller"); err != nil {
			return nil, err
		}
		if c.CalleeIDs, err = f.ids("callee_ids", "callees"); err != nil {
			return nil, err
		}
		media, err := f.str("media", "type")
		if err != nil {
			return nil, err
		}
		c.Media = domain.Media(media)
		if c.UserID, err = f.id([]string{"user_id"}, "user"); err != nil {
			return nil, err
		}
		if c.Reason, err = f.str("reason"); err != nil {
			return nil, err
		}
		if c.EndedBy, err = f.id([]string{"ended_by"}); err != nil {
			return nil, err
		}
		if ms, ok, err := f.int64("duration_ms"); err != nil {
			return nil, err
		} else if ok {
			c.Duration = time.Duration(ms) * time.Millisecond
		} else if s, ok, err := f.int64("duration"); err != nil {
			return nil, err
		} else if ok {
			c.Duration = time.Duration(s) * time.Second
		}
		if sig := f.raw("sdp", "candidate", "signal"); sig != nil {
			c.Signal = append([]byte(nil), sig...)
		}
		if c.CreatedAt, err = f.time("created_at"); err != nil {
			return nil, err
		}
		switch kind {
		case domain.CallIncoming:
			if c.CallerID == "" {
				c.CallerID = c.From
			}
			if c.CreatedAt.IsZero() {
				c.CreatedAt = ev.ReceivedAt
			}
		case domain.CallAccepted, domain.CallRejected, domain.CallCancelled:
			if c.UserID == "" {
				c.UserID = c.From
			}
		case domain.CallEnded:
			if c.EndedBy == "" {
				c.EndedBy = first(c.UserID, c.From)
			}
		}
		return c, nil
	}
}

// DecodeUserStatus decodes a presence change: user_id (or id, or user.id),
// status ("online", "away", "offline"; or a boolean "online"), last_seen
// (or last_seen_at).
func DecodeUserStatus(ev Event) (domain.Event, error) {
	f, err := parseFields(ev.Data, "data")
	if err != nil {
		return nil, err
	}
	var u domain.UserStatusUpdate
	if u.UserID, err = f.id([]string{"user_id", "id"}, "user"); err != nil {
		return nil, err
	}
	status, err := f.str("status")
	if err != nil {
		return nil, err
	}
	if status == "" && f.raw("online") != nil {
		online, err := f.boolean(false, "online")
		if err != nil {
			return nil, err
		}
		status = string(domain.StatusOffline)
		if online {
			status = string(domain.StatusOnline)
		}
	}
	u.Status = domain.PresenceStatus(strings.ToLower(status))
	if u.LastSeen, err = f.time("last_seen", "last_seen_at"); err != nil {
		return nil, err
	}
	if u.UserID == "" || u.Status == "" {
		return nil, errors.New("user status: missing user_id or status")
	}
	return u, nil
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// attachmentSize reads an attachment's size, a number or a numeric string.
func attachmentSize(v json.RawMessage) (int64, bool, error) {
	if len(v) == 0 || string(v) == "null" {
		return 0, false, nil
	}
	s, err := flexString(v)
	if err == nil {
		var n int64
		if n, err = strconv.ParseInt(s, 10, 64); err == nil {
			return n, true, nil
		}
		var x float64
		if x, err = strconv.ParseFloat(s, 64); err == nil {
			return int64(x), true, nil
		}
	}
	return 0, false, fmt.Errorf("size: not a number: %s", v)
}
