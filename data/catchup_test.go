package data_test

// The catch-up after a reconnect, played by a scripted server that answers
// late, repeats itself, or lost its history, and by the reference server
// wiping its history.

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// syncPayload decodes a client sync frame.
func syncPayload(t *testing.T, f scriptFrame) (since int64, epoch string) {
	t.Helper()
	var p struct {
		Since *int64 `json:"since"`
		Epoch string `json:"epoch"`
	}
	if err := json.Unmarshal(f.Payload, &p); err != nil || p.Since == nil {
		t.Fatalf("sync payload %s", f.Payload)
	}
	return *p.Since, p.Epoch
}

func readFrame(seq int64, messageID string) string {
	return fmt.Sprintf(`{"type":"message.read","seq":%d,"payload":{"conversation_id":"c1","user_id":"bob","message_id":%q,"read_at":"2026-03-04T05:06:09Z"}}`, seq, messageID)
}

// A sync answered after SyncTimeout loses nothing: the events released at
// the timeout and the late replay are merged, each reaches the app once,
// and the state never claims complete for that round. A sync.done with no
// sync outstanding is ignored.
func TestLateSyncAnswerIsMergedAndNeverClaimsComplete(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv, func(o *data.Options) { o.SyncTimeout = 300 * time.Millisecond })
	ctx := t.Context()
	msgs, states, errs := src.Messages(ctx), src.ConnectionStates(ctx), src.Errors(ctx)
	conn := connectScript(t, srv, src, 0, `"epoch":"e1"`)
	conn.push(t, chatFrame(1, "m-1", "", "bob", "one"))
	conn.push(t, chatFrame(2, "m-2", "", "bob", "two"))
	for _, want := range []string{"m-1", "m-2"} {
		if m := recv(t, msgs); m.ID != want {
			t.Fatalf("got %q, want %q", m.ID, want)
		}
	}
	conn.drop()

	conn2 := srv.accept(t)
	conn2.ready(t, "s2", 5, `"epoch":"e1"`)
	if since, epoch := syncPayload(t, conn2.expect(t, "sync")); since != 2 || epoch != "e1" {
		t.Fatalf("sync since %d epoch %q, want 2 in e1", since, epoch)
	}
	conn2.push(t, chatFrame(5, "m-5", "", "bob", "five, live during the sync"))
	// The server is slow: the timeout releases m-5.
	if m := recv(t, msgs); m.ID != "m-5" {
		t.Fatalf("released %q, want m-5", m.ID)
	}
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Sync == domain.SyncIncomplete })
	recvWhere(t, errs, func(err error) bool { return errors.Is(err, data.ErrSyncTimeout) })

	// The late replay: 3, 4 and 5 again, then sync.done complete.
	for seq := int64(3); seq <= 5; seq++ {
		conn2.push(t, chatFrame(seq, fmt.Sprintf("m-%d", seq), "", "bob", "replayed"))
	}
	conn2.push(t, `{"type":"sync.done","payload":{"replayed":3,"complete":true}}`)
	conn2.push(t, `{"type":"sync.done","payload":{"replayed":0,"complete":true}}`) // stale
	conn2.push(t, chatFrame(6, "m-6", "", "bob", "live"))
	var got []string
	for len(got) < 3 {
		got = append(got, recv(t, msgs).ID)
	}
	if fmt.Sprint(got) != "[m-3 m-4 m-6]" {
		t.Fatalf("after the late replay got %v, want [m-3 m-4 m-6] (m-5 once, before)", got)
	}
	quiet(t, msgs, "message")
	for {
		select {
		case s := <-states:
			if s.Sync == domain.SyncComplete {
				t.Fatalf("state claims complete after the round was incomplete: %+v", s)
			}
			continue
		default:
		}
		break
	}
	if st := src.ConnectionState(); st.Sync != domain.SyncIncomplete {
		t.Errorf("final sync status %v, want incomplete", st.Sync)
	}
	if pos := src.Position(); pos.Seq != 6 || pos.Epoch != "e1" {
		t.Errorf("position %+v, want seq 6 in e1", pos)
	}
}

// A sync.done on a connection that sent no sync (a fresh client) is stale:
// the state does not change.
func TestStaleSyncDoneIsIgnored(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	conn := connectScript(t, srv, src, 7, "")
	raw := src.RawMessages(t.Context())
	conn.push(t, `{"type":"sync.done","payload":{"replayed":0,"complete":false}}`)
	recvWhere(t, raw, func(f domain.RawFrame) bool { return f.Type == "sync.done" })
	conn.push(t, `{"type":"pong","payload":{}}`)
	recvWhere(t, raw, func(f domain.RawFrame) bool { return f.Type == "pong" })
	if st := src.ConnectionState(); st.Sync != domain.SyncNone {
		t.Errorf("sync status %v after a stale sync.done, want none", st.Sync)
	}
}

// A server whose history was wiped while I was away (a new epoch): I sync
// from 0 in the new epoch, receive every event it holds exactly once, and
// the state says SyncIncomplete even though the server says complete.
func TestNewEpochSyncsEverythingItHoldsOnce(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	ctx := t.Context()
	msgs, reads := src.Messages(ctx), src.ReadReceipts(ctx)
	conn := connectScript(t, srv, src, 40, `"epoch":"e1"`)
	conn.push(t, chatFrame(41, "m-41", "", "bob", "old epoch"))
	recv(t, msgs)
	conn.drop()

	conn2 := srv.accept(t)
	conn2.ready(t, "s2", 2, `"epoch":"e2"`)
	if since, epoch := syncPayload(t, conn2.expect(t, "sync")); since != 0 || epoch != "e2" {
		t.Fatalf("sync since %d epoch %q, want 0 in e2", since, epoch)
	}
	conn2.push(t, chatFrame(1, "m-new-1", "", "bob", "new one"))
	conn2.push(t, readFrame(2, "m-new-1"))
	conn2.push(t, `{"type":"sync.done","payload":{"replayed":2,"complete":true}}`)
	conn2.push(t, chatFrame(1, "m-new-1", "", "bob", "new one, again")) // a repeat
	conn2.push(t, chatFrame(3, "m-new-3", "", "bob", "live"))
	if m := recv(t, msgs); m.ID != "m-new-1" || m.Seq != 1 {
		t.Fatalf("got %q seq %d, want m-new-1 seq 1", m.ID, m.Seq)
	}
	if r := recv(t, reads); r.Seq != 2 {
		t.Fatalf("receipt seq %d, want 2", r.Seq)
	}
	if m := recv(t, msgs); m.ID != "m-new-3" {
		t.Fatalf("got %q, want m-new-3", m.ID)
	}
	quiet(t, msgs, "message")
	if st := src.ConnectionState(); st.Sync != domain.SyncIncomplete {
		t.Errorf("sync status %v after an epoch change, want incomplete", st.Sync)
	}
	if pos := src.Position(); pos != (domain.Position{Epoch: "e2", Seq: 3}) {
		t.Errorf("position %+v, want seq 3 in e2", pos)
	}
}

// A new epoch may come from a store that was reset and hands out message
// ids again ("1", "2"... meant other messages before): every message the
// new history holds is delivered, including one whose id the old epoch
// used, and still only once within the new epoch.
func TestNewEpochMayReuseMessageIDs(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	msgs := src.Messages(t.Context())
	conn := connectScript(t, srv, src, 40, `"epoch":"e1"`)
	conn.push(t, chatFrame(41, "1", "", "bob", "old epoch's 1"))
	recv(t, msgs)
	conn.drop()

	conn2 := srv.accept(t)
	conn2.ready(t, "s2", 1, `"epoch":"e2"`)
	conn2.expect(t, "sync")
	conn2.push(t, chatFrame(1, "1", "", "bob", "new epoch's 1"))
	conn2.push(t, `{"type":"sync.done","payload":{"replayed":1,"complete":true}}`)
	conn2.push(t, chatFrame(1, "1", "", "bob", "new epoch's 1")) // a repeat
	conn2.push(t, chatFrame(2, "2", "", "bob", "new epoch's 2"))
	for _, want := range []string{"new epoch's 1", "new epoch's 2"} {
		if m := recv(t, msgs); m.Content != want {
			t.Fatalf("got %q, want %q", m.Content, want)
		}
	}
	quiet(t, msgs, "message")
}

// Likewise for a server without epochs whose numbering went backwards.
func TestLostHistoryWithoutEpochMayReuseMessageIDs(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	msgs := src.Messages(t.Context())
	conn := connectScript(t, srv, src, 40, "")
	conn.push(t, chatFrame(41, "1", "", "bob", "old 1"))
	recv(t, msgs)
	conn.drop()
	conn2 := srv.accept(t)
	conn2.ready(t, "s2", 0, "")
	conn2.push(t, chatFrame(1, "1", "", "bob", "new 1"))
	if m := recv(t, msgs); m.Content != "new 1" {
		t.Fatalf("got %q, want the new numbering's message 1", m.Content)
	}
}

// A server that sends no epoch keeps the last_seq rule: a last_seq below
// what was processed means lost history, SyncIncomplete, no sync, and the
// server's new numbering is followed.
func TestWithoutEpochLastSeqGoingBackwardsFollowsTheServer(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	msgs := src.Messages(t.Context())
	conn := connectScript(t, srv, src, 40, "")
	conn.drop()
	conn2 := srv.accept(t)
	conn2.ready(t, "s2", 3, "")
	conn2.push(t, chatFrame(4, "m-4", "", "bob", "new numbering"))
	if m := recv(t, msgs); m.ID != "m-4" {
		t.Fatalf("got %q, want m-4", m.ID)
	}
	conn2.silent(t, 100*time.Millisecond) // no sync
	if st := src.ConnectionState(); st.Sync != domain.SyncIncomplete {
		t.Errorf("sync status %v, want incomplete", st.Sync)
	}
}

// Against the reference server: its history is wiped while alice is
// connected; bob's messages in the new epoch reach her exactly once.
func TestReferenceServerWipeDeliversTheNewEpochOnce(t *testing.T) {
	srv := newServerWith(t, "c1", "alice", "bob")
	alice := newSource(t, srv, "alice")
	ctx := t.Context()
	msgs, states := alice.Messages(ctx), alice.ConnectionStates(ctx)
	if err := alice.Connect(ctx, srv.IssueToken("alice")); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Post(chattest.Message{ConversationID: "c1", SenderID: "bob", Content: "before"}); err != nil {
		t.Fatal(err)
	}
	recv(t, msgs)
	srv.Stop()
	srv.WipeHistory()
	for _, c := range []string{"after 1", "after 2"} {
		if _, err := srv.Post(chattest.Message{ConversationID: "c1", SenderID: "bob", Content: c}); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"after 1", "after 2"} {
		if m := recv(t, msgs); m.Content != want {
			t.Fatalf("got %q, want %q", m.Content, want)
		}
	}
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Sync == domain.SyncIncomplete })
	quiet(t, msgs, "message")
	if pos := alice.Position(); pos.Epoch != srv.Epoch() || pos.Seq != srv.LastSeq("alice") {
		t.Errorf("position %+v, server at %s/%d", pos, srv.Epoch(), srv.LastSeq("alice"))
	}
}
