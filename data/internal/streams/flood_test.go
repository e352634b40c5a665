package streams_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/domain"
)

// floodServer is a loopback chat server that sends session.ready, then n
// chat.message frames (seq 1..n) as fast as its socket takes them.
func floodServer(t *testing.T, n int) string {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		go func() { // discard pings; end with the client
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
		if c.WriteMessage(websocket.TextMessage, []byte(`{"type":"session.ready","payload":{"user_id":"u1","session_id":"s1","last_seq":0}}`)) != nil {
			return
		}
		var b []byte
		for seq := 1; seq <= n; seq++ {
			b = append(b[:0], `{"type":"chat.message","seq":`...)
			b = strconv.AppendInt(b, int64(seq), 10)
			b = append(b, `,"payload":{"id":"m`...)
			b = strconv.AppendInt(b, int64(seq), 10)
			b = append(b, `","conversation_id":"c1","sender_id":"u2","content":"Running late, start without me!","kind":"text","created_at":"2026-11-22T10:15:30.123Z"}}`...)
			if c.WriteMessage(websocket.TextMessage, b) != nil {
				return
			}
		}
		<-done
	}))
	t.Cleanup(func() {
		close(done)
		srv.Close()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// A flood written as fast as the server can into an application that
// drains more slowly than that: every message arrives, in order, and no
// subscriber is cut off. The publisher waits for the application, which holds
// back the socket (TCP flow control) instead of a message being dropped.
// The long version (1,000,000 messages, client memory measured) is
// TestLoadFlood in data/chaos.
func TestDataSourceFloodIsLossless(t *testing.T) {
	const n = 20_000
	src, err := data.New(data.Options{BaseURL: floodServer(t, n)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx := t.Context()
	msgs := src.Messages(ctx)
	raw := src.RawMessages(ctx)
	errs := src.Errors(ctx)

	rawDone := make(chan int)
	go func() { // a second application subscriber, draining at full speed
		count := 0
		for range raw {
			count++
			if count == n+1 { // session.ready and the messages
				break
			}
		}
		rawDone <- count
	}()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := src.Connect(cctx, "token"); err != nil {
		t.Fatal(err)
	}

	deadline := time.After(2 * time.Minute) // a hang guard, not a speed target
	for want := int64(1); want <= n; want++ {
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatalf("Messages closed after %d of %d", want-1, n)
			}
			if m.Seq != want || m.ID != "m"+strconv.FormatInt(want, 10) {
				t.Fatalf("message %d: seq %d id %q", want, m.Seq, m.ID)
			}
		case err := <-errs:
			t.Fatalf("error during the flood: %v", err)
		case <-deadline:
			t.Fatalf("%d of %d messages after 2 minutes", want-1, n)
		}
		if want%500 == 0 {
			time.Sleep(time.Millisecond) // the application is busy now and then
		}
	}
	select {
	case got := <-rawDone:
		if got != n+1 {
			t.Fatalf("RawMessages got %d frames, want %d", got, n+1)
		}
	case <-deadline:
		t.Fatal("RawMessages never got every frame")
	}
	select {
	case err := <-errs:
		if errors.Is(err, domain.ErrSlowConsumer) {
			t.Fatalf("a draining subscriber was cut off: %v", err)
		}
		t.Fatalf("error: %v", err)
	default:
	}
	if st := src.ConnectionState().Status; st != domain.Connected {
		t.Fatalf("status %v after the flood, want connected", st)
	}
}
