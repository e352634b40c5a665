package laravel_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/data/laravel"
)

// tickServer is a Pusher-protocol server on loopback that confirms every
// public subscription and, while "feed" is subscribed, writes a "tick"
// event on it every millisecond, until the test ends. subscribed reports
// whether the latest connection has "feed" subscribed.
func tickServer(t *testing.T) (host string, subscribed func() bool) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up := websocket.Upgrader{}
	done := make(chan struct{})
	var (
		wg   sync.WaitGroup
		feed atomic.Bool
	)
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		var (
			wmu sync.Mutex
			on  bool
		)
		write := func(s string) error {
			wmu.Lock()
			defer wmu.Unlock()
			return ws.WriteMessage(websocket.TextMessage, []byte(s))
		}
		if write(`{"event":"pusher:connection_established","data":"{\"socket_id\":\"1.1\",\"activity_timeout\":120}"}`) != nil {
			return
		}
		gone := make(chan struct{})
		defer close(gone)
		wg.Add(1)
		go func() { // the ticks
			defer wg.Done()
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-tick.C:
				case <-gone:
					return
				case <-done:
					return
				}
				wmu.Lock()
				send := on
				wmu.Unlock()
				if send && write(`{"event":"tick","channel":"feed","data":"{}"}`) != nil {
					return
				}
			}
		}()
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			f, err := pusher.DecodeFrame(b)
			if err != nil || (f.Event != pusher.EventSubscribe && f.Event != pusher.EventUnsubscribe) {
				continue
			}
			var d struct{ Channel string }
			_ = json.Unmarshal(f.Payload(), &d)
			if d.Channel != "feed" {
				continue
			}
			wmu.Lock()
			on = f.Event == pusher.EventSubscribe
			wmu.Unlock()
			feed.Store(on)
			if on {
				_ = write(`{"event":"pusher_internal:subscription_succeeded","channel":"feed","data":"{}"}`)
			}
		}
	})}}
	srv.Start()
	t.Cleanup(func() { close(done); srv.Close(); wg.Wait() })
	return l.Addr().String(), feed.Load
}

// Echo's promise: a listener gets the channel's events from the moment
// Listen returns until the channel is left, when its stream closes. So
// whatever the order Listen and a concurrent LeaveChannel take, the
// outcome is one of the two: the stream is open and the channel subscribed
// on the server (Listen came last), or the stream closed and the channel
// unsubscribed (LeaveChannel came last); never an open stream on a channel
// left, nor a subscription nobody listens to. Events flow all along.
func TestListenRacesLeave(t *testing.T) {
	host, subscribed := tickServer(t)
	src, err := laravel.New(laravel.Options{
		Host: host, Key: "k",
		AuthEndpoint:       "http://127.0.0.1:1/never-asked",
		DisableUserChannel: true,
		DisablePresence:    true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	ctx := testCtx(t)
	if err := src.Connect(ctx, "token"); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	feed := src.Channel("feed")

	for i := range 2000 {
		left := make(chan error, 1)
		go func() { left <- src.LeaveChannel(ctx, "feed") }()
		st := feed.Listen(ctx, ".tick")
		if err := <-left; err != nil {
			t.Fatalf("LeaveChannel: %v", err)
		}
		if closed(st) {
			eventually(t, fmt.Sprintf("round %d: the stream closed; the server sees the channel left", i), func() bool { return !subscribed() })
			continue
		}
		eventually(t, fmt.Sprintf("round %d: the stream is open; the server sees the channel subscribed", i), subscribed)
		select {
		case <-st:
		case <-ctx.Done():
			t.Fatalf("round %d: the listener gets no events", i)
		}
	}
	if _, ok := <-feed.Listen(ctx, ".tick"); !ok {
		t.Fatal("a listener registered after the last leave was closed")
	}
}

// closed drains what st holds and reports whether it is closed.
func closed[T any](st <-chan T) bool {
	for {
		select {
		case _, ok := <-st:
			if !ok {
				return true
			}
		default:
			return false
		}
	}
}

// Listeners of the same events under different spellings each get them:
// registering one never takes the events from another.
func TestListenSpellingsKeepTheirEvents(t *testing.T) {
	host, _ := tickServer(t)
	src, err := laravel.New(laravel.Options{
		Host: host, Key: "k", Namespace: "App.Events",
		AuthEndpoint:       "http://127.0.0.1:1/never-asked",
		DisableUserChannel: true,
		DisablePresence:    true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	ctx := testCtx(t)
	if err := src.Connect(ctx, "token"); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	feed := src.Channel("feed")
	dotted := feed.Listen(ctx, ".tick")          // "tick" as broadcast
	class := feed.Listen(ctx, `App\Events\tick`) // the class name
	echo := feed.Listen(ctx, "tick")             // both
	for what, st := range map[string]<-chan laravel.ChannelEvent{".tick": dotted, "tick": echo} {
		if ev := recv(t, st, what); ev.Event != "tick" {
			t.Fatalf("%s got %+v", what, ev)
		}
	}
	select {
	case ev := <-class:
		t.Fatalf(`App\Events\tick got %+v`, ev)
	default:
	}
}
