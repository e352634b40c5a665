package coderws_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/coder/websocket"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/coderws"
)

// The client dials, sends a frame and reads the server's answer from
// Frames. Here an echo server built on coder/websocket's Accept stands in
// for the chat server.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for {
			typ, msg, err := ws.Read(r.Context())
			if err != nil {
				return
			}
			if ws.Write(r.Context(), typ, msg) != nil {
				return
			}
		}
	}))
	defer srv.Close()

	var c network.WebSocketClient = coderws.NewClient(coderws.Options{})
	ctx := context.Background()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/chat"
	if err := c.Connect(ctx, url, http.Header{"Authorization": {"Bearer secret"}}); err != nil {
		panic(err)
	}
	if err := c.Send(ctx, []byte(`{"type":"ping","payload":{}}`)); err != nil {
		panic(err)
	}
	fmt.Println(string(<-c.Frames()))
	if err := c.Ping(ctx); err != nil {
		panic(err)
	}
	c.Close(network.CloseNormal, "bye")
	fmt.Println(c.Err())
	// Output:
	// {"type":"ping","payload":{}}
	// network: connection closed by local: code 1000 (bye)
}
