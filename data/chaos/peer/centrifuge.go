package peer

import (
	"context"
	"net/http"
	"time"

	"github.com/centrifugal/centrifuge"
)

// CentrifugeHandler starts a Centrifuge node (the server library of
// centrifuge-go's own ecosystem, in-memory broker) and returns its
// WebSocket handler, for /connection/websocket. Every connection is
// accepted as an anonymous user; a subscription to a channel named by a
// run gets the run's messages, published on the channel, as JSON chat
// payloads. Its queue per client is large enough for a whole flood, so
// the server never disconnects a client that reads more slowly than it
// publishes.
func CentrifugeHandler() (http.Handler, func(), error) {
	node, err := centrifuge.New(centrifuge.Config{ClientQueueMaxSize: 1 << 30})
	if err != nil {
		return nil, nil, err
	}
	node.OnConnecting(func(context.Context, centrifuge.ConnectEvent) (centrifuge.ConnectReply, error) {
		return centrifuge.ConnectReply{Credentials: &centrifuge.Credentials{UserID: "u1"}}, nil
	})
	node.OnConnect(func(client *centrifuge.Client) {
		client.OnSubscribe(func(e centrifuge.SubscribeEvent, cb centrifuge.SubscribeCallback) {
			cb(centrifuge.SubscribeReply{}, nil)
			run, err := ParseRun(e.Channel)
			if err != nil {
				return
			}
			go func() {
				time.Sleep(100 * time.Millisecond) // the subscription is in place
				run.send(func(seq, stamp int64) error {
					_, err := node.Publish(e.Channel, AppendPayload(nil, seq, stamp))
					return err
				})
			}()
		})
	})
	if err := node.Run(); err != nil {
		return nil, nil, err
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		node.Shutdown(ctx)
	}
	h := centrifuge.NewWebsocketHandler(node, centrifuge.WebsocketConfig{
		CheckOrigin:     func(*http.Request) bool { return true },
		WriteBufferSize: 64 << 10,
	})
	return h, stop, nil
}

// Mux serves every protocol of the harness: /chat (envelope and raw),
// /app/{key} (Pusher) and /connection/websocket (Centrifuge). stop ends
// the Centrifuge node.
func Mux() (mux *http.ServeMux, stop func(), err error) {
	cf, stop, err := CentrifugeHandler()
	if err != nil {
		return nil, nil, err
	}
	mux = http.NewServeMux()
	mux.Handle("/chat", EnvelopeHandler())
	mux.Handle("/app/", PusherHandler())
	mux.Handle("/connection/websocket", cf)
	return mux, stop, nil
}
