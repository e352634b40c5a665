package data_test

// The send ledger's promises, each played by a scripted server: a send
// ends exactly once, within the outbox TTL of its call, confirmed only by
// its own sender's echo; oversized messages never loop.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/domain"
)

type sendOutcome struct {
	msg domain.Message
	err error
}

// sendAsync calls SendMessage with context.Background() in the background.
func sendAsync(src *data.ChatWebSocketDataSource, content string) <-chan sendOutcome {
	out := make(chan sendOutcome, 1)
	go func() {
		m, err := src.SendMessage(context.Background(), domain.MessageDraft{ConversationID: "c1", Content: content})
		out <- sendOutcome{m, err}
	}()
	return out
}

// Client ids belong to their sender: another user's message with my
// pending send's client_id neither completes the send nor hides my
// message.
func TestAnotherSendersClientIDNeverConfirmsMySend(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	msgs := src.Messages(t.Context())
	conn := connectScript(t, srv, src, 0, "")

	res := sendAsync(src, "mine")
	cid := clientID(t, conn.expect(t, "chat.message"))
	conn.push(t, chatFrame(1, "m-bob", cid, "bob", "bob's, same client id"))
	if m := recv(t, msgs); m.ID != "m-bob" || m.SenderID != "bob" {
		t.Fatalf("first message %+v, want bob's", m)
	}
	select {
	case r := <-res:
		t.Fatalf("bob's message completed my send: %+v", r)
	case <-time.After(100 * time.Millisecond):
	}
	conn.push(t, chatFrame(2, "m-alice", cid, "alice", "mine"))
	r := recv(t, res)
	if r.err != nil || r.msg.ID != "m-alice" || r.msg.SenderID != "alice" {
		t.Fatalf("send ended with %+v, %v; want alice's m-alice", r.msg, r.err)
	}
	if m := recv(t, msgs); m.ID != "m-alice" {
		t.Fatalf("second message %q, want m-alice: both messages reach the app", m.ID)
	}
}

// A corrupt copy of my message (a seq absurdly far ahead) is reported and
// dropped; it does not confirm the send, which its real echo then does.
func TestCorruptCopyNeverConfirmsMySend(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	errs := src.Errors(t.Context())
	conn := connectScript(t, srv, src, 0, "")

	res := sendAsync(src, "mine")
	cid := clientID(t, conn.expect(t, "chat.message"))
	conn.push(t, chatFrame(1<<40, "m-corrupt", cid, "alice", "mine"))
	var de *domain.DecodeError
	if err := recv(t, errs); !errors.As(err, &de) {
		t.Fatalf("error %v, want a DecodeError for the corrupt seq", err)
	}
	conn.push(t, chatFrame(1, "m-alice", cid, "alice", "mine"))
	if r := recv(t, res); r.err != nil || r.msg.ID != "m-alice" {
		t.Fatalf("send ended with %+v, %v; want its real echo m-alice", r.msg, r.err)
	}
}

// A message written just before the connection died is written again on
// the next connection and confirmed there, though its caller passed
// context.Background().
func TestSendWrittenBeforeADropIsConfirmedAfterTheReconnect(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	conn := connectScript(t, srv, src, 0, "")

	res := sendAsync(src, "hello")
	cid := clientID(t, conn.expect(t, "chat.message"))
	conn.drop() // before any echo

	conn2 := srv.accept(t)
	conn2.ready(t, "s2", 0, "")
	conn2.expect(t, "sync")
	if again := clientID(t, conn2.expect(t, "chat.message")); again != cid {
		t.Fatalf("resent client_id %q, want %q", again, cid)
	}
	conn2.push(t, chatFrame(1, "m-1", cid, "alice", "hello"))
	if r := recv(t, res); r.err != nil || r.msg.ID != "m-1" {
		t.Fatalf("send ended with %+v, %v; want m-1", r.msg, r.err)
	}
	conn2.silent(t, 150*time.Millisecond) // confirmed: never written again
}

// A send that can never be confirmed ends with ErrSendExpired within the
// outbox TTL of its call, whether it was written or still queued, though
// its caller passed context.Background().
func TestEverySendEndsWithinTheOutboxTTL(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv, func(o *data.Options) { o.Connection.OutboxTTL = 500 * time.Millisecond })
	conn := connectScript(t, srv, src, 0, "")

	written := sendAsync(src, "written, never echoed")
	conn.expect(t, "chat.message")
	conn.drop()
	srv.refuse.Store(503) // the server stays away
	queued := sendAsync(src, "queued while offline")
	for name, res := range map[string]<-chan sendOutcome{"written": written, "queued": queued} {
		if r := recv(t, res); !errors.Is(r.err, domain.ErrSendExpired) {
			t.Errorf("%s send ended with %v, want ErrSendExpired", name, r.err)
		}
	}
}

// A send whose frame cannot even reach the socket (the transport's writer
// is stuck behind a frame the server does not drain) still ends with
// ErrSendExpired within the outbox TTL of its call.
func TestASendStuckBehindAStalledWriterEndsWithinTheOutboxTTL(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv, func(o *data.Options) {
		o.Connection.OutboxTTL = 300 * time.Millisecond
		o.Transport = func() network.WebSocketClient {
			return stalledChat{network.NewGorillaClient(network.GorillaOptions{})}
		}
	})
	connectScript(t, srv, src, 0, "")
	if r := recv(t, sendAsync(src, "stuck")); !errors.Is(r.err, domain.ErrSendExpired) {
		t.Fatalf("send ended with %v, want ErrSendExpired", r.err)
	}
}

// stalledChat is a transport whose writer never gets to a chat.message
// frame: Send waits for ctx, as a frame queued behind a stuck write does.
type stalledChat struct{ network.WebSocketClient }

func (c stalledChat) Send(ctx context.Context, data []byte) error {
	if strings.Contains(string(data), `"chat.message"`) {
		<-ctx.Done()
		return ctx.Err()
	}
	return c.WebSocketClient.Send(ctx, data)
}

// A server that announces max_frame_bytes never receives a message over
// it: queued ones fail with ErrFrameTooLarge at session.ready, before any
// chat frame is written, and later ones fail at once.
func TestAnnouncedFrameLimitIsCheckedBeforeWriting(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	big := strings.Repeat("x", 2000)
	// Sent before the first connection: queued.
	res := sendAsync(src, big)
	small := sendAsync(src, "small")
	time.Sleep(20 * time.Millisecond) // both queued before the connect

	done := make(chan error, 1)
	go func() { done <- src.Connect(context.Background(), "token") }()
	conn := srv.accept(t)
	conn.silent(t, 100*time.Millisecond) // nothing before session.ready
	conn.ready(t, "s1", 0, `"max_frame_bytes":1024`)
	if err := recv(t, done); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, res); !errors.Is(r.err, domain.ErrFrameTooLarge) {
		t.Fatalf("queued big message: %v, want ErrFrameTooLarge", r.err)
	}
	f := conn.expect(t, "chat.message")
	if strings.Contains(string(f.Payload), big) {
		t.Fatal("the big message was written")
	}
	conn.push(t, chatFrame(1, "m-1", clientID(t, f), "alice", "small"))
	if r := recv(t, small); r.err != nil {
		t.Fatal(r.err)
	}
	if _, err := src.SendMessage(t.Context(), domain.MessageDraft{ConversationID: "c1", Content: big}); !errors.Is(err, domain.ErrFrameTooLarge) {
		t.Fatalf("big message while connected: %v, want ErrFrameTooLarge", err)
	}
	conn.silent(t, 100*time.Millisecond)
}

// message.read and call.* frames queued before the limit was announced
// are checked against it too: the one over it fails with ErrFrameTooLarge
// and is never written (a 4009 would fail an innocent chat message), the
// one under it goes out.
func TestQueuedReceiptOverTheAnnouncedLimitIsNeverWritten(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	bigID := strings.Repeat("m", 2000)
	bigRes, smallRes := make(chan error, 1), make(chan error, 1)
	go func() { bigRes <- src.MarkRead(context.Background(), "c1", bigID) }()
	time.Sleep(20 * time.Millisecond) // queued in this order before the connect
	go func() { smallRes <- src.MarkRead(context.Background(), "c1", "m-1") }()
	time.Sleep(20 * time.Millisecond)

	conn := connectScript(t, srv, src, 0, `"max_frame_bytes":1024`)
	if err := recv(t, bigRes); !errors.Is(err, domain.ErrFrameTooLarge) {
		t.Fatalf("queued receipt over the limit: %v, want ErrFrameTooLarge", err)
	}
	if f := conn.expect(t, "message.read"); strings.Contains(string(f.Payload), bigID) {
		t.Fatal("the receipt over the limit was written")
	}
	if err := recv(t, smallRes); err != nil {
		t.Fatal(err)
	}
	if err := src.MarkRead(t.Context(), "c1", bigID); !errors.Is(err, domain.ErrFrameTooLarge) {
		t.Fatalf("receipt over the limit while connected: %v, want ErrFrameTooLarge", err)
	}
	conn.silent(t, 100*time.Millisecond)
}

// A second session.ready on the same connection that lowers the limit is
// obeyed from then on, like the first.
func TestALaterSessionReadyChangesTheFrameLimit(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	states := src.ConnectionStates(t.Context())
	conn := connectScript(t, srv, src, 0, `"max_frame_bytes":65536`)
	conn.push(t, `{"type":"session.ready","payload":{"user_id":"alice","session_id":"s2","last_seq":0,"max_frame_bytes":1024}}`)
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.SessionID == "s2" })
	big := strings.Repeat("x", 2000)
	if _, err := src.SendMessage(t.Context(), domain.MessageDraft{ConversationID: "c1", Content: big}); !errors.Is(err, domain.ErrFrameTooLarge) {
		t.Fatalf("message over the new limit: %v, want ErrFrameTooLarge", err)
	}
	conn.silent(t, 100*time.Millisecond)
}

// A server that hides its limit and closes with 4009 gets the culprit
// failed with ErrFrameTooLarge and never resent: one reconnect, no loop,
// and the other pending message is still delivered.
func TestClose4009FailsTheCulpritAndNeverLoops(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	errs := src.Errors(t.Context())
	conn := connectScript(t, srv, src, 0, "")

	bigRes := sendAsync(src, strings.Repeat("y", 4000))
	bigID := clientID(t, conn.expect(t, "chat.message"))
	smallRes := sendAsync(src, "small")
	smallID := clientID(t, conn.expect(t, "chat.message"))
	conn.closeWith(4009, "frame too large")

	if r := recv(t, bigRes); !errors.Is(r.err, domain.ErrFrameTooLarge) {
		t.Fatalf("culprit ended with %v, want ErrFrameTooLarge", r.err)
	}
	conn2 := srv.accept(t)
	conn2.ready(t, "s2", 0, "")
	conn2.expect(t, "sync")
	f := conn2.expect(t, "chat.message")
	if got := clientID(t, f); got != smallID || got == bigID {
		t.Fatalf("resent %q, want only the small message %q", got, smallID)
	}
	conn2.push(t, chatFrame(1, "m-1", smallID, "alice", "small"))
	if r := recv(t, smallRes); r.err != nil {
		t.Fatal(r.err)
	}
	conn2.silent(t, 200*time.Millisecond)
	if n := srv.upgrades.Load(); n != 2 {
		t.Errorf("%d connections, want 2: one reconnect after 4009", n)
	}
	e := recv(t, errs)
	if !errors.Is(e, domain.ErrFrameTooLarge) {
		t.Errorf("error reported: %v, want the 4009 close", e)
	}
}

// A 4009 right after a big call.* frame blames no smaller chat message:
// whatever limit the message broke, the bigger frame broke too. The
// message is resent on the next connection and confirmed there.
func TestClose4009AfterABigCallFrameFailsNoSmallerMessage(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	conn := connectScript(t, srv, src, 0, "")

	res := sendAsync(src, "small")
	id := clientID(t, conn.expect(t, "chat.message"))
	offer := domain.CallSignal{Kind: domain.SignalOffer, CallID: "call-1", To: "bob", Signal: []byte(`"` + strings.Repeat("s", 4000) + `"`)}
	if err := src.SendCallSignal(t.Context(), offer); err != nil {
		t.Fatal(err)
	}
	conn.expect(t, "call.offer")
	conn.closeWith(4009, "frame too large")

	conn2 := srv.accept(t)
	conn2.ready(t, "s2", 0, "")
	conn2.expect(t, "sync")
	if got := clientID(t, conn2.expect(t, "chat.message")); got != id {
		t.Fatalf("resent %q, want %q", got, id)
	}
	conn2.push(t, chatFrame(1, "m-1", id, "alice", "small"))
	if r := recv(t, res); r.err != nil {
		t.Fatalf("the small message ended with %v, want confirmed", r.err)
	}
}

// Cancelling a send still waiting for its first connection guarantees it
// is never written; the ledger forgets it.
func TestSendCancelledWhileQueuedIsNeverWritten(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	ctx, cancel := context.WithCancel(t.Context())
	res := make(chan error, 1)
	go func() {
		_, err := src.SendMessage(ctx, domain.MessageDraft{ConversationID: "c1", Content: "never"})
		res <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := recv(t, res); !errors.Is(err, context.Canceled) || errors.Is(err, data.ErrUnconfirmed) {
		t.Fatalf("cancelled send: %v, want context.Canceled, not unconfirmed", err)
	}
	conn := connectScript(t, srv, src, 0, "")
	conn.silent(t, 150*time.Millisecond)
}
