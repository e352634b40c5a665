package chattest

import (
	"fmt"
	"testing"
)

func TestSyncReplay(t *testing.T) {
	srv, _ := newTestServer(t, Options{HistorySize: 3})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob")) // alice seq 1
	for i := range 4 {                                           // alice seqs 2..5
		_, err := srv.Post(Message{ConversationID: "c1", SenderID: "bob", Content: fmt.Sprint(i)})
		mustNil(t, err)
	}
	alice := connect(t, srv, "alice")
	if alice.ready.LastSeq != 5 {
		t.Fatalf("last_seq %d, want 5", alice.ready.LastSeq)
	}

	tests := []struct {
		name     string
		payload  map[string]any
		wantSeqs []int64
		complete bool
	}{
		{"since 0: history starts at 3", map[string]any{"since": 0}, []int64{3, 4, 5}, false},
		{"since missing means 0", map[string]any{}, []int64{3, 4, 5}, false},
		{"since 1: seq 2 is gone", map[string]any{"since": 1}, []int64{3, 4, 5}, false},
		{"since 2: history reaches back", map[string]any{"since": 2}, []int64{3, 4, 5}, true},
		{"since 4", map[string]any{"since": 4}, []int64{5}, true},
		{"since last_seq", map[string]any{"since": 5}, nil, true},
		{"since above any seq issued", map[string]any{"since": 99}, nil, false},
		{"the current epoch", map[string]any{"since": 4, "epoch": srv.Epoch()}, []int64{5}, true},
		{"another epoch: everything held, incomplete", map[string]any{"since": 4, "epoch": "gone"}, []int64{3, 4, 5}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alice.send(TypeSync, tt.payload)
			var seqs []int64
			for {
				f := alice.next()
				if f.Type == TypeSyncDone {
					d := payloadOf[syncDonePayload](t, f)
					raw := fields(t, f)
					if _, ok := raw["replayed"]; !ok {
						t.Errorf("sync.done lacks replayed: %s", f.Payload)
					}
					if d.Replayed != len(tt.wantSeqs) || d.Complete != tt.complete {
						t.Errorf("sync.done %+v, want replayed %d complete %v", d, len(tt.wantSeqs), tt.complete)
					}
					if f.Seq != 0 {
						t.Error("sync.done has a seq")
					}
					break
				}
				if f.Type != TypeChatMessage {
					t.Fatalf("replayed %s", f.Type)
				}
				seqs = append(seqs, f.Seq)
			}
			if fmt.Sprint(seqs) != fmt.Sprint(tt.wantSeqs) {
				t.Errorf("replayed seqs %v, want %v", seqs, tt.wantSeqs)
			}
		})
	}

	alice.send(TypeSync, map[string]any{"since": -1})
	if e := payloadOf[errorPayload](t, alice.expect(TypeError)); e.Code != CodeInvalidPayload {
		t.Errorf("negative since: %+v", e)
	}
	alice.send(TypeSync, map[string]any{"since": "5"})
	if e := payloadOf[errorPayload](t, alice.expect(TypeError)); e.Code != CodeInvalidPayload {
		t.Errorf("string since: %+v", e)
	}
}

// Events that happen while a user is offline are kept and replayed in order
// on the next connection; the replay is byte for byte what a live
// connection would have received.
func TestSyncAfterReconnect(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	alice := connect(t, srv, "alice")
	bob := connect(t, srv, "bob")
	bob.send(TypeChatMessage, map[string]any{"conversation_id": "c1", "content": "live"})
	live := alice.expect(TypeChatMessage)
	_ = alice.ws.Close()

	for i := range 3 {
		bob.send(TypeChatMessage, map[string]any{"conversation_id": "c1", "content": fmt.Sprint("missed ", i)})
	}
	bob.barrier()
	alice2 := connect(t, srv, "alice")
	if alice2.ready.LastSeq != live.Seq+3 {
		t.Fatalf("last_seq %d, want %d", alice2.ready.LastSeq, live.Seq+3)
	}
	alice2.send(TypeSync, map[string]any{"since": live.Seq - 1})
	want := []string{"live", "missed 0", "missed 1", "missed 2"}
	for i, w := range want {
		f := alice2.expect(TypeChatMessage)
		if m := payloadOf[Message](t, f); m.Content != w || f.Seq != live.Seq+int64(i) {
			t.Errorf("replay %d: seq %d %q, want seq %d %q", i, f.Seq, m.Content, live.Seq+int64(i), w)
		}
		if i == 0 && string(f.Payload) != string(live.Payload) {
			t.Errorf("replayed payload %s differs from live %s", f.Payload, live.Payload)
		}
	}
	if d := payloadOf[syncDonePayload](t, alice2.expect(TypeSyncDone)); d != (syncDonePayload{Replayed: 4, Complete: true}) {
		t.Errorf("sync.done %+v", d)
	}
}

// A replay larger than the send queue is not a slow consumer.
func TestSyncReplayIsNotLimitedBySendQueue(t *testing.T) {
	srv, _ := newTestServer(t, Options{SendQueueSize: 2})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	for i := range 20 {
		_, err := srv.Post(Message{ConversationID: "c1", SenderID: "bob", Content: fmt.Sprint(i)})
		mustNil(t, err)
	}
	alice := connect(t, srv, "alice")
	alice.send(TypeSync, map[string]any{"since": 0})
	alice.expect(TypeConversationUpdate)
	for range 20 {
		alice.expect(TypeChatMessage)
	}
	if d := payloadOf[syncDonePayload](t, alice.expect(TypeSyncDone)); d.Replayed != 21 || !d.Complete {
		t.Errorf("sync.done %+v", d)
	}
}

// WipeHistory starts a new epoch: connections drop, seqs start over, and a
// sync from the old epoch gets the new history from its start.
func TestWipeHistoryStartsANewEpoch(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	for i := range 3 {
		_, err := srv.Post(Message{ConversationID: "c1", SenderID: "bob", Content: fmt.Sprint(i)})
		mustNil(t, err)
	}
	old := srv.Epoch()
	alice := connect(t, srv, "alice")
	if alice.ready.Epoch != old || alice.ready.LastSeq != 4 {
		t.Fatalf("before the wipe: epoch %q last_seq %d, want %q and 4", alice.ready.Epoch, alice.ready.LastSeq, old)
	}
	epoch := srv.WipeHistory()
	if epoch == old || srv.Epoch() != epoch || srv.LastSeq("alice") != 0 {
		t.Fatalf("after the wipe: epoch %q (was %q), last_seq %d", epoch, old, srv.LastSeq("alice"))
	}
	if msgs, err := srv.Messages("c1"); err != nil || len(msgs) != 0 {
		t.Fatalf("messages after the wipe: %v %v", msgs, err)
	}
	if n := srv.Connections("alice"); n != 0 {
		t.Errorf("%d connections survived the wipe", n)
	}
	_, err := srv.Post(Message{ConversationID: "c1", SenderID: "bob", Content: "after"})
	mustNil(t, err)
	again := connect(t, srv, "alice")
	if again.ready.Epoch != epoch || again.ready.LastSeq != 1 {
		t.Fatalf("reconnected: epoch %q last_seq %d, want %q and 1", again.ready.Epoch, again.ready.LastSeq, epoch)
	}
	again.send(TypeSync, map[string]any{"since": 4, "epoch": old})
	var seqs []int64
	for {
		f := again.next()
		if f.Type == TypeSyncDone {
			if d := payloadOf[syncDonePayload](t, f); d.Complete || d.Replayed != 1 {
				t.Errorf("sync.done %+v, want replayed 1, complete false", d)
			}
			break
		}
		if f.Type == TypeChatMessage {
			seqs = append(seqs, f.Seq)
		}
	}
	if fmt.Sprint(seqs) != "[1]" {
		t.Errorf("replayed seqs %v, want [1]", seqs)
	}
}
