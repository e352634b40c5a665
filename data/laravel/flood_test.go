package laravel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/data/laravel"
)

// floodServer is a Pusher-protocol server on loopback that confirms every
// public subscription and then writes n MessageSent events on "flood" as
// fast as the socket takes them.
func floodServer(t *testing.T, n int) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up := websocket.Upgrader{}
	done := make(chan struct{})
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"event":"pusher:connection_established","data":"{\"socket_id\":\"1.1\",\"activity_timeout\":120}"}`))
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			f, err := pusher.DecodeFrame(b)
			if err != nil || f.Event != pusher.EventSubscribe {
				continue
			}
			var d struct{ Channel string }
			_ = json.Unmarshal(f.Payload(), &d)
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"event":"pusher_internal:subscription_succeeded","channel":"`+d.Channel+`","data":"{}"}`))
			if d.Channel != "flood" {
				continue
			}
			go func() { // drain pings and the close
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						return
					}
				}
			}()
			for i := range n {
				data := fmt.Sprintf(`{\"message\":{\"id\":\"m%d\",\"conversation_id\":\"flood\",\"sender_id\":\"2\",\"content\":\"Running late, start without me!\"}}`, i)
				if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"event":"App\\Events\\MessageSent","channel":"flood","data":"`+data+`"}`)); err != nil {
					return
				}
			}
			<-done
			return
		}
	})}}
	srv.Start()
	t.Cleanup(func() { close(done); srv.Close() })
	return l.Addr().String()
}

// Issue 12, defect 7: a flood far beyond the protocol client's buffers
// reaches a subscriber that keeps draining, whole and in order, with
// nothing reported: the data source reads the protocol client losslessly.
// The typed streams' own buffer holds the whole flood here, so that only
// the path from the socket to the data source is under test (the typed streams
// are data/internal/streams', tested there).
func TestFloodIsLossless(t *testing.T) {
	const n = 30000
	host := floodServer(t, n)
	src, err := laravel.New(laravel.Options{
		Host: host, Key: "k",
		AuthEndpoint:        "http://127.0.0.1:1/never-asked",
		DisableUserChannel:  true,
		DisablePresence:     true,
		ConversationChannel: "{id}",
		Conversations:       []string{"flood"},
		StreamBuffer:        n,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	msgs, errs := src.Messages(ctx), src.Errors(ctx)
	if err := src.Connect(ctx, "token"); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	for i := range n {
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatalf("messages stream closed after %d of %d", i, n)
			}
			if want := "m" + strconv.Itoa(i); m.ID != want {
				t.Fatalf("message %d is %s, want %s: a gap", i, m.ID, want)
			}
		case err := <-errs:
			t.Fatalf("after %d of %d messages: %v", i, n, err)
		case <-ctx.Done():
			t.Fatalf("%d of %d messages", i, n)
		}
	}
	select {
	case err := <-errs:
		t.Fatalf("error after the flood: %v", err)
	default:
	}
}
