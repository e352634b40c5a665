package network_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/network"
)

// Dial a server, send a frame, read the answer and close. The server here
// is an httptest echo server.
func ExampleGorillaClient() {
	srv := httptest.NewServer(echoHandler(websocket.Upgrader{}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/chat"

	client := network.NewGorillaClient(network.GorillaOptions{
		ReadLimit:    64 << 10, // frames over 64 KiB close the connection with 1009
		WriteTimeout: 5 * time.Second,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	header := http.Header{"Authorization": {"Bearer " + "token-from-your-token-source"}}
	if err := client.Connect(ctx, url, header); err != nil {
		fmt.Println("connect:", err)
		return
	}
	if err := client.Send(ctx, []byte(`{"type":"ping","payload":{}}`)); err != nil {
		fmt.Println("send:", err)
		return
	}
	fmt.Println(string(<-client.Frames()))
	client.Close(network.CloseNormal, "done")
	<-client.Done()
	fmt.Println(client.Err())
	// Output:
	// {"type":"ping","payload":{}}
	// network: connection closed by local: code 1000 (done)
}
