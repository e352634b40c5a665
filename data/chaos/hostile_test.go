package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// Expected outcome of a hostile frame.
type outcome int

const (
	decodeError outcome = iota // one non-fatal ClassDecode error matching domain.ErrMalformed
	// decodeErrorOrSanitized: a decode error, or (encoding/json's choice)
	// the message delivered with invalid bytes replaced by U+FFFD.
	decodeErrorOrSanitized
	noError // nothing on Errors, nothing delivered
	// noErrorOrDecodeError: an unknown type after U+FFFD replacement (raw
	// stream only), or a decode error.
	noErrorOrDecodeError
	tooLarge // domain.ErrFrameTooLarge, then a reconnect
)

type hostileCase struct {
	name   string
	frames [][]byte
	want   outcome
}

func frame(s string) [][]byte { return [][]byte{[]byte(s)} }

var hostileIDs atomic.Int64

// msg is a chat.message frame whose payload is the valid one with field
// replaced by raw JSON (or removed when raw is "").
func msg(seq, field, raw string) string {
	fields := []struct{ k, v string }{
		{"id", fmt.Sprintf(`"hostile-%d"`, hostileIDs.Add(1))}, {"client_id", `"c-1"`}, {"conversation_id", `"general"`},
		{"sender_id", `"mallory"`}, {"content", `"hi"`}, {"kind", `"text"`},
		{"created_at", `"2026-01-02T03:04:05Z"`}, {"reply_to", `"m-0"`},
		{"attachments", `[{"url":"https://x/y","name":"y","mime":"text/plain","size":1}]`},
	}
	var b strings.Builder
	b.WriteString(`{"type":"chat.message"`)
	if seq != "" {
		b.WriteString(`,"seq":` + seq)
	}
	b.WriteString(`,"payload":{`)
	first := true
	for _, f := range fields {
		v := f.v
		if f.k == field {
			if raw == "" {
				continue
			}
			v = raw
		}
		if !first {
			b.WriteString(",")
		}
		first = false
		b.WriteString(`"` + f.k + `":` + v)
	}
	b.WriteString("}}")
	return b.String()
}

func hostileCases() []hostileCase {
	cases := []hostileCase{
		{"invalid UTF-8 in the type", frame("{\"type\":\"chat.message\xff\",\"payload\":{}}"), noErrorOrDecodeError},
		{"invalid UTF-8 in content", frame(msg("", "content", "\"bad \xc3\x28 bytes\"")), decodeErrorOrSanitized},
		{"lone surrogate escape in content", frame(msg("", "content", `"\ud800"`)), decodeErrorOrSanitized},
		{"deeply nested payload", frame(`{"type":"chat.message","payload":{"x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}}`), decodeError},
		{"deeply nested envelope", frame(strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)), decodeError},
		{"huge seq literal", frame(msg("1e400", "", "")), decodeError},
		{"seq overflowing int64", frame(msg("9223372036854775808", "", "")), decodeError},
		{"negative seq", frame(msg("-1", "", "")), decodeError},
		{"fractional seq", frame(msg("1.5", "", "")), decodeError},
		{"seq as string", frame(msg(`"7"`, "", "")), decodeError},
		{"huge attachment size", frame(msg("", "attachments", `[{"url":"u","size":1e400}]`)), decodeError},
		{"type as number", frame(`{"type":7,"payload":{}}`), decodeError},
		{"payload as string", frame(`{"type":"chat.message","payload":"{}"}`), decodeError},
		{"payload as array", frame(`{"type":"typing.indicator","payload":[]}`), decodeError},
		{"missing type", frame(`{"payload":{}}`), decodeError},
		{"missing payload", frame(`{"type":"chat.message"}`), decodeError},
		{"empty frame", frame(``), decodeError},
		{"JSON null", frame(`null`), decodeError},
		{"trailing garbage", frame(msg("", "", "") + `}`), decodeError},
		{"typing without user_id", frame(`{"type":"typing.indicator","payload":{"conversation_id":"general","is_typing":true}}`), decodeError},
		{"error without code", frame(`{"type":"error","payload":{"message":"x"}}`), decodeError},
		{"unknown type", frame(`{"type":"x.future","payload":{"anything":[1,2,3]}}`), noError},
	}
	// Wrong types for every field of chat.message, and missing required ones.
	wrong := map[string][]string{
		"id": {`5`, `true`, `{}`}, "client_id": {`5`}, "conversation_id": {`5`, `null`, `[]`},
		"sender_id": {`false`}, "content": {`{}`, `12`}, "kind": {`3`}, "created_at": {`12`, `"yesterday"`},
		"reply_to": {`[]`}, "attachments": {`{}`, `"x"`, `[{"size":"big"}]`, `[{"url":5}]`},
	}
	for field, vals := range wrong {
		for _, v := range vals {
			// null leaves a required field empty, so it is refused too.
			cases = append(cases, hostileCase{fmt.Sprintf("%s as %s", field, v), frame(msg("", field, v)), decodeError})
		}
	}
	for _, field := range []string{"id", "conversation_id", "sender_id"} {
		cases = append(cases, hostileCase{"missing " + field, frame(msg("", field, "")), decodeError})
	}
	flood := func(n int, f string) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = []byte(f)
		}
		return out
	}
	cases = append(cases,
		hostileCase{"flood of 2000 unknown types", flood(2000, `{"type":"x.unknown","payload":{}}`), noError},
		hostileCase{"frame over the read limit", [][]byte{[]byte(`{"type":"chat.message","payload":{"content":"` + strings.Repeat("a", 2<<20) + `"}}`)}, tooLarge},
	)
	return cases
}

// hostileSession is alice, connected straight to the reference server, with
// her streams.
type hostileSession struct {
	srv    *chattest.Server
	alice  *data.ChatWebSocketDataSource
	msgs   <-chan domain.Message
	errs   <-chan error
	typing <-chan domain.TypingIndicator
	posted int
}

func newHostileSession(t *testing.T) *hostileSession {
	t.Helper()
	// The server's send queue must hold a flood injected at once.
	srv := chattest.NewServer(chattest.Options{SendQueueSize: 16384})
	t.Cleanup(srv.Close)
	if err := srv.CreateConversation("general", "", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	conn := chaosConnection
	alice, err := data.New(data.Options{
		BaseURL:     srv.URL,
		TokenSource: func(context.Context) (string, error) { return srv.IssueToken("alice"), nil },
		Connection:  conn,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = alice.Close() })
	h := &hostileSession{srv: srv, alice: alice,
		msgs: alice.Messages(t.Context()), errs: alice.Errors(t.Context()), typing: alice.Typing(t.Context())}
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	if err := alice.Connect(ctx, srv.IssueToken("alice")); err != nil {
		t.Fatal(err)
	}
	for alice.ConnectionState().UserID == "" {
		time.Sleep(2 * time.Millisecond)
	}
	return h
}

// realMessage posts a message from bob and returns what alice received up
// to and including it, and the errors reported before it.
func (h *hostileSession) realMessage(t *testing.T) (before []domain.Message, got domain.Message, errs []error) {
	t.Helper()
	h.posted++
	m, err := h.srv.Post(chattest.Message{ConversationID: "general", SenderID: "bob", Content: fmt.Sprintf("real %d", h.posted)})
	if err != nil {
		t.Error(err)
		return nil, got, nil
	}
	deadline := time.After(waitFor)
	for {
		var ok bool
		select {
		case got, ok = <-h.msgs:
			if !ok {
				t.Errorf("the message stream closed before %q arrived", m.Content)
				return before, got, errs
			}
			if got.ID == m.ID {
				for {
					select {
					case err := <-h.errs:
						errs = append(errs, err)
					default:
						return before, got, errs
					}
				}
			}
			before = append(before, got)
		case <-deadline:
			t.Errorf("the real message %q never arrived: the session did not go on", m.Content)
			return before, got, errs
		}
	}
}

// Every hostile frame yields the right classified error (or none), nothing
// it carries is delivered as a message, and the session goes on: a real
// message still arrives afterwards, on the same connection unless the frame
// was over the read limit.
func TestHostileInput(t *testing.T) {
	h := newHostileSession(t)
	h.realMessage(t)
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			session := h.alice.ConnectionState().SessionID
			for _, f := range tc.frames {
				if n := h.srv.Inject("alice", f); n != 1 {
					t.Fatalf("injected on %d connections", n)
				}
			}
			before, _, errs := h.realMessage(t)
			sanitized := false
			for _, m := range before {
				if m.SenderID == "mallory" && tc.want == decodeErrorOrSanitized && utf8.ValidString(m.Content) {
					sanitized = true
					continue
				}
				if m.SenderID == "mallory" {
					t.Errorf("a hostile frame was delivered: %+v", m)
				}
				if !utf8.ValidString(m.Content) {
					t.Errorf("delivered invalid UTF-8: %q", m.Content)
				}
			}
			want := tc.want
			switch {
			case want == decodeErrorOrSanitized && sanitized:
				t.Logf("delivered with U+FFFD replacement")
				want = noError
			case want == decodeErrorOrSanitized:
				want = decodeError
			case want == noErrorOrDecodeError && len(errs) == 0:
				want = noError
			case want == noErrorOrDecodeError:
				want = decodeError
			}
			switch want {
			case decodeError:
				if len(errs) != len(tc.frames) {
					t.Fatalf("%d errors, want %d: %v", len(errs), len(tc.frames), errs)
				}
				for _, err := range errs {
					var de *domain.Error
					var dec *domain.DecodeError
					if !errors.As(err, &de) || de.Class != domain.ClassDecode || de.Fatal ||
						!errors.Is(err, domain.ErrMalformed) || !errors.As(err, &dec) {
						t.Errorf("error %v, want a non-fatal decode error matching ErrMalformed", err)
					}
				}
			case noError:
				if len(errs) != 0 {
					t.Errorf("%d errors for frames that are not errors: %v", len(errs), errs[0])
				}
			case tooLarge:
				found := false
				for _, err := range errs {
					found = found || errors.Is(err, domain.ErrFrameTooLarge)
				}
				if !found {
					t.Errorf("errors %v, want one matching ErrFrameTooLarge", errs)
				}
			}
			if tc.want != tooLarge && h.alice.ConnectionState().SessionID != session {
				t.Errorf("the connection was replaced; a bad frame must not cost the session")
			}
			if st := h.alice.ConnectionState().Status; st != domain.Connected {
				t.Errorf("status %v after the frame, want connected", st)
			}
		})
	}
}

// A flood of typing frames reaches a reading subscriber whole: delivery is
// lossless, so the subscriber is never cut off while it reads; the session
// goes on and chat messages are not held up.
func TestHostileTypingFlood(t *testing.T) {
	h := newHostileSession(t)
	const n = 5000
	counted := make(chan int)
	go func() {
		c := 0
		for range h.typing {
			if c++; c == n {
				break
			}
		}
		counted <- c
	}()
	f := []byte(`{"type":"typing.indicator","payload":{"conversation_id":"general","user_id":"bob","is_typing":true}}`)
	for range n {
		h.srv.Inject("alice", f)
	}
	_, _, errs := h.realMessage(t)
	for _, err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	select {
	case got := <-counted:
		if got != n {
			t.Errorf("%d of %d typing frames delivered to a reading subscriber", got, n)
		}
	case <-time.After(time.Minute): // a hang guard
		t.Errorf("the typing subscriber never got all %d frames", n)
	}
	_ = h.alice.Close()
}

// Replays: a frame carrying a seq already processed (the exact frame again,
// or a new id under an old seq) is dropped without an error.
func TestHostileReplayWithOldSeq(t *testing.T) {
	h := newHostileSession(t)
	raw := h.alice.RawMessages(t.Context())
	_, real, _ := h.realMessage(t)
	var replay []byte
	for f := range raw {
		if f.Type == "chat.message" && f.Seq == real.Seq {
			replay = f.Data
			break
		}
	}
	h.srv.Inject("alice", replay)
	h.srv.Inject("alice", []byte(strings.Replace(string(replay), real.ID, "forged-id", 1)))
	before, _, errs := h.realMessage(t)
	if len(before) != 0 {
		t.Errorf("replays were delivered: %+v", before)
	}
	if len(errs) != 0 {
		t.Errorf("replays raised errors: %v", errs)
	}
}

// A frame with a valid but absurd seq (far beyond anything the server
// issued) must not make the SDK drop every later real event as "already
// processed".
func TestHostileSeqFarAheadDoesNotSilenceTheSession(t *testing.T) {
	h := newHostileSession(t)
	h.realMessage(t)
	h.srv.Inject("alice", []byte(msg("9223372036854775807", "", "")))
	h.srv.Inject("alice", []byte(`{"type":"x.barrier","payload":{}}`))
	// The next real message has a small seq; it must still be delivered.
	m, err := h.srv.Post(chattest.Message{ConversationID: "general", SenderID: "bob", Content: "after the absurd seq"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case got := <-h.msgs:
			if got.ID == m.ID {
				return
			}
		case <-deadline:
			t.Fatalf("after a frame with seq 2^63-1, a real message (seq %d) was dropped as a replay", h.srv.LastSeq("alice"))
		}
	}
}
