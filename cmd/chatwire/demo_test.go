package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// The whole demo, on a fast timeline, through the command line: it exits 0,
// its checks pass, and the transcript tells the story.
func TestDemo(t *testing.T) {
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"demo", "--beat", "40ms", "--downtime", "300ms", "--reconnect-delay", "50ms"},
		strings.NewReader(""), &stdout, &stderr)
	out := stdout.String()
	if code != exitOK {
		t.Fatalf("exit code %d; stderr:\n%s\ntranscript:\n%s", code, &stderr, out)
	}
	want := [][]string{
		// Live chat, as each user sees it.
		{"bob", "message", "general", `alice: "hi bob, hi carol"`},
		{"carol", "message", "general", `alice: "hi bob, hi carol"`},
		{"alice", "sending", "general", `"hi bob, hi carol"`},
		{"alice", "sent", "general", `alice: "hi bob, hi carol" (confirmed`},
		{"alice", "typing", "general", "bob is typing"},
		{"bob", "message", "dm-alice-bob", `alice: "lunch at noon?"`},
		// Read receipts move alice's messages to read.
		{"alice", "receipt", "general", "bob read up to"},
		{"alice", "msgstate", "general", `read by others: "hi bob, hi carol"`},
		{"alice", "msgstate", "dm-alice-bob", `read by others: "lunch at noon?"`},
		// Carol goes offline, comes back and catches up.
		{"alice", "presence", "carol is offline"},
		{"carol", "sync", "catching up"},
		{"carol", "sync", "sync complete"},
		{"carol", "message", "general", `alice: "carol, this waits for you"`},
		// The call.
		{"alice", "callstate", "outgoing ringing: calling bob"},
		{"bob", "call", "incoming audio call"},
		{"bob", "callstate", "incoming ringing: alice is calling"},
		{"bob", "callstate", "active"},
		{"alice", "callstate", "active"},
		{"alice", "callstate", "ended by alice"},
		{"bob", "call", "ended by alice"},
		// The outage: reconnect with attempt and delay, sync, nothing lost.
		{"server", "fault", "server stops"},
		{"alice", "conn", "reconnecting: attempt 1 in"},
		{"server", "fault", "server starts again"},
		{"bob", "sync", "sync complete"},
		{"bob", "message", "general", `alice: "anyone there? (sent while the server is down)"`},
		{"carol", "message", "general", `bob: "my connection dropped too"`},
		{"bob", "message", "dm-alice-bob", `alice: "if you read this, nothing was lost"`},
		{"alice", "message", "general", `carol: "queued on my side as well"`},
		// The final checks.
		{"demo", "check", "ok", "reached every member exactly once"},
		{"demo", "check", "ok", "the server stored each of the"},
		{"demo", "check", "ok", "in the order they were sent"},
		{"demo", "check", "ok", "no goroutine left"},
		{"demo", "info", "every invariant holds"},
	}
	for _, parts := range want {
		if eventLine(out, parts[0], parts[1], parts[2:]...) == "" {
			t.Errorf("no transcript line with %q", parts)
		}
	}
	if strings.Contains(out, "FAIL") {
		t.Errorf("a check failed:\n%s", out)
	}
	// Carol's replayed message comes after she catches up.
	if i, j := strings.Index(out, "carol comes back"), strings.Index(out, eventLine(out, "carol", "message", "carol, this waits for you")); i < 0 || j < i {
		t.Errorf("carol received the missed message before she came back")
	}
	if testing.Verbose() {
		t.Logf("transcript:\n%s", out)
	}
}

// verify catches a duplicate, a missing delivery and a reordering: the
// demo's checks can fail.
func TestVerifyDetectsViolations(t *testing.T) {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	if err := srv.CreateConversation(general, "", alice, bob, carol); err != nil {
		t.Fatal(err)
	}
	var sent []domain.Message
	for _, text := range []string{"one", "two"} {
		m, err := srv.Post(chattest.Message{ConversationID: general, SenderID: alice, Content: text, ClientID: "c-" + text})
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, domain.Message{ID: m.ID, ClientID: m.ClientID, ConversationID: general, SenderID: alice, Content: text})
	}
	var out strings.Builder
	d := &demo{tr: newTranscript(&out, nil, true), srv: srv, users: map[string]*demoUser{}, sent: sent}
	for _, u := range []string{alice, bob, carol} {
		d.users[u] = &demoUser{id: u, rec: newRecorder()}
	}
	d.users[alice].rec.add(sent[0])
	d.users[alice].rec.add(sent[1])
	d.users[bob].rec.add(sent[0])
	d.users[bob].rec.add(sent[0]) // duplicate
	d.users[bob].rec.add(sent[1])
	d.users[carol].rec.add(sent[1]) // reordered
	d.users[carol].rec.add(sent[0])

	problems := strings.Join(d.verify(), "\n")
	for _, want := range []string{`bob received "one" 2 times`, "carol received alice's messages in general out of order"} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems lack %q:\n%s", want, problems)
		}
	}
	if lineWith(out.String(), "check", "FAIL", "exactly once") == "" {
		t.Errorf("no FAIL check line:\n%s", &out)
	}

	// And a clean record passes.
	d.users[bob].rec = newRecorder()
	d.users[carol].rec = newRecorder()
	for _, u := range []string{bob, carol} {
		d.users[u].rec.add(sent[0])
		d.users[u].rec.add(sent[1])
	}
	if p := d.verify(); len(p) != 0 {
		t.Errorf("a clean record has problems: %v", p)
	}
}

// The demo stops early, and cleanly, when its context ends.
func TestDemoCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := newSyncBuffer()
	done := make(chan error, 1)
	go func() { done <- runDemo(ctx, out, demoOptions{Beat: 20 * time.Millisecond}) }()
	out.waitFor(t, "chat in general")
	cancel()
	if err := <-done; err == nil {
		t.Fatal("runDemo returned nil after cancel")
	}
}
