// Command peerserver serves the peer harness's protocols on loopback (see
// package peer): the chat envelope protocol at /chat, a minimal Pusher
// protocol 7 server at /app/{key} and a Centrifuge node at
// /connection/websocket. It prints "ADDR host:port" once it listens and
// serves until its standard input closes.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/chatwire/chatwire/data/chaos/peer"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	flag.Parse()
	mux, stop, err := peer.Mux()
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, mux)
	fmt.Printf("ADDR %s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
}
