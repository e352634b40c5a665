package memory_test

import (
	"context"
	"fmt"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/memory"
)

// A test server that greets each client, and a client that reads the
// greeting: no sockets involved.
func Example() {
	srv := memory.NewServer(memory.ServerOptions{
		Handler: func(c *memory.ServerConn) {
			ctx := context.Background()
			c.WriteFrame(ctx, []byte(`{"type":"session.ready"}`))
			c.ReadFrame(ctx) // until the client closes
		},
	})
	defer srv.Close()

	var client network.WebSocketClient = memory.NewClient(srv, memory.Options{})
	if err := client.Connect(context.Background(), srv.URL(), nil); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(<-client.Frames()))
	client.Close(network.CloseNormal, "bye")
	fmt.Println(client.Err())
	// Output:
	// {"type":"session.ready"}
	// network: connection closed by local: code 1000 (bye)
}
