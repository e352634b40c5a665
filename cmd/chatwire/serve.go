package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/chatwire/chatwire/data/chattest"
)

// conversationSpec is a --conversation value: id:title:member,member.
type conversationSpec struct {
	ID      string
	Title   string
	Members []string
}

// conversationFlag collects repeated --conversation flags.
type conversationFlag []conversationSpec

func (f *conversationFlag) String() string {
	var s []string
	for _, c := range *f {
		s = append(s, c.ID+":"+c.Title+":"+strings.Join(c.Members, ","))
	}
	return strings.Join(s, " ")
}

// Set parses id:title:member,member (the title may be empty: id::a,b).
func (f *conversationFlag) Set(v string) error {
	c, err := parseConversation(v)
	if err != nil {
		return err
	}
	*f = append(*f, c)
	return nil
}

var errBadConversation = errors.New("want id:title:member,member")

func parseConversation(v string) (conversationSpec, error) {
	parts := strings.SplitN(v, ":", 3)
	if len(parts) != 3 {
		return conversationSpec{}, fmt.Errorf("%w, got %q", errBadConversation, v)
	}
	c := conversationSpec{ID: strings.TrimSpace(parts[0]), Title: strings.TrimSpace(parts[1])}
	if c.ID == "" {
		return conversationSpec{}, fmt.Errorf("%w: empty id in %q", errBadConversation, v)
	}
	for _, m := range strings.Split(parts[2], ",") {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		if _, ok := chattest.DevAuthenticate(m); !ok {
			return conversationSpec{}, fmt.Errorf("%w: member %q is not a valid user id", errBadConversation, m)
		}
		c.Members = append(c.Members, m)
	}
	if len(c.Members) == 0 {
		return conversationSpec{}, fmt.Errorf("%w: no members in %q", errBadConversation, v)
	}
	return c, nil
}

// defaultConversation is what serve creates when no --conversation is given.
var defaultConversation = conversationSpec{ID: "lobby", Title: "Lobby", Members: []string{"alice", "bob", "carol"}}

// serveOptions configure runServe.
type serveOptions struct {
	// Addr is the address to listen on. Zero means 127.0.0.1:8080.
	Addr string
	// Conversations are created at start. Empty means defaultConversation.
	Conversations []conversationSpec
	// Logger receives the server's logs. Nil means silent.
	Logger *slog.Logger
}

func serveCommand() (*flag.FlagSet, func(context.Context, []string, io.Reader, io.Writer, io.Writer) int) {
	fs := newFlagSet("serve", "[--addr host:port] [--conversation id:title:member,member ...]",
		"Runs the reference chat server (envelope protocol, GET /chat) for local\n"+
			"development until SIGINT or SIGTERM. Authentication is for development only:\n"+
			"the token is the user id. Without --conversation it creates \"lobby\" with\n"+
			"members alice, bob and carol.")
	var o serveOptions
	var convs conversationFlag
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.Var(&convs, "conversation", "create a conversation `id:title:member,member` (repeatable)")
	verbose := fs.Bool("verbose", false, "log connections to stderr")
	return fs, func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
		if len(args) > 0 {
			return usageError(fs, stderr, "unexpected arguments %q", args)
		}
		o.Conversations = convs
		if *verbose {
			o.Logger = debugLogger(stderr)
		}
		if err := runServe(ctx, stdout, o); err != nil {
			fmt.Fprintf(stderr, "chatwire serve: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
}

// runServe runs the reference server until ctx ends, then closes it and
// waits for its goroutines. It prints the URL and how to connect.
func runServe(ctx context.Context, w io.Writer, o serveOptions) error {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8080"
	}
	if len(o.Conversations) == 0 {
		o.Conversations = []conversationSpec{defaultConversation}
	}
	srv := chattest.NewUnstartedServer(chattest.Options{
		Addr:         o.Addr,
		Authenticate: chattest.DevAuthenticate,
		Logger:       o.Logger,
	})
	defer srv.Close()
	for _, c := range o.Conversations {
		if err := srv.CreateConversation(c.ID, c.Title, c.Members...); err != nil {
			return fmt.Errorf("conversation %s: %w", c.ID, err)
		}
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	fmt.Fprintf(w, "chatwire reference server listening on %s (WebSocket endpoint %s/chat)\n", srv.URL, srv.URL)
	fmt.Fprintln(w, "development authentication: the token is the user id")
	for _, c := range o.Conversations {
		fmt.Fprintf(w, "conversation %s %q: %s\n", c.ID, c.Title, strings.Join(c.Members, ", "))
	}
	first := o.Conversations[0]
	fmt.Fprintln(w, "connect from two terminals:")
	for _, m := range first.Members[:min(2, len(first.Members))] {
		fmt.Fprintf(w, "  chatwire connect --url %s --token %s --conversation %s\n", srv.URL, m, first.ID)
	}
	fmt.Fprintln(w, "press Ctrl-C to stop")
	<-ctx.Done()
	srv.Close()
	fmt.Fprintln(w, "server closed")
	return nil
}
