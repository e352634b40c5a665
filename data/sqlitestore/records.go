package sqlitestore

import (
	"math"
	"time"

	"github.com/chatwire/chatwire/domain"
)

// The records are the JSON the store writes: their field names are the
// file format, independent of the domain types' Go names. A nil slice and
// an empty one stay apart, as do a nil count and zero.

type attachmentRecord struct {
	URL  string `json:"url"`
	Name string `json:"name"`
	MIME string `json:"mime"`
	Size int64  `json:"size"`
}

type messageRecord struct {
	ID             string             `json:"id"`
	ClientID       string             `json:"client_id"`
	ConversationID string             `json:"conversation_id"`
	SenderID       string             `json:"sender_id"`
	Content        string             `json:"content"`
	Kind           string             `json:"kind"`
	CreatedAt      time.Time          `json:"created_at"`
	ReplyTo        string             `json:"reply_to"`
	Attachments    []attachmentRecord `json:"attachments"`
	Seq            int64              `json:"seq"`
}

type draftRecord struct {
	ConversationID string             `json:"conversation_id"`
	Content        string             `json:"content"`
	Kind           string             `json:"kind"`
	ReplyTo        string             `json:"reply_to"`
	Attachments    []attachmentRecord `json:"attachments"`
	ClientID       string             `json:"client_id"`
}

type conversationRecord struct {
	ConversationID string         `json:"conversation_id"`
	Action         string         `json:"action"`
	Title          string         `json:"title"`
	ParticipantIDs []string       `json:"participant_ids"`
	LastMessage    *messageRecord `json:"last_message"`
	UnreadCount    *int           `json:"unread_count"`
	UpdatedAt      time.Time      `json:"updated_at"`
	Seq            int64          `json:"seq"`
}

func toAttachments(as []domain.Attachment) []attachmentRecord {
	if as == nil {
		return nil
	}
	out := make([]attachmentRecord, len(as))
	for i, a := range as {
		out[i] = attachmentRecord(a)
	}
	return out
}

func fromAttachments(as []attachmentRecord) []domain.Attachment {
	if as == nil {
		return nil
	}
	out := make([]domain.Attachment, len(as))
	for i, a := range as {
		out[i] = domain.Attachment(a)
	}
	return out
}

func toMessage(m domain.Message) messageRecord {
	return messageRecord{ID: m.ID, ClientID: m.ClientID, ConversationID: m.ConversationID, SenderID: m.SenderID,
		Content: m.Content, Kind: string(m.Kind), CreatedAt: m.CreatedAt, ReplyTo: m.ReplyTo,
		Attachments: toAttachments(m.Attachments), Seq: m.Seq}
}

func (r messageRecord) domain() domain.Message {
	return domain.Message{ID: r.ID, ClientID: r.ClientID, ConversationID: r.ConversationID, SenderID: r.SenderID,
		Content: r.Content, Kind: domain.MessageKind(r.Kind), CreatedAt: r.CreatedAt, ReplyTo: r.ReplyTo,
		Attachments: fromAttachments(r.Attachments), Seq: r.Seq}
}

func toDraft(d domain.MessageDraft) draftRecord {
	return draftRecord{ConversationID: d.ConversationID, Content: d.Content, Kind: string(d.Kind), ReplyTo: d.ReplyTo,
		Attachments: toAttachments(d.Attachments), ClientID: d.ClientID}
}

func (r draftRecord) domain() domain.MessageDraft {
	return domain.MessageDraft{ConversationID: r.ConversationID, Content: r.Content, Kind: domain.MessageKind(r.Kind),
		ReplyTo: r.ReplyTo, Attachments: fromAttachments(r.Attachments), ClientID: r.ClientID}
}

func toConversation(c domain.ConversationUpdate) conversationRecord {
	r := conversationRecord{ConversationID: c.ConversationID, Action: string(c.Action), Title: c.Title,
		ParticipantIDs: c.ParticipantIDs, UnreadCount: c.UnreadCount, UpdatedAt: c.UpdatedAt, Seq: c.Seq}
	if c.LastMessage != nil {
		m := toMessage(*c.LastMessage)
		r.LastMessage = &m
	}
	return r
}

func (r conversationRecord) domain() domain.ConversationUpdate {
	c := domain.ConversationUpdate{ConversationID: r.ConversationID, Action: domain.ConversationAction(r.Action),
		Title: r.Title, ParticipantIDs: r.ParticipantIDs, UnreadCount: r.UnreadCount, UpdatedAt: r.UpdatedAt, Seq: r.Seq}
	if r.LastMessage != nil {
		m := r.LastMessage.domain()
		c.LastMessage = &m
	}
	return c
}

// orderKey is a time as the messages' order column holds it: unix ns,
// saturated, the zero time first.
func orderKey(t time.Time) int64 {
	switch {
	case t.IsZero():
		return math.MinInt64
	case t.Before(time.Unix(0, math.MinInt64+1)):
		return math.MinInt64 + 1
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}
