package main

import (
	"context"
	"os"
	"strings"
)

// The command line is a function of its arguments and standard streams, so
// the binary and the tests run the same code.
func Example_help() {
	code := run(context.Background(), []string{"help", "serve"}, strings.NewReader(""), os.Stdout, os.Stderr)
	if code != exitOK {
		panic(code)
	}
	// Output:
	// Usage: chatwire serve [--addr host:port] [--conversation id:title:member,member ...]
	//
	// Runs the reference chat server (envelope protocol, GET /chat) for local
	// development until SIGINT or SIGTERM. Authentication is for development only:
	// the token is the user id. Without --conversation it creates "lobby" with
	// members alice, bob and carol.
	//
	// Flags:
	//   -addr string
	//     	address to listen on (default "127.0.0.1:8080")
	//   -conversation id:title:member,member
	//     	create a conversation id:title:member,member (repeatable)
	//   -verbose
	//     	log connections to stderr
}
