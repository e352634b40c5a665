package streams_test

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/networktest"
	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/core/stream"
	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/laravel"
	"github.com/chatwire/chatwire/domain"
)

// What an idle connection costs the application's process: live heap and
// goroutine stacks per connection, and goroutines per connection, over
// networktest.IdleConns connections to a server in a child process (this test binary,
// running TestIdleServerProcess), so that only the client side is counted.
// docs/benchmarks.md explains every goroutine.

const idleServerEnv = "CHATWIRE_IDLE_SERVER"

// TestIdleServerProcess is not a test: it is the idle benchmark's server,
// started in a child process. It serves until its standard input closes:
// the envelope protocol at /chat (session.ready, then quiet) and a minimal
// Pusher server at /app/{key} (every subscription accepted, presence with
// one member), both quiet after that.
func TestIdleServerProcess(t *testing.T) {
	if !networktest.InChild(idleServerEnv) {
		t.Skip("the idle benchmark's server process; runs only when it starts it")
	}
	up := websocket.Upgrader{ReadBufferSize: 512, WriteBufferSize: 512}
	mux := http.NewServeMux()
	mux.HandleFunc("/chat", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"session.ready","payload":{"user_id":"u1","session_id":"s1","last_seq":0}}`))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/app/", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`{"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\",\"activity_timeout\":120}"}`))
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			var f struct {
				Event string `json:"event"`
				Data  struct {
					Channel string `json:"channel"`
				} `json:"data"`
			}
			json.Unmarshal(msg, &f)
			switch f.Event {
			case "pusher:subscribe":
				data := `"{}"`
				if strings.HasPrefix(f.Data.Channel, "presence-") {
					data = `"{\"presence\":{\"ids\":[\"u1\"],\"hash\":{\"u1\":{}},\"count\":1}}"`
				}
				ch, _ := json.Marshal(f.Data.Channel)
				c.WriteMessage(websocket.TextMessage, []byte(`{"event":"pusher_internal:subscription_succeeded","channel":`+string(ch)+`,"data":`+data+`}`))
			case "pusher:ping":
				c.WriteMessage(websocket.TextMessage, []byte(`{"event":"pusher:pong","data":"{}"}`))
			}
		}
	})
	networktest.ServeChild(mux, nil)
}

func startIdleServer(b *testing.B) string {
	b.Helper()
	return networktest.StartChild(b, "TestIdleServerProcess", idleServerEnv)
}

// BenchmarkIdleConnection reports heapB/conn, stackB/conn, B/conn (their
// sum) and goroutines/conn for: a bare gorilla connection with its reader
// goroutine (the floor), network.GorillaClient, data.New connected with
// no subscriber and with one subscriber on each of its nine streams, and
// the laravel data source subscribed to one presence and one private
// channel with one subscriber on each stream.
func BenchmarkIdleConnection(b *testing.B) {
	addr := startIdleServer(b)
	ctx := context.Background()
	for _, v := range []struct {
		name string
		open func() (func(), error)
	}{
		{"RawGorilla+reader", func() (func(), error) {
			ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/chat", nil)
			if err != nil {
				return nil, err
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						return
					}
				}
			}()
			return func() { ws.Close(); <-done }, nil
		}},
		{"GorillaClient", func() (func(), error) {
			c := network.NewGorillaClient(network.GorillaOptions{})
			if err := c.Connect(ctx, "ws://"+addr+"/chat", nil); err != nil {
				return nil, err
			}
			return func() { c.Close(network.CloseNormal, "") }, nil
		}},
		{"Floor/GorillaClient+owner+9channels", func() (func(), error) {
			// What any design pays that keeps the concurrency rules (a reader
			// and a writer goroutine per socket, the session owned by a
			// goroutine of its own) and hands the nine streams to the
			// application on channels of ChannelSlots values: nothing else.
			c := network.NewGorillaClient(network.GorillaOptions{})
			if err := c.Connect(ctx, "ws://"+addr+"/chat", nil); err != nil {
				return nil, err
			}
			owned := make(chan struct{})
			go func() { // the owner
				defer close(owned)
				for range c.Frames() {
				}
			}()
			channels := []any{
				make(chan domain.Message, stream.ChannelSlots),
				make(chan domain.TypingIndicator, stream.ChannelSlots),
				make(chan domain.UserStatusUpdate, stream.ChannelSlots),
				make(chan domain.ConversationUpdate, stream.ChannelSlots),
				make(chan domain.ReadReceipt, stream.ChannelSlots),
				make(chan domain.CallEvent, stream.ChannelSlots),
				make(chan domain.RawFrame, stream.ChannelSlots),
				make(chan domain.ConnectionState, stream.ChannelSlots),
				make(chan error, stream.ChannelSlots),
			}
			return func() {
				c.Close(network.CloseNormal, "")
				<-owned
				runtime.KeepAlive(channels)
			}, nil
		}},
		{"Envelope/subscribers=0", func() (func(), error) {
			src, err := data.New(data.Options{BaseURL: "ws://" + addr})
			if err != nil {
				return nil, err
			}
			if err := src.Connect(ctx, "t"); err != nil {
				return nil, err
			}
			return func() { src.Close() }, nil
		}},
		{"Envelope/subscribers=9", func() (func(), error) {
			src, err := data.New(data.Options{BaseURL: "ws://" + addr})
			if err != nil {
				return nil, err
			}
			sctx, cancel := context.WithCancel(ctx)
			src.Messages(sctx)
			src.Typing(sctx)
			src.UserStatuses(sctx)
			src.ConversationUpdates(sctx)
			src.ReadReceipts(sctx)
			src.Calls(sctx)
			src.RawMessages(sctx)
			src.ConnectionStates(sctx)
			src.Errors(sctx)
			if err := src.Connect(ctx, "t"); err != nil {
				cancel()
				return nil, err
			}
			return func() { src.Close(); cancel() }, nil
		}},
		{"Laravel/presence+private/subscribers=9", func() (func(), error) {
			src, err := laravel.New(laravel.Options{
				Host: addr,
				Key:  "k",
				Authorizer: pusher.AuthorizerFunc(func(_ context.Context, _, channel string) (pusher.Auth, error) {
					a := pusher.Auth{Auth: "k:signature"}
					if strings.HasPrefix(channel, "presence-") {
						a.ChannelData = `{"user_id":"u1"}`
					}
					return a, nil
				}),
				UserID:             "u1",
				DisableUserChannel: true,
				Conversations:      []string{"c1"},
			})
			if err != nil {
				return nil, err
			}
			sctx, cancel := context.WithCancel(ctx)
			src.Messages(sctx)
			src.Typing(sctx)
			src.UserStatuses(sctx)
			src.ConversationUpdates(sctx)
			src.ReadReceipts(sctx)
			src.Calls(sctx)
			src.RawMessages(sctx)
			src.ConnectionStates(sctx)
			src.Errors(sctx)
			if err := src.Connect(ctx, "t"); err != nil {
				cancel()
				return nil, err
			}
			return func() { src.Close(); cancel() }, nil
		}},
	} {
		b.Run(v.name, func(b *testing.B) { networktest.BenchmarkIdle(b, v.open) })
	}
}
