package data_test

import (
	"errors"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// A server that repeats session_id (here: leaves it empty) on every
// connection still gets a sync after a reconnect: the handshake never takes
// the previous connection's decision for its own.
func TestReconnectSyncsWhenTheServerRepeatsSessionID(t *testing.T) {
	srv := newIndieServer(t, 0, "c1")
	srv.mu.Lock()
	srv.sameSID = true
	srv.mu.Unlock()
	ctx := t.Context()
	var msgs <-chan domain.Message
	_, conn := connectIndie(t, srv, nil, func(s *data.ChatWebSocketDataSource) { msgs = s.Messages(ctx) })

	conn.push(t, `{"type":"chat.message","seq":1,"payload":{"id":"m-1","conversation_id":"c1","sender_id":"bob","content":"one","created_at":"2026-03-04T05:06:08Z"}}`)
	if m := recv(t, msgs); m.ID != "m-1" {
		t.Fatalf("got %q, want m-1", m.ID)
	}
	missed := `{"type":"chat.message","seq":2,"payload":{"id":"m-2","conversation_id":"c1","sender_id":"bob","content":"two","created_at":"2026-03-04T05:06:09Z"}}`
	srv.issue(t, missed)
	_ = conn.ws.Close()

	conn2 := recv(t, srv.conns)
	if in := conn2.next(t); in.Type != "sync" || string(in.Payload) != `{"since":1}` {
		t.Fatalf("client frame after the reconnect = %s %s, want sync {\"since\":1}", in.Type, in.Payload)
	}
	if m := recv(t, msgs); m.ID != "m-2" {
		t.Errorf("replayed %q, want m-2", m.ID)
	}
	conn2.push(t, `{"type":"chat.message","seq":3,"payload":{"id":"m-3","conversation_id":"c1","sender_id":"bob","content":"three","created_at":"2026-03-04T05:06:10Z"}}`)
	if m := recv(t, msgs); m.ID != "m-3" {
		t.Errorf("live after the sync: got %q, want m-3", m.ID)
	}
}

// A persisted seq the server never issued (it lost its state) ends in
// SyncIncomplete, and the server's new events, whose seqs are lower than the
// persisted one, are delivered rather than taken for replays.
func TestResumeFromSeqBeyondTheServerFollowsTheServer(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	if err := srv.CreateConversation("general", "", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	alice := newSource(t, srv, "alice", func(o *data.Options) { o.Resume = domain.Position{Seq: 100} })
	states, msgs := alice.ConnectionStates(t.Context()), alice.Messages(t.Context())
	ctx := t.Context()
	if err := alice.Connect(ctx, srv.IssueToken("alice")); err != nil {
		t.Fatal(err)
	}
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Sync == domain.SyncIncomplete })
	for _, c := range []string{"a", "b"} {
		if _, err := srv.Post(chattest.Message{ConversationID: "general", SenderID: "bob", Content: c}); err != nil {
			t.Fatal(err)
		}
		if m := recv(t, msgs); m.Content != c {
			t.Errorf("got %q, want %q", m.Content, c)
		}
	}
}

// After Close the latest state is Closed, whatever the loop had processed.
func TestConnectionStateIsClosedAfterClose(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	alice := dial(t, srv, "alice")
	_ = alice.Close()
	if st := alice.ConnectionState(); st.Status != domain.Closed {
		t.Errorf("ConnectionState after Close = %+v, want status closed", st)
	}
	never := newSource(t, srv, "bob")
	_ = never.Close()
	if st := never.ConnectionState(); st.Status != domain.Closed {
		t.Errorf("ConnectionState after Close without Connect = %+v, want status closed", st)
	}
}

// A server that never answers sync does not hold replayable events back
// forever: past Options.SyncTimeout they are released in seq order, the
// state says SyncIncomplete and ErrSyncTimeout is reported.
func TestSyncTimeoutReleasesHeldEvents(t *testing.T) {
	srv := newIndieServer(t, 0, "c1")
	srv.mu.Lock()
	srv.mute = true
	srv.mu.Unlock()
	ctx := t.Context()
	var msgs <-chan domain.Message
	var states <-chan domain.ConnectionState
	var errs <-chan error
	_, conn := connectIndie(t, srv, func(o *data.Options) { o.SyncTimeout = 100 * time.Millisecond },
		func(s *data.ChatWebSocketDataSource) {
			msgs, states, errs = s.Messages(ctx), s.ConnectionStates(ctx), s.Errors(ctx)
		})
	_ = conn.ws.Close()

	conn2 := recv(t, srv.conns)
	if in := conn2.next(t); in.Type != "sync" {
		t.Fatalf("client frame after the reconnect = %s, want sync", in.Type)
	}
	conn2.push(t, `{"type":"chat.message","seq":2,"payload":{"id":"m-2","conversation_id":"c1","sender_id":"bob","content":"two","created_at":"2026-03-04T05:06:09Z"}}`)
	conn2.push(t, `{"type":"chat.message","seq":1,"payload":{"id":"m-1","conversation_id":"c1","sender_id":"bob","content":"one","created_at":"2026-03-04T05:06:08Z"}}`)
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Sync == domain.SyncIncomplete })
	for _, want := range []string{"m-1", "m-2"} {
		if m := recv(t, msgs); m.ID != want {
			t.Errorf("released %q, want %q (seq order)", m.ID, want)
		}
	}
	recvWhere(t, errs, func(err error) bool { return errors.Is(err, data.ErrSyncTimeout) })
}

// A sync outstanding when the manager gives up (StateFailed) ends at once:
// the held events go out in seq order and the state says SyncIncomplete,
// without waiting for SyncTimeout, since no connection will answer it.
// After Close the state is Closed with no error, as it would read after
// a manager that never failed.
func TestFailureEndsAnOutstandingSync(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv, func(o *data.Options) {
		o.Resume = domain.Position{Seq: 5}
		o.SyncTimeout = time.Hour
		o.Connection.MaxAttempts = 1
	})
	ctx := t.Context()
	msgs, states := src.Messages(ctx), src.ConnectionStates(ctx)
	conn := connectScript(t, srv, src, 9, "")
	conn.expect(t, "sync")
	conn.push(t, chatFrame(7, "m-7", "", "bob", "seven"))
	conn.push(t, chatFrame(6, "m-6", "", "bob", "six"))

	srv.hs.Listener.Close() // the next attempt is refused: with MaxAttempts 1 the manager gives up
	conn.drop()
	for _, want := range []string{"m-6", "m-7"} {
		if m := recv(t, msgs); m.ID != want {
			t.Fatalf("released %q, want %q (seq order)", m.ID, want)
		}
	}
	st := recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Status == domain.Failed })
	if st.Sync != domain.SyncIncomplete {
		t.Fatalf("sync status %v after the failure, want incomplete", st.Sync)
	}

	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if st := src.ConnectionState(); st.Status != domain.Closed || st.Err != nil || st.Attempt != 0 {
		t.Fatalf("after Close: %+v, want Closed without error", st)
	}
}
