package data_test

// An independent server for the chat envelope protocol, written only from
// docs/protocol.md (and section 1 of the shared PROTOCOL.md), not from
// data/chattest. It is scripted: the test decides which server→client frame
// goes out when, and the server answers the client frames the doc says a
// server answers (ping, chat.message, sync). Every frame it pushes is a
// literal JSON text taken from the doc's field lists, with every field set.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/domain"
)

// ---- the server ------------------------------------------------------------

// indieEnvelope is a frame as docs/protocol.md "Frames" describes it.
type indieEnvelope struct {
	Type    string          `json:"type"`
	Seq     int64           `json:"seq,omitempty"`
	Payload json.RawMessage `json:"payload"`
}

// indieAttachment and indieMessage are the chat.message payload of the doc's
// "Server to client" table (client_id, reply_to and attachments optional).
type indieAttachment struct {
	URL  string `json:"url"`
	Name string `json:"name"`
	MIME string `json:"mime"`
	Size int64  `json:"size"`
}

type indieMessage struct {
	ID             string            `json:"id"`
	ClientID       string            `json:"client_id,omitempty"`
	ConversationID string            `json:"conversation_id"`
	SenderID       string            `json:"sender_id"`
	Content        string            `json:"content"`
	Kind           string            `json:"kind"`
	CreatedAt      string            `json:"created_at"`
	ReplyTo        string            `json:"reply_to,omitempty"`
	Attachments    []indieAttachment `json:"attachments,omitempty"`
}

type indieReady struct {
	UserID              string `json:"user_id"`
	SessionID           string `json:"session_id"`
	HeartbeatIntervalMS int64  `json:"heartbeat_interval_ms"`
	MaxFrameBytes       int64  `json:"max_frame_bytes"`
	LastSeq             int64  `json:"last_seq"`
}

type indieError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Ref     string `json:"ref,omitempty"`
}

// indieStored is what the server did with an accepted chat.message.
type indieStored struct {
	ID        string
	CreatedAt time.Time
	Seq       int64
}

// indieClientFrame is a client frame the server received (pings excepted).
type indieClientFrame struct {
	Type    string
	Payload json.RawMessage
	Stored  *indieStored // chat.message accepted and echoed
	Error   *indieError  // the error frame the server answered with
}

type indieServer struct {
	token       string
	userID      string
	heartbeatMS int64
	maxFrame    int64
	hs          *httptest.Server
	upgrader    websocket.Upgrader

	conns   chan *indieConn // every accepted connection, after session.ready
	quit    chan struct{}
	refused atomic.Int32 // upgrades refused with 401
	pings   atomic.Int32

	mu      sync.Mutex
	sameSID bool     // every session.ready carries an empty session_id
	mute    bool     // sync is never answered (a server that forgot sync.done)
	seq     int64    // the last seq issued to the user
	history []string // replayable frames, in seq order
	convs   map[string]bool
	dedup   map[string]string // client_id -> the stored payload, for a re-echo
	live    map[*indieConn]struct{}
	closed  bool
	wg      sync.WaitGroup
}

type indieConn struct {
	srv        *indieServer
	ws         *websocket.Conn
	sessionID  string
	readyFrame string
	query      string // the upgrade request's query string
	wmu        sync.Mutex
	got        chan indieClientFrame
}

func newIndieServer(t *testing.T, lastSeq int64, convs ...string) *indieServer {
	t.Helper()
	s := &indieServer{
		token:       "tok-" + uuid.NewString(),
		userID:      "alice",
		heartbeatMS: 100,
		maxFrame:    64 << 10,
		conns:       make(chan *indieConn, 8),
		quit:        make(chan struct{}),
		seq:         lastSeq,
		convs:       make(map[string]bool),
		dedup:       make(map[string]string),
		live:        make(map[*indieConn]struct{}),
	}
	for _, c := range convs {
		s.convs[c] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /chat", s.serveChat)
	s.hs = httptest.NewServer(mux) // loopback
	t.Cleanup(s.close)
	return s
}

func (s *indieServer) baseURL() string { return "ws://" + strings.TrimPrefix(s.hs.URL, "http://") }

// close stops the listener, closes every connection and waits for their
// handlers.
func (s *indieServer) close() {
	s.mu.Lock()
	s.closed = true
	live := make([]*indieConn, 0, len(s.live))
	for c := range s.live {
		live = append(live, c)
	}
	s.mu.Unlock()
	close(s.quit)
	for _, c := range live {
		_ = c.ws.Close()
	}
	s.wg.Wait()
	s.hs.Close()
}

// authorized: the Authorization header wins over ?token= when both are
// present, and a header that is not "Bearer <token>" is a bad token.
func (s *indieServer) authorized(r *http.Request) bool {
	if h := r.Header.Get("Authorization"); h != "" {
		return h == "Bearer "+s.token
	}
	return r.URL.Query().Get("token") == s.token
}

func (s *indieServer) serveChat(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		s.refused.Add(1)
		w.Header().Set("WWW-Authenticate", `Bearer realm="chatwire"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &indieConn{srv: s, ws: ws, sessionID: uuid.NewString(), query: r.URL.RawQuery, got: make(chan indieClientFrame, 64)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.live[c] = struct{}{}
	s.wg.Add(1)
	if s.sameSID {
		c.sessionID = ""
	}
	ready, _ := json.Marshal(indieEnvelope{Type: "session.ready", Payload: mustJSON(indieReady{
		UserID: s.userID, SessionID: c.sessionID, HeartbeatIntervalMS: s.heartbeatMS,
		MaxFrameBytes: s.maxFrame, LastSeq: s.seq,
	})})
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.live, c)
		s.mu.Unlock()
		_ = ws.Close()
		s.wg.Done()
	}()

	// session.ready first, before any other frame.
	c.readyFrame = string(ready)
	if c.write(c.readyFrame) != nil {
		return
	}
	select {
	case s.conns <- c:
	case <-s.quit:
		return
	}
	c.readLoop()
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (c *indieConn) write(frame string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, []byte(frame))
}

// push sends a scripted frame. A frame with a seq is an issued event: the
// server's counter follows it, so later echoes get higher seqs.
func (c *indieConn) push(t *testing.T, frame string) {
	t.Helper()
	c.srv.issue(t, frame)
	if err := c.write(frame); err != nil {
		t.Fatalf("push: %v", err)
	}
}

// issue records a scripted frame that carries a seq in the user's history
// (for sync) and moves the seq counter, without sending it anywhere.
func (s *indieServer) issue(t *testing.T, frame string) {
	t.Helper()
	var env indieEnvelope
	if err := json.Unmarshal([]byte(frame), &env); err != nil {
		t.Fatalf("scripted frame is not JSON: %v\n%s", err, frame)
	}
	if env.Seq > 0 {
		s.mu.Lock()
		s.seq = max(s.seq, env.Seq)
		s.history = append(s.history, frame)
		s.mu.Unlock()
	}
}

// next returns the next client frame the server received (pings excepted).
func (c *indieConn) next(t *testing.T) indieClientFrame {
	t.Helper()
	return recv(t, c.got)
}

func (c *indieConn) report(f indieClientFrame) {
	select {
	case c.got <- f:
	case <-c.srv.quit:
	}
}

func (c *indieConn) sendError(e indieError) {
	frame, _ := json.Marshal(indieEnvelope{Type: "error", Payload: mustJSON(e)})
	_ = c.write(string(frame))
}

func (c *indieConn) readLoop() {
	for {
		mt, b, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if mt != websocket.TextMessage {
			c.sendError(indieError{Code: "bad_frame", Message: "binary frames are not accepted"})
			continue
		}
		var env indieEnvelope
		if err := json.Unmarshal(b, &env); err != nil || env.Type == "" {
			c.sendError(indieError{Code: "bad_frame", Message: "not a frame"})
			continue
		}
		if len(env.Payload) == 0 || string(env.Payload) == "null" {
			env.Payload = json.RawMessage(`{}`)
		}
		f := indieClientFrame{Type: env.Type, Payload: env.Payload}
		switch {
		case env.Type == "ping":
			c.srv.pings.Add(1)
			_ = c.write(`{"type":"pong","payload":{}}`)
			continue
		case env.Type == "chat.message":
			f.Stored, f.Error = c.onChatMessage(env.Payload)
		case env.Type == "sync":
			f.Error = c.onSync(env.Payload)
		case env.Type == "typing.indicator", env.Type == "message.read", strings.HasPrefix(env.Type, "call."):
			// Recorded for the test; this server does not fan out.
		default:
			f.Error = &indieError{Code: "unknown_type", Message: fmt.Sprintf("unknown type %q", env.Type)}
			c.sendError(*f.Error)
		}
		c.report(f)
	}
}

// onChatMessage stores the message and echoes it to every connection of the
// user, or answers an error whose ref is the client_id.
func (c *indieConn) onChatMessage(payload json.RawMessage) (*indieStored, *indieError) {
	s := c.srv
	var in indieMessage
	if err := json.Unmarshal(payload, &in); err != nil {
		e := &indieError{Code: "invalid_payload", Message: "chat.message: " + err.Error()}
		c.sendError(*e)
		return nil, e
	}
	s.mu.Lock()
	if prev, ok := s.dedup[in.ClientID]; ok && in.ClientID != "" {
		s.mu.Unlock()
		// A repeat: the original again, to the sender only, without seq.
		_ = c.write(`{"type":"chat.message","payload":` + prev + `}`)
		return nil, nil
	}
	if !s.convs[in.ConversationID] {
		s.mu.Unlock()
		e := &indieError{Code: "not_found", Message: fmt.Sprintf("conversation %q not found", in.ConversationID), Ref: in.ClientID}
		c.sendError(*e)
		return nil, e
	}
	st := &indieStored{ID: uuid.NewString(), CreatedAt: time.Now().UTC().Round(0)}
	s.seq++
	st.Seq = s.seq
	out := in
	out.ID, out.SenderID, out.CreatedAt = st.ID, s.userID, st.CreatedAt.Format(time.RFC3339Nano)
	if out.Kind == "" {
		out.Kind = "text"
	}
	p := mustJSON(out)
	frame := string(mustJSON(indieEnvelope{Type: "chat.message", Seq: st.Seq, Payload: p}))
	s.history = append(s.history, frame)
	if in.ClientID != "" {
		s.dedup[in.ClientID] = string(p)
	}
	targets := make([]*indieConn, 0, len(s.live))
	for lc := range s.live {
		targets = append(targets, lc)
	}
	s.mu.Unlock()
	for _, lc := range targets {
		_ = lc.write(frame)
	}
	return st, nil
}

// onSync replays the history after since, then sync.done. complete is false
// when since is higher than any seq issued.
func (c *indieConn) onSync(payload json.RawMessage) *indieError {
	s := c.srv
	var in struct {
		Since *int64 `json:"since"`
	}
	if err := json.Unmarshal(payload, &in); err != nil || in.Since != nil && *in.Since < 0 {
		e := &indieError{Code: "invalid_payload", Message: "sync: bad since"}
		c.sendError(*e)
		return e
	}
	since := int64(0)
	if in.Since != nil {
		since = *in.Since
	}
	s.mu.Lock()
	if s.mute {
		s.mu.Unlock()
		return nil
	}
	var replay []string
	for _, f := range s.history {
		var env indieEnvelope
		_ = json.Unmarshal([]byte(f), &env)
		if env.Seq > since {
			replay = append(replay, f)
		}
	}
	complete := since <= s.seq
	s.mu.Unlock()
	for _, f := range replay {
		_ = c.write(f)
	}
	_ = c.write(fmt.Sprintf(`{"type":"sync.done","payload":{"replayed":%d,"complete":%t}}`, len(replay), complete))
	return nil
}

// ---- the client side -------------------------------------------------------

// connectIndie connects a data source to srv with the right token and
// returns it with the server side of its connection. Streams subscribed by
// before see everything from the first frame on.
func connectIndie(t *testing.T, srv *indieServer, tune func(*data.Options), before func(*data.ChatWebSocketDataSource)) (*data.ChatWebSocketDataSource, *indieConn) {
	t.Helper()
	opts := data.Options{BaseURL: srv.baseURL(), Connection: fastConnection, Transport: testTransport()}
	if tune != nil {
		tune(&opts)
	}
	src, err := data.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	if before != nil {
		before(src)
	}
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	if err := src.Connect(ctx, srv.token); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return src, recv(t, srv.conns)
}

func ts(s string) time.Time {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return v
}

func intp(n int) *int { return &n }

func frameTypeSeq(t *testing.T, frame string) (string, int64) {
	t.Helper()
	var env indieEnvelope
	if err := json.Unmarshal([]byte(frame), &env); err != nil {
		t.Fatal(err)
	}
	return env.Type, env.Seq
}

// expectRaw takes the next raw frame that is not a heartbeat pong and checks
// it is frame, byte for byte.
func expectRaw(t *testing.T, raw <-chan domain.RawFrame, frame string) {
	t.Helper()
	typ, seq := frameTypeSeq(t, frame)
	got := recvWhere(t, raw, func(f domain.RawFrame) bool { return f.Type != "pong" })
	if got.Type != typ || got.Seq != seq || !bytes.Equal(got.Data, []byte(frame)) || got.ReceivedAt.IsZero() {
		t.Errorf("raw frame = {Type:%q Seq:%d ReceivedAt:%v Data:%s}\nwant {Type:%q Seq:%d Data:%s}",
			got.Type, got.Seq, got.ReceivedAt, got.Data, typ, seq, frame)
	}
}

func sameValue(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// Every server→client frame type of docs/protocol.md, with every field set,
// reaches its typed stream field for field and the raw stream byte for byte;
// sends are acknowledged by the echo and failed by an error with their ref.
func TestIndependentServerEveryFrameType(t *testing.T) {
	srv := newIndieServer(t, 41, "c1")
	ctx := t.Context()

	var (
		msgs     <-chan domain.Message
		typing   <-chan domain.TypingIndicator
		statuses <-chan domain.UserStatusUpdate
		updates  <-chan domain.ConversationUpdate
		reads    <-chan domain.ReadReceipt
		calls    <-chan domain.CallEvent
		raw      <-chan domain.RawFrame
		errs     <-chan error
	)
	src, conn := connectIndie(t, srv, nil, func(s *data.ChatWebSocketDataSource) {
		msgs, typing, statuses = s.Messages(ctx), s.Typing(ctx), s.UserStatuses(ctx)
		updates, reads, calls = s.ConversationUpdates(ctx), s.ReadReceipts(ctx), s.Calls(ctx)
		raw, errs = s.RawMessages(ctx), s.Errors(ctx)
	})

	// The token went in the Authorization header only (TokenInQuery is off).
	if conn.query != "" {
		t.Errorf("upgrade query = %q, want none", conn.query)
	}

	// session.ready: on the raw stream first, and in the connection state.
	expectRaw(t, raw, conn.readyFrame)
	st := src.ConnectionState()
	if st.UserID != "alice" || st.SessionID != conn.sessionID || st.Sync != domain.SyncNone {
		t.Errorf("state after session.ready = %+v, want UserID alice, SessionID %s, Sync none", st, conn.sessionID)
	}
	eventually(t, "connected", func() bool { return src.ConnectionState().Status == domain.Connected })

	// ping → pong: heartbeat_interval_ms (100) is below the configured 2 s,
	// so the SDK pings after 100 ms of silence and the pong reaches raw.
	pong := recvWhere(t, raw, func(f domain.RawFrame) bool { return f.Type == "pong" })
	if string(pong.Data) != `{"type":"pong","payload":{}}` || pong.Seq != 0 {
		t.Errorf("pong raw frame = %+v", pong)
	}
	if srv.pings.Load() == 0 {
		t.Error("the server answered a pong but counted no ping")
	}

	cases := []struct {
		name  string
		frame string
		want  any // the value on its typed stream; nil: raw only
	}{
		{"chat.message with every field",
			`{"type":"chat.message","seq":42,"payload":{"id":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b","client_id":"0b4f6c1e-2a6d-4e0f-9a55-4a3c1f7f5c11","conversation_id":"c1","sender_id":"bob","content":"see attached","kind":"image","created_at":"2026-03-04T05:06:07.123456789Z","reply_to":"a1b2","attachments":[{"url":"https://files.example/cat.png","name":"cat.png","mime":"image/png","size":1234},{"url":"https://files.example/dog.pdf","name":"dog.pdf","mime":"application/pdf","size":99}]}}`,
			domain.Message{ID: "6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b", ClientID: "0b4f6c1e-2a6d-4e0f-9a55-4a3c1f7f5c11",
				ConversationID: "c1", SenderID: "bob", Content: "see attached", Kind: domain.KindImage,
				CreatedAt: time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC), ReplyTo: "a1b2",
				Attachments: []domain.Attachment{
					{URL: "https://files.example/cat.png", Name: "cat.png", MIME: "image/png", Size: 1234},
					{URL: "https://files.example/dog.pdf", Name: "dog.pdf", MIME: "application/pdf", Size: 99},
				}, Seq: 42}},
		{"chat.message without the optional fields (kind defaults to text)",
			`{"type":"chat.message","seq":43,"payload":{"id":"m-43","conversation_id":"c1","sender_id":"bob","content":"plain","created_at":"2026-03-04T05:06:08Z"}}`,
			domain.Message{ID: "m-43", ConversationID: "c1", SenderID: "bob", Content: "plain", Kind: domain.KindText,
				CreatedAt: time.Date(2026, 3, 4, 5, 6, 8, 0, time.UTC), Seq: 43}},
		{"typing.indicator",
			`{"type":"typing.indicator","payload":{"conversation_id":"c1","user_id":"bob","is_typing":true}}`,
			domain.TypingIndicator{ConversationID: "c1", UserID: "bob", IsTyping: true}},
		{"user.status online without last_seen",
			`{"type":"user.status","payload":{"user_id":"bob","status":"online"}}`,
			domain.UserStatusUpdate{UserID: "bob", Status: domain.StatusOnline}},
		{"user.status away",
			`{"type":"user.status","payload":{"user_id":"carol","status":"away","last_seen":"2026-03-04T05:06:30Z"}}`,
			domain.UserStatusUpdate{UserID: "carol", Status: domain.StatusAway, LastSeen: time.Date(2026, 3, 4, 5, 6, 30, 0, time.UTC)}},
		{"user.status offline with last_seen",
			`{"type":"user.status","payload":{"user_id":"bob","status":"offline","last_seen":"2026-03-04T05:07:07.5Z"}}`,
			domain.UserStatusUpdate{UserID: "bob", Status: domain.StatusOffline, LastSeen: time.Date(2026, 3, 4, 5, 7, 7, 500000000, time.UTC)}},
		{"conversation.update with every field",
			`{"type":"conversation.update","seq":44,"payload":{"conversation_id":"c1","action":"member_added","title":"Team","participant_ids":["alice","bob","carol"],"last_message":{"id":"m-43","client_id":"cid-43","conversation_id":"c1","sender_id":"bob","content":"plain","kind":"file","created_at":"2026-03-04T05:06:08Z","reply_to":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b","attachments":[{"url":"https://files.example/a.bin","name":"a.bin","mime":"application/octet-stream","size":7}]},"unread_count":3,"updated_at":"2026-03-04T05:06:09.000000001Z"}}`,
			domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationMemberAdded, Title: "Team",
				ParticipantIDs: []string{"alice", "bob", "carol"},
				LastMessage: &domain.Message{ID: "m-43", ClientID: "cid-43", ConversationID: "c1", SenderID: "bob", Content: "plain",
					Kind: domain.KindFile, CreatedAt: time.Date(2026, 3, 4, 5, 6, 8, 0, time.UTC),
					ReplyTo:     "6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b",
					Attachments: []domain.Attachment{{URL: "https://files.example/a.bin", Name: "a.bin", MIME: "application/octet-stream", Size: 7}}},
				UnreadCount: intp(3), UpdatedAt: time.Date(2026, 3, 4, 5, 6, 9, 1, time.UTC), Seq: 44}},
		{"conversation.update with unread_count 0 (sent, so not nil)",
			`{"type":"conversation.update","seq":45,"payload":{"conversation_id":"c1","action":"updated","unread_count":0,"updated_at":"2026-03-04T05:06:10Z"}}`,
			domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationUpdated, UnreadCount: intp(0),
				UpdatedAt: time.Date(2026, 3, 4, 5, 6, 10, 0, time.UTC), Seq: 45}},
		{"conversation.update deleted (only id, action, updated_at)",
			`{"type":"conversation.update","seq":46,"payload":{"conversation_id":"c9","action":"deleted","updated_at":"2026-03-04T05:06:11Z"}}`,
			domain.ConversationUpdate{ConversationID: "c9", Action: domain.ConversationDeleted,
				UpdatedAt: time.Date(2026, 3, 4, 5, 6, 11, 0, time.UTC), Seq: 46}},
		{"message.read",
			`{"type":"message.read","seq":47,"payload":{"conversation_id":"c1","user_id":"bob","message_id":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b","read_at":"2026-03-04T05:06:12.25Z"}}`,
			domain.ReadReceipt{ConversationID: "c1", UserID: "bob", MessageID: "6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b",
				ReadAt: time.Date(2026, 3, 4, 5, 6, 12, 250000000, time.UTC), Seq: 47}},
		{"call.incoming",
			`{"type":"call.incoming","seq":48,"payload":{"call_id":"call-1","conversation_id":"c1","caller_id":"bob","callee_ids":["alice","carol"],"media":"video","created_at":"2026-03-04T05:06:13Z"}}`,
			domain.CallEvent{Kind: domain.CallIncoming, CallID: "call-1", ConversationID: "c1", CallerID: "bob",
				CalleeIDs: []string{"alice", "carol"}, Media: domain.MediaVideo, CreatedAt: time.Date(2026, 3, 4, 5, 6, 13, 0, time.UTC), Seq: 48}},
		{"call.accepted",
			`{"type":"call.accepted","seq":49,"payload":{"call_id":"call-1","user_id":"alice","reason":"on my way"}}`,
			domain.CallEvent{Kind: domain.CallAccepted, CallID: "call-1", UserID: "alice", Reason: "on my way", Seq: 49}},
		{"call.rejected",
			`{"type":"call.rejected","seq":50,"payload":{"call_id":"call-1","user_id":"carol","reason":"busy"}}`,
			domain.CallEvent{Kind: domain.CallRejected, CallID: "call-1", UserID: "carol", Reason: "busy", Seq: 50}},
		{"call.cancelled",
			`{"type":"call.cancelled","seq":51,"payload":{"call_id":"call-2","user_id":"bob","reason":"changed my mind"}}`,
			domain.CallEvent{Kind: domain.CallCancelled, CallID: "call-2", UserID: "bob", Reason: "changed my mind", Seq: 51}},
		{"call.offer (sdp an object)",
			`{"type":"call.offer","seq":52,"payload":{"call_id":"call-1","from":"bob","to":"alice","sdp":{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}}}`,
			domain.CallEvent{Kind: domain.CallOffer, CallID: "call-1", From: "bob", To: "alice",
				Signal: []byte(`{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}`), Seq: 52}},
		{"call.answer (sdp a string: any JSON value)",
			`{"type":"call.answer","seq":53,"payload":{"call_id":"call-1","from":"carol","to":"alice","sdp":"v=0\r\n"}}`,
			domain.CallEvent{Kind: domain.CallAnswer, CallID: "call-1", From: "carol", To: "alice", Signal: []byte(`"v=0\r\n"`), Seq: 53}},
		{"call.ice_candidate",
			`{"type":"call.ice_candidate","seq":54,"payload":{"call_id":"call-1","from":"bob","to":"alice","candidate":{"candidate":"candidate:1 1 UDP 2130706431 10.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}}`,
			domain.CallEvent{Kind: domain.CallICECandidate, CallID: "call-1", From: "bob", To: "alice",
				Signal: []byte(`{"candidate":"candidate:1 1 UDP 2130706431 10.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}`), Seq: 54}},
		{"call.ended",
			`{"type":"call.ended","seq":55,"payload":{"call_id":"call-1","ended_by":"bob","reason":"hangup","duration_ms":1500}}`,
			domain.CallEvent{Kind: domain.CallEnded, CallID: "call-1", EndedBy: "bob", Reason: "hangup", Duration: 1500 * time.Millisecond, Seq: 55}},
		{"error with a ref no send is waiting for",
			`{"type":"error","payload":{"code":"forbidden","message":"not a participant of call \"call-9\"","ref":"call-9"}}`,
			&domain.Error{Class: domain.ClassSend, Err: &domain.ServerError{Code: "forbidden", Message: `not a participant of call "call-9"`, Ref: "call-9"}}},
		{"an unknown type",
			`{"type":"future.feature","seq":0,"payload":{"x":1,"nested":{"y":[1,2]}}}`, nil},
		{"an unknown call.* type",
			`{"type":"call.ringing","seq":56,"payload":{"call_id":"call-1"}}`, nil},
		{"unknown fields are kept (raw) and not rejected",
			`{"type":"typing.indicator","extra":true,"payload":{"conversation_id":"c2","user_id":"carol","is_typing":false,"device":"web"}}`,
			domain.TypingIndicator{ConversationID: "c2", UserID: "carol"}},
	}
	for _, tc := range cases {
		conn.push(t, tc.frame)
		expectRaw(t, raw, tc.frame)
		switch want := tc.want.(type) {
		case nil:
		case domain.Message:
			sameValue(t, tc.name, recv(t, msgs), want)
		case domain.TypingIndicator:
			got := recv(t, typing)
			if got.ReceivedAt.IsZero() {
				t.Errorf("%s: ReceivedAt is zero", tc.name)
			}
			want.ReceivedAt = got.ReceivedAt
			sameValue(t, tc.name, got, want)
		case domain.UserStatusUpdate:
			sameValue(t, tc.name, recv(t, statuses), want)
		case domain.ConversationUpdate:
			sameValue(t, tc.name, recv(t, updates), want)
		case domain.ReadReceipt:
			sameValue(t, tc.name, recv(t, reads), want)
		case domain.CallEvent:
			got := recv(t, calls)
			sameValue(t, tc.name, got, want)
			if string(got.Signal) != string(want.Signal) {
				t.Errorf("%s: Signal = %s, want %s", tc.name, got.Signal, want.Signal)
			}
		case *domain.Error:
			sameValue(t, tc.name, recv(t, errs), error(want))
		default:
			t.Fatalf("%s: no stream for %T", tc.name, want)
		}
	}

	// SendMessage returns the server's stored message, matched by the echo
	// of its client_id; the echo also reaches Messages once.
	sendCtx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	draft := domain.MessageDraft{ConversationID: "c1", Content: "hello from the SDK", Kind: domain.KindImage,
		ReplyTo:     "6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b",
		Attachments: []domain.Attachment{{URL: "https://files.example/me.png", Name: "me.png", MIME: "image/png", Size: 4321}}}
	confirmed, err := src.SendMessage(sendCtx, draft)
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	in := conn.next(t)
	if in.Type != "chat.message" || in.Stored == nil {
		t.Fatalf("server received %+v, want an accepted chat.message", in)
	}
	var sent map[string]any
	if err := json.Unmarshal(in.Payload, &sent); err != nil {
		t.Fatal(err)
	}
	clientID, _ := sent["client_id"].(string)
	if _, err := uuid.Parse(clientID); err != nil {
		t.Errorf("client_id %q is not a UUID: %v", clientID, err)
	}
	sameValue(t, "client chat.message payload", sent, map[string]any{
		"client_id": clientID, "conversation_id": "c1", "content": "hello from the SDK", "kind": "image",
		"reply_to":    "6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b",
		"attachments": []any{map[string]any{"url": "https://files.example/me.png", "name": "me.png", "mime": "image/png", "size": float64(4321)}},
	})
	stored := domain.Message{ID: in.Stored.ID, ClientID: clientID, ConversationID: "c1", SenderID: "alice",
		Content: draft.Content, Kind: draft.Kind, CreatedAt: in.Stored.CreatedAt, ReplyTo: draft.ReplyTo,
		Attachments: draft.Attachments, Seq: in.Stored.Seq}
	sameValue(t, "SendMessage result", confirmed, stored)
	sameValue(t, "the echo on Messages", recv(t, msgs), stored)

	// An error frame whose ref is the client_id fails that send with the
	// server's code, message and ref (and is not reported again on Errors).
	refID := uuid.NewString()
	_, err = src.SendMessage(sendCtx, domain.MessageDraft{ConversationID: "c404", Content: "anyone?", ClientID: refID})
	var se *domain.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("SendMessage to an unknown conversation = %v, want a *domain.ServerError", err)
	}
	sameValue(t, "ServerError", *se, domain.ServerError{Code: domain.CodeNotFound, Message: `conversation "c404" not found`, Ref: refID})
	if r := conn.next(t); r.Type != "chat.message" || r.Error == nil || r.Error.Ref != refID {
		t.Errorf("server side of the refused send = %+v", r)
	}
	// On the raw stream: the echo exactly as the server stored it, then the error.
	echo := mustJSON(indieEnvelope{Type: "chat.message", Seq: in.Stored.Seq, Payload: mustJSON(indieMessage{
		ID: in.Stored.ID, ClientID: clientID, ConversationID: "c1", SenderID: "alice", Content: draft.Content, Kind: "image",
		CreatedAt: in.Stored.CreatedAt.Format(time.RFC3339Nano), ReplyTo: draft.ReplyTo,
		Attachments: []indieAttachment{{URL: "https://files.example/me.png", Name: "me.png", MIME: "image/png", Size: 4321}},
	})})
	expectRaw(t, raw, string(echo))
	errFrame := recvWhere(t, raw, func(f domain.RawFrame) bool { return f.Type != "pong" })
	if errFrame.Type != "error" || !bytes.Contains(errFrame.Data, []byte(refID)) {
		t.Errorf("raw frame of the refused send = %s", errFrame.Data)
	}

	// max_frame_bytes from session.ready: a larger draft fails before it is
	// sent (the next frame the server sees is the one after it).
	_, err = src.SendMessage(sendCtx, domain.MessageDraft{ConversationID: "c1", Content: strings.Repeat("x", int(srv.maxFrame))})
	if !errors.Is(err, domain.ErrFrameTooLarge) {
		t.Errorf("oversized SendMessage = %v, want ErrFrameTooLarge", err)
	}

	// The other client frames carry the doc's fields.
	clientFrames := []struct {
		send func() error
		typ  string
		want map[string]any
	}{
		{func() error { return src.SendTyping(ctx, "c1", true) }, "typing.indicator",
			map[string]any{"conversation_id": "c1", "is_typing": true}},
		{func() error { return src.MarkRead(ctx, "c1", "m-43") }, "message.read",
			map[string]any{"conversation_id": "c1", "message_id": "m-43"}},
		{func() error {
			return src.SendCallSignal(ctx, domain.CallSignal{Kind: domain.SignalInvite, CallID: "call-3", ConversationID: "c1", CalleeIDs: []string{"bob"}, Media: domain.MediaAudio})
		}, "call.invite", map[string]any{"call_id": "call-3", "conversation_id": "c1", "callee_ids": []any{"bob"}, "media": "audio"}},
		{func() error {
			return src.SendCallSignal(ctx, domain.CallSignal{Kind: domain.SignalEnd, CallID: "call-3", Reason: "hangup"})
		}, "call.end", map[string]any{"call_id": "call-3", "reason": "hangup"}},
		{func() error {
			return src.SendCallSignal(ctx, domain.CallSignal{Kind: domain.SignalAnswer, CallID: "call-3", To: "bob", Signal: []byte(`{"type":"answer","sdp":"v=0\r\n"}`)})
		}, "call.answer", map[string]any{"call_id": "call-3", "to": "bob", "sdp": map[string]any{"type": "answer", "sdp": "v=0\r\n"}}},
		{func() error {
			return src.SendCallSignal(ctx, domain.CallSignal{Kind: domain.SignalICECandidate, CallID: "call-3", To: "bob", Signal: []byte(`{"candidate":"c"}`)})
		}, "call.ice_candidate", map[string]any{"call_id": "call-3", "to": "bob", "candidate": map[string]any{"candidate": "c"}}},
	}
	for _, cf := range clientFrames {
		if err := cf.send(); err != nil {
			t.Fatalf("%s: %v", cf.typ, err)
		}
		in := conn.next(t)
		var got map[string]any
		if err := json.Unmarshal(in.Payload, &got); err != nil {
			t.Fatal(err)
		}
		if in.Type != cf.typ {
			t.Errorf("client frame type = %q, want %q", in.Type, cf.typ)
		}
		sameValue(t, cf.typ+" payload", got, cf.want)
	}

	// Barrier: once a last frame is on the raw stream, every typed event of
	// the frames before it has been published (one owner, in order), so the
	// typed streams must hold nothing more: unknown types went to raw only.
	const marker = `{"type":"test.barrier","payload":{}}`
	conn.push(t, marker)
	expectRaw(t, raw, marker)
	for name, n := range map[string]int{"Messages": len(msgs), "Typing": len(typing), "UserStatuses": len(statuses),
		"ConversationUpdates": len(updates), "ReadReceipts": len(reads), "Calls": len(calls), "Errors": len(errs)} {
		if n != 0 {
			t.Errorf("%s holds %d unexpected values", name, n)
		}
	}
	if st := src.ConnectionState(); st.UserID != "alice" || st.SessionID != conn.sessionID || st.Status != domain.Connected {
		t.Errorf("final state = %+v", st)
	}
}

// sync after a resume: the server replays what was missed, then sync.done
// with replayed and complete; complete:false is a distinct sync state.
func TestIndependentServerSync(t *testing.T) {
	srv := newIndieServer(t, 41, "c1")
	missed := `{"type":"chat.message","seq":42,"payload":{"id":"m-42","conversation_id":"c1","sender_id":"bob","content":"while you were away","kind":"text","created_at":"2026-03-04T05:06:08Z"}}`
	srv.issue(t, missed)
	ctx := t.Context()

	var msgs <-chan domain.Message
	var states <-chan domain.ConnectionState
	var raw <-chan domain.RawFrame
	src, conn := connectIndie(t, srv, func(o *data.Options) { o.Resume = domain.Position{Seq: 41} }, func(s *data.ChatWebSocketDataSource) {
		msgs, states, raw = s.Messages(ctx), s.ConnectionStates(ctx), s.RawMessages(ctx)
	})
	if in := conn.next(t); in.Type != "sync" || string(in.Payload) != `{"since":41}` {
		t.Errorf("client frame after session.ready = %s %s, want sync {\"since\":41}", in.Type, in.Payload)
	}
	expectRaw(t, raw, conn.readyFrame)
	expectRaw(t, raw, missed)
	expectRaw(t, raw, `{"type":"sync.done","payload":{"replayed":1,"complete":true}}`)
	sameValue(t, "replayed message", recv(t, msgs), domain.Message{ID: "m-42", ConversationID: "c1", SenderID: "bob",
		Content: "while you were away", Kind: domain.KindText, CreatedAt: ts("2026-03-04T05:06:08Z"), Seq: 42})
	done := recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Sync == domain.SyncComplete })
	if done.UserID != "alice" || done.SessionID != conn.sessionID {
		t.Errorf("state at sync.done = %+v", done)
	}

	// A reconnect: the server issues an event the client misses, drops the
	// connection; the SDK reconnects, takes the new session, syncs from the
	// highest seq it processed and gets the missed event once.
	missed2 := `{"type":"message.read","seq":43,"payload":{"conversation_id":"c1","user_id":"bob","message_id":"m-42","read_at":"2026-03-04T05:06:09Z"}}`
	srv.issue(t, missed2)
	reads := src.ReadReceipts(ctx)
	_ = conn.ws.Close() // TCP closed without a close frame
	conn3 := recv(t, srv.conns)
	if in := conn3.next(t); in.Type != "sync" || string(in.Payload) != `{"since":42}` {
		t.Errorf("client frame after the reconnect = %s %s, want sync {\"since\":42}", in.Type, in.Payload)
	}
	expectRaw(t, raw, conn3.readyFrame)
	expectRaw(t, raw, missed2) // only what is newer than since
	expectRaw(t, raw, `{"type":"sync.done","payload":{"replayed":1,"complete":true}}`)
	sameValue(t, "receipt replayed after the reconnect", recv(t, reads), domain.ReadReceipt{ConversationID: "c1", UserID: "bob",
		MessageID: "m-42", ReadAt: ts("2026-03-04T05:06:09Z"), Seq: 43})
	done = recvWhere(t, states, func(s domain.ConnectionState) bool {
		return s.Sync == domain.SyncComplete && s.SessionID == conn3.sessionID
	})
	if done.UserID != "alice" || done.Status != domain.Connected {
		t.Errorf("state after the reconnect's sync.done = %+v", done)
	}
	if n := len(msgs); n != 0 {
		t.Errorf("the replayed message m-42 was delivered again (%d more on Messages)", n)
	}

	// A resume from a seq the server never issued (a server without epochs
	// that lost its history): SyncIncomplete at once, following the server.
	var states2 <-chan domain.ConnectionState
	src2, conn2 := connectIndie(t, srv, func(o *data.Options) { o.Resume = domain.Position{Seq: 100} }, func(s *data.ChatWebSocketDataSource) {
		states2 = s.ConnectionStates(ctx)
	})
	recvWhere(t, states2, func(s domain.ConnectionState) bool { return s.Sync == domain.SyncIncomplete })
	if st := src2.ConnectionState(); st.Sync != domain.SyncIncomplete || st.SessionID != conn2.sessionID || st.SessionID == conn.sessionID {
		t.Errorf("state after complete:false = %+v", st)
	}
}

// A wrong token is refused with 401 before the upgrade: Connect fails with
// ErrUnauthorized after asking the token source once more, and stops.
func TestIndependentServerWrongToken(t *testing.T) {
	srv := newIndieServer(t, 0)
	var asked atomic.Int32
	src, err := data.New(data.Options{BaseURL: srv.baseURL(), Connection: fastConnection, Transport: testTransport(),
		TokenSource: func(context.Context) (string, error) { asked.Add(1); return "still-wrong", nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	err = src.Connect(ctx, "wrong")
	if !errors.Is(err, domain.ErrUnauthorized) {
		t.Fatalf("Connect with a wrong token = %v, want ErrUnauthorized", err)
	}
	if n, r := asked.Load(), srv.refused.Load(); n != 1 || r != 2 {
		t.Errorf("token source asked %d times, server refused %d upgrades; want 1 and 2", n, r)
	}
	eventually(t, "failed state", func() bool { return src.ConnectionState().Status == domain.Failed })
	if st := src.ConnectionState(); !errors.Is(st.Err, domain.ErrUnauthorized) {
		t.Errorf("state = %+v, want Failed with ErrUnauthorized", st)
	}
	if len(srv.conns) != 0 {
		t.Error("a connection was upgraded with a wrong token")
	}
}
