package domain

import "time"

// MessageKind says what a message carries.
type MessageKind string

const (
	KindText   MessageKind = "text"
	KindImage  MessageKind = "image"
	KindFile   MessageKind = "file"
	KindSystem MessageKind = "system"
)

// Attachment is a file referenced by a message.
type Attachment struct {
	URL  string
	Name string
	MIME string
	Size int64
}

// Message is a chat message as the server stored it.
type Message struct {
	ID             string
	ClientID       string // set by the sending SDK; matches the echo to its send
	ConversationID string
	SenderID       string
	Content        string
	Kind           MessageKind
	CreatedAt      time.Time
	ReplyTo        string // id of the message this replies to, if any
	Attachments    []Attachment
	Seq            int64 // the server's replay sequence; 0 when not known
}

// MessageDraft is a message to send. Kind defaults to KindText; ClientID is
// generated when empty (set it to make an application-level retry idempotent).
type MessageDraft struct {
	ConversationID string
	Content        string
	Kind           MessageKind
	ReplyTo        string
	Attachments    []Attachment
	ClientID       string
}
