package laravel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/domain"
)

// MessageSender stores a message on the backend, which then broadcasts it
// (Pusher clients cannot publish server events). draft.ClientID is always
// set; a backend that stores it and echoes it as client_id makes a retry
// with the same draft harmless. Implementations must be safe for
// concurrent use and honour ctx.
type MessageSender interface {
	SendMessage(ctx context.Context, draft domain.MessageDraft) (domain.Message, error)
}

// MessageSenderFunc adapts a function to MessageSender.
type MessageSenderFunc func(ctx context.Context, draft domain.MessageDraft) (domain.Message, error)

// SendMessage calls f.
func (f MessageSenderFunc) SendMessage(ctx context.Context, d domain.MessageDraft) (domain.Message, error) {
	return f(ctx, d)
}

// ReadMarker records that this user read a conversation up to and
// including messageID; the backend broadcasts the receipt. Implementations
// must be safe for concurrent use and honour ctx.
type ReadMarker interface {
	MarkRead(ctx context.Context, conversationID, messageID string) error
}

// ReadMarkerFunc adapts a function to ReadMarker.
type ReadMarkerFunc func(ctx context.Context, conversationID, messageID string) error

// MarkRead calls f.
func (f ReadMarkerFunc) MarkRead(ctx context.Context, conversationID, messageID string) error {
	return f(ctx, conversationID, messageID)
}

// Default HTTP API paths; "{id}" is the conversation id.
const (
	DefaultMessagesPath = "/api/conversations/{id}/messages"
	DefaultReadPath     = "/api/conversations/{id}/read"
)

// HTTPBackendOptions configure an HTTPBackend. They are copied by
// NewHTTPBackend; zero values take the documented defaults.
type HTTPBackendOptions struct {
	// BaseURL is the Laravel app, such as "https://app.example". Required.
	BaseURL string
	// MessagesPath receives POSTed messages; empty means DefaultMessagesPath.
	MessagesPath string
	// ReadPath receives POSTed read positions; empty means DefaultReadPath.
	ReadPath string
	// Tokens supplies the bearer token; after a 401, 403 or 419 the request
	// is retried once with a fresh one, if there is one. Nil sends no
	// Authorization header (the DataSource passes its own).
	Tokens *pusher.Tokens
	// SocketID returns the current Pusher socket id, sent as X-Socket-ID so
	// that Laravel's broadcast(...)->toOthers() skips this connection, as
	// Echo does. Nil or "" sends none.
	SocketID func() string
	// Header holds extra request headers.
	Header http.Header
	// HTTPClient sends the requests; nil means a new http.Client.
	HTTPClient *http.Client
	// Timeout bounds each request; zero means 10s.
	Timeout time.Duration
	// Decode reads the created message from the answer; nil means
	// DecodeMessage (which accepts {"data": {...}}, {"message": {...}} or
	// a flat object).
	Decode Decoder
}

// HTTPBackend is the default MessageSender and ReadMarker for a Laravel
// app's JSON API:
//
//	POST {BaseURL}/api/conversations/{id}/messages
//	  {"client_id","content","kind","reply_to","attachments":[{"url","name","mime","size"}]}
//	  → 200 or 201 with the created message (see DecodeMessage)
//	POST {BaseURL}/api/conversations/{id}/read
//	  {"message_id"} → any 2xx
//
// with "Authorization: Bearer", "Accept: application/json" and
// X-Socket-ID. A refusal is an *HTTPError. Messages are not retried (the
// caller may retry with the same ClientID). Safe for concurrent use.
type HTTPBackend struct {
	opts HTTPBackendOptions
}

var (
	_ MessageSender = (*HTTPBackend)(nil)
	_ ReadMarker    = (*HTTPBackend)(nil)
)

// NewHTTPBackend returns an HTTPBackend for opts.BaseURL.
func NewHTTPBackend(opts HTTPBackendOptions) (*HTTPBackend, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("laravel: http backend: base url %q must be http(s)://host", opts.BaseURL)
	}
	opts.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
	if opts.MessagesPath == "" {
		opts.MessagesPath = DefaultMessagesPath
	}
	if opts.ReadPath == "" {
		opts.ReadPath = DefaultReadPath
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Decode == nil {
		opts.Decode = DecodeMessage
	}
	opts.Header = opts.Header.Clone()
	return &HTTPBackend{opts: opts}, nil
}

// HTTPError is a refusal from the app's HTTP API. It matches
// domain.ErrUnauthorized for 401, 403 and 419 and domain.ErrInvalidDraft
// for 422.
type HTTPError struct {
	Method, Path string
	StatusCode   int
	// Message is the "message" of Laravel's JSON error answer, if any.
	Message string
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("laravel: %s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is matches domain.ErrUnauthorized and domain.ErrInvalidDraft.
func (e *HTTPError) Is(target error) bool {
	switch target {
	case domain.ErrUnauthorized:
		return refusedToken(e.StatusCode)
	case domain.ErrInvalidDraft:
		return e.StatusCode == http.StatusUnprocessableEntity
	}
	return false
}

type attachmentOut struct {
	URL  string `json:"url"`
	Name string `json:"name,omitempty"`
	MIME string `json:"mime,omitempty"`
	Size int64  `json:"size,omitempty"`
}

type messageOut struct {
	ClientID    string          `json:"client_id"`
	Content     string          `json:"content"`
	Kind        string          `json:"kind"`
	ReplyTo     string          `json:"reply_to,omitempty"`
	Attachments []attachmentOut `json:"attachments,omitempty"`
}

// SendMessage posts draft and returns the created message. Missing
// conversation and client ids in the answer are taken from draft.
func (b *HTTPBackend) SendMessage(ctx context.Context, d domain.MessageDraft) (domain.Message, error) {
	out := messageOut{ClientID: d.ClientID, Content: d.Content, Kind: string(d.Kind), ReplyTo: d.ReplyTo}
	if out.Kind == "" {
		out.Kind = string(domain.KindText)
	}
	for _, a := range d.Attachments {
		out.Attachments = append(out.Attachments, attachmentOut(a))
	}
	path := pathFor(b.opts.MessagesPath, d.ConversationID)
	body, err := b.post(ctx, path, out)
	if err != nil {
		return domain.Message{}, err
	}
	ev, err := b.opts.Decode(Event{Name: "http", ConversationID: d.ConversationID, Data: body, ReceivedAt: time.Now()})
	if err != nil {
		return domain.Message{}, fmt.Errorf("laravel: POST %s: unreadable answer: %w", path, err)
	}
	m, ok := ev.(domain.Message)
	if !ok {
		return domain.Message{}, fmt.Errorf("laravel: POST %s: the answer holds no message", path)
	}
	if m.ConversationID == "" {
		m.ConversationID = d.ConversationID
	}
	if m.ClientID == "" {
		m.ClientID = d.ClientID
	}
	return m, nil
}

// MarkRead posts {"message_id": messageID}.
func (b *HTTPBackend) MarkRead(ctx context.Context, conversationID, messageID string) error {
	_, err := b.post(ctx, pathFor(b.opts.ReadPath, conversationID), map[string]string{"message_id": messageID})
	return err
}

func pathFor(pattern, id string) string {
	return strings.ReplaceAll(pattern, "{id}", url.PathEscape(id))
}

// maxAnswer bounds an answer body.
const maxAnswer = 1 << 20

// post sends v as JSON to path, retrying once with a fresh token after a
// 401, 403 or 419, and returns the 2xx answer's body.
func (b *HTTPBackend) post(ctx context.Context, path string, v any) ([]byte, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("laravel: encode %s: %w", path, err)
	}
	token, err := b.token(ctx, "")
	if err != nil {
		return nil, err
	}
	for retried := false; ; retried = true {
		body, status, err := b.do(ctx, path, token, payload)
		if err == nil {
			return body, nil
		}
		if retried || b.opts.Tokens == nil || !refusedToken(status) {
			return nil, err
		}
		fresh, terr := b.token(ctx, token)
		if terr != nil {
			return nil, terr
		}
		if fresh == token {
			return nil, err // nothing fresher to try: the refusal stands
		}
		token = fresh
	}
}

// refusedToken reports whether an answer's status refuses the bearer
// token: 401, 403, or Laravel's 419 (session or CSRF token expired).
func refusedToken(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden || status == 419
}

// token returns the bearer token to send; refused is "" on a first try.
func (b *HTTPBackend) token(ctx context.Context, refused string) (string, error) {
	if b.opts.Tokens == nil {
		return "", nil
	}
	t, err := b.opts.Tokens.Get(ctx, refused)
	if err != nil {
		return "", fmt.Errorf("laravel: token source: %w", err)
	}
	return t, nil
}

func (b *HTTPBackend) do(ctx context.Context, path, token string, payload []byte) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.opts.BaseURL+path, bytes.NewReader(payload))
	if err != nil {
		return nil, 0, fmt.Errorf("laravel: POST %s: %w", path, err)
	}
	for k, v := range b.opts.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if b.opts.SocketID != nil {
		if id := b.opts.SocketID(); id != "" {
			req.Header.Set("X-Socket-ID", id)
		}
	}
	resp, err := b.opts.HTTPClient.Do(req)
	if err != nil {
		// url.Error holds the method and URL only, never headers.
		return nil, 0, fmt.Errorf("laravel: POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, 0, fmt.Errorf("laravel: POST %s: read answer: %w", path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		he := &HTTPError{Method: http.MethodPost, Path: path, StatusCode: resp.StatusCode}
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &e) == nil && len(e.Message) <= 200 {
			he.Message = redactSignatures(e.Message)
		}
		return nil, resp.StatusCode, he
	}
	return body, resp.StatusCode, nil
}

// redactSignatures hides anything that looks like a bearer token in a
// server's message.
func redactSignatures(s string) string {
	if strings.Contains(strings.ToLower(s), "bearer") {
		return "[redacted]"
	}
	return s
}
