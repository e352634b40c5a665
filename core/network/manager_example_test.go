package network_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/network"
)

// A ConnectionManager over the gorilla client: a fresh token per attempt,
// a handshake that waits for the server's greeting, and frames that
// survive reconnects.
func ExampleConnectionManager() {
	srv := greetAndEcho() // a tiny server: greet, then echo
	defer srv.Close()

	tokens := func(context.Context) (string, error) { return "secret", nil } // your token source
	m := network.NewConnectionManager(network.ManagerOptions{
		NewClient: func() network.WebSocketClient {
			return network.NewGorillaClient(network.GorillaOptions{})
		},
		Endpoint: func(ctx context.Context) (string, http.Header, error) {
			tok, err := tokens(ctx)
			if err != nil {
				return "", nil, err
			}
			url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/chat"
			return url, http.Header{"Authorization": {"Bearer " + tok}}, nil
		},
		Handshake: func(ctx context.Context, conn network.HandshakeConn) (network.HandshakeResult, error) {
			_, err := conn.Read(ctx) // session.ready
			return network.HandshakeResult{}, err
		},
		HeartbeatFrame: []byte(`{"type":"ping","payload":{}}`),
	})
	defer m.Close()

	ctx := context.Background()
	frames := m.Frames(ctx) // subscribe before Connect to miss nothing
	if err := m.Connect(ctx); err != nil {
		fmt.Println("connect:", err)
		return
	}
	fmt.Println(m.State().State)
	if err := m.Send(ctx, []byte(`{"type":"chat.message"}`)); err != nil {
		fmt.Println("send:", err)
		return
	}
	fmt.Printf("%s\n", (<-frames).Data)
	fmt.Printf("%s\n", (<-frames).Data)
	// Output:
	// connected
	// {"type":"session.ready"}
	// {"type":"chat.message"}
}

// counter is a Receiver that owns its state without a lock: the manager
// calls it, the Handshake and every posted call on its loop goroutine, one
// at a time.
type counter struct {
	frames int
	states []string
	done   chan struct{} // closed at the echo
}

func (c *counter) Frame(f network.Frame) {
	c.frames++
	if strings.Contains(string(f.Data), "chat.message") {
		close(c.done)
	}
}

func (c *counter) State(sc network.StateChange) { c.states = append(c.states, sc.State.String()) }

// A Receiver takes the frames and the loop's state changes on the
// manager's loop goroutine, instead of a Frames subscription and a
// goroutine to read it; Post asks that goroutine to run a call.
func ExampleReceiver() {
	srv := greetAndEcho() // a tiny server: greet, then echo
	defer srv.Close()

	c := &counter{done: make(chan struct{})}
	m := network.NewConnectionManager(network.ManagerOptions{
		NewClient: func() network.WebSocketClient { return network.NewGorillaClient(network.GorillaOptions{}) },
		Endpoint: func(context.Context) (string, http.Header, error) {
			return "ws" + strings.TrimPrefix(srv.URL, "http") + "/chat", nil, nil
		},
		Handshake: func(ctx context.Context, conn network.HandshakeConn) (network.HandshakeResult, error) {
			_, err := conn.Read(ctx) // session.ready, which c.Frame has taken before Read returns
			fmt.Println("handshake saw", c.frames, "frame")
			return network.HandshakeResult{}, err
		},
		Receiver: c,
	})
	ctx := context.Background()
	if err := m.Connect(ctx); err != nil {
		fmt.Println("connect:", err)
		return
	}
	m.Send(ctx, []byte(`{"type":"chat.message"}`))
	<-c.done
	asked := make(chan int)
	m.Post(func() { asked <- c.frames }) // read the Receiver's state on its goroutine
	fmt.Println("frames:", <-asked)
	m.Close() // waits for the loop: c is this goroutine's again
	fmt.Println("states:", c.states)
	// Output:
	// handshake saw 1 frame
	// frames: 2
	// states: [connecting connected]
}

// greetAndEcho is the examples' server: it greets with session.ready, then
// echoes every frame.
func greetAndEcho() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"session.ready"}`))
		for {
			typ, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			conn.WriteMessage(typ, data)
		}
	}))
}
