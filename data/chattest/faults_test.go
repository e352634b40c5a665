package chattest

import (
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestDropAll(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	a := connect(t, srv, "alice")
	b := connect(t, srv, "bob")
	srv.DropAll()
	for _, c := range []*client{a, b} {
		if code, _ := c.closeCode(); code != websocket.CloseAbnormalClosure {
			t.Errorf("close code %d, want 1006 (no close frame)", code)
		}
	}
	if srv.Connections("alice")+srv.Connections("bob") != 0 {
		t.Error("connections left after DropAll")
	}
	connect(t, srv, "alice").quiet() // the listener is still up
}

func TestCloseAll(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	a := connect(t, srv, "alice")
	srv.Inject("alice", []byte(`{"type":"before.close","payload":{}}`))
	srv.CloseAll(4001, "token revoked")
	if f := a.next(); f.Type != "before.close" {
		t.Errorf("queued frame lost: %s", f.Type)
	}
	if code, reason := a.closeCode(); code != 4001 || reason != "token revoked" {
		t.Errorf("close %d %q", code, reason)
	}
	waitFor(t, "the connection to end", func() bool { return srv.Connections("alice") == 0 })
}

func TestInject(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	a1 := connect(t, srv, "alice")
	a2 := connect(t, srv, "alice")
	b := connect(t, srv, "bob")
	raws := []string{`{"type":"chat.message","payload":{"id":5}}`, `not json at all`, `{"type":"x.unknown","payload":{"k":[1]}}`, ``}
	for _, raw := range raws {
		if n := srv.Inject("alice", []byte(raw)); n != 2 {
			t.Fatalf("Inject queued on %d connections, want 2", n)
		}
		for _, c := range []*client{a1, a2} {
			_ = c.ws.SetReadDeadline(time.Now().Add(waitLimit))
			mt, got, err := c.ws.ReadMessage()
			if err != nil || mt != websocket.TextMessage || string(got) != raw {
				t.Errorf("read %d %q %v, want text %q", mt, got, err, raw)
			}
		}
	}
	b.quiet()
	if n := srv.Inject("", []byte(`{}`)); n != 3 {
		t.Errorf("Inject to everyone queued on %d, want 3", n)
	}
	if n := srv.Inject("nobody", []byte(`{}`)); n != 0 {
		t.Errorf("Inject to an unknown user queued on %d", n)
	}
}

func TestRefuseUpgrades(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	h := http.Header{"Authorization": {"Bearer " + srv.IssueToken("alice")}}
	srv.RefuseUpgrades(2, 0)
	for i := range 2 {
		if got := dialStatus(t, srv.URL+"/chat", h); got != 503 {
			t.Errorf("upgrade %d: status %d, want 503", i, got)
		}
	}
	if got := dialStatus(t, srv.URL+"/chat", h); got != 101 {
		t.Errorf("third upgrade: status %d, want 101", got)
	}
	srv.RefuseUpgrades(1, http.StatusTooManyRequests)
	if got := dialStatus(t, srv.URL+"/chat?token=bad", nil); got != 429 {
		t.Errorf("status %d, want 429 (refusal comes before auth)", got)
	}
	srv.RefuseUpgrades(5, 502)
	srv.RefuseUpgrades(0, 0)
	if got := dialStatus(t, srv.URL+"/chat", h); got != 101 {
		t.Errorf("after cancelling: status %d", got)
	}
}

func TestStall(t *testing.T) {
	srv, fc := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	alice := connect(t, srv, "alice")
	bob := connect(t, srv, "bob")
	alice.expect(TypeUserStatus)

	srv.Stall(10 * time.Second)
	if !srv.Stalled() {
		t.Fatal("not stalled")
	}
	alice.send(TypePing, map[string]any{})
	alice.send(TypeChatMessage, map[string]any{"conversation_id": "c1", "content": "during stall"})
	_, err := srv.Post(Message{ConversationID: "c1", SenderID: "bob", Content: "queued"})
	mustNil(t, err)

	// Nothing comes back while stalled: no pong, no event. (A short wait
	// can only miss a bug, never fail a correct server.)
	_ = alice.ws.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, b, err := alice.ws.ReadMessage(); err == nil {
		t.Fatalf("read %s during the stall", b)
	}
	// The timed-out gorilla connection cannot read again; use bob from here,
	// and a new upgrade, which waits for the stall too.
	type dialed struct {
		ws  *websocket.Conn
		err error
	}
	dialDone := make(chan dialed, 1)
	go func() {
		ws, _, err := websocket.DefaultDialer.Dial(srv.URL+"/chat?token="+srv.IssueToken("carol"), nil)
		dialDone <- dialed{ws, err}
	}()

	fc.Advance(9 * time.Second)
	if !srv.Stalled() {
		t.Fatal("stall ended early")
	}
	fc.Advance(time.Second)
	if srv.Stalled() {
		t.Fatal("stall did not end")
	}
	if m := payloadOf[Message](t, bob.expect(TypeChatMessage)); m.Content != "queued" {
		t.Errorf("first after stall: %q", m.Content)
	}
	if m := payloadOf[Message](t, bob.expect(TypeChatMessage)); m.Content != "during stall" {
		t.Errorf("second after stall: %q", m.Content)
	}
	d := <-dialDone
	mustNil(t, d.err)
	defer d.ws.Close()
	_, b, err := d.ws.ReadMessage()
	mustNil(t, err)
	if f := string(b); len(f) < 30 || f[:30] != `{"type":"session.ready","paylo` {
		t.Errorf("after stall the new connection got %s", b)
	}
}

func TestStallOverflowCloses4008AndSyncRecovers(t *testing.T) {
	srv, fc := newTestServer(t, Options{SendQueueSize: 4})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	bob := connect(t, srv, "bob")
	srv.Stall(time.Second)
	for i := range 6 {
		_, err := srv.Post(Message{ConversationID: "c1", SenderID: "alice", Content: fmt.Sprint(i)})
		mustNil(t, err)
	}
	fc.Advance(time.Second)
	for i := range 4 {
		if m := payloadOf[Message](t, bob.expect(TypeChatMessage)); m.Content != fmt.Sprint(i) {
			t.Errorf("frame %d: %q", i, m.Content)
		}
	}
	if code, _ := bob.closeCode(); code != ClosePolicy {
		t.Errorf("close %d, want 4008", code)
	}
	bob2 := connect(t, srv, "bob")
	bob2.send(TypeSync, map[string]any{"since": bob.ready.LastSeq + 4})
	for i := 4; i < 6; i++ {
		if m := payloadOf[Message](t, bob2.expect(TypeChatMessage)); m.Content != fmt.Sprint(i) {
			t.Errorf("replayed %q, want %d", m.Content, i)
		}
	}
	if d := payloadOf[syncDonePayload](t, bob2.expect(TypeSyncDone)); d != (syncDonePayload{Replayed: 2, Complete: true}) {
		t.Errorf("sync.done %+v", d)
	}
}

// A client that stops reading is cut off (its queue overflows: 4008, or a
// write times out) while others keep receiving.
func TestSlowClientDoesNotStallOthers(t *testing.T) {
	srv, _ := newTestServer(t, Options{SendQueueSize: 8, WriteTimeout: 200 * time.Millisecond})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	connect(t, srv, "bob") // never reads after session.ready
	alice := connect(t, srv, "alice")
	alice.expect(TypeUserStatus)
	big := make([]byte, 64<<10)
	for i := range big {
		big[i] = 'x'
	}
	for i := 0; srv.Connections("bob") > 0; i++ {
		_, err := srv.Post(Message{ConversationID: "c1", SenderID: "alice", Content: string(big)})
		mustNil(t, err)
		alice.expect(TypeChatMessage) // alice keeps up and keeps receiving
		if i > 1000 {
			t.Fatal("the slow client was never cut off")
		}
	}
}

func TestStopStart(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	alice := connect(t, srv, "alice")
	_, err := srv.Post(Message{ConversationID: "c1", SenderID: "bob", Content: "kept"})
	mustNil(t, err)
	alice.expect(TypeChatMessage)
	url := srv.URL

	srv.Stop()
	if code, _ := alice.closeCode(); code != websocket.CloseAbnormalClosure {
		t.Errorf("close %d, want 1006", code)
	}
	_, _, err = websocket.DefaultDialer.Dial(url+"/chat?token="+srv.IssueToken("alice"), nil)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial while stopped: %v, want connection refused", err)
	}
	// Events while stopped are kept for sync.
	_, err = srv.Post(Message{ConversationID: "c1", SenderID: "bob", Content: "while down"})
	mustNil(t, err)
	srv.Stop() // idempotent

	mustNil(t, srv.Start())
	mustNil(t, srv.Start()) // idempotent
	if srv.URL != url {
		t.Errorf("URL changed: %s -> %s", url, srv.URL)
	}
	a2 := connect(t, srv, "alice")
	if a2.ready.LastSeq != alice.ready.LastSeq+2 {
		t.Errorf("last_seq %d, want %d", a2.ready.LastSeq, alice.ready.LastSeq+2)
	}
	a2.send(TypeSync, map[string]any{"since": alice.ready.LastSeq + 1})
	if m := payloadOf[Message](t, a2.expect(TypeChatMessage)); m.Content != "while down" {
		t.Errorf("replayed %q", m.Content)
	}
	if msgs, _ := srv.Messages("c1"); len(msgs) != 2 {
		t.Errorf("%d messages kept", len(msgs))
	}
}
