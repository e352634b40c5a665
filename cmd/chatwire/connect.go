package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

// connectOptions configure runConnect.
type connectOptions struct {
	// URL is the server's ws:// or wss:// base URL. Required unless
	// Pusher.Key is set.
	URL string
	// Pusher configures a Pusher Channels backend (see pusherBackend).
	Pusher pusherOptions
	// Token is the access token (with Pusher: the bearer token for the
	// auth endpoint and the API). Required. It is never printed.
	Token string
	// Conversation is where lines are sent (with Pusher: also the
	// conversation channel joined). Zero means "lobby".
	Conversation string
	// ResumeFromSeq, if positive, makes the first connect replay events
	// newer than this seq.
	ResumeFromSeq int64
	// ReconnectDelay is the first reconnect delay. Zero means the SDK's (5s).
	ReconnectDelay time.Duration
	// StorePath, if set, keeps the session in an SQLite store at this path
	// (envelope backend only): see storedSource.
	StorePath string
	// Backend builds the data source. Nil means envelopeBackend.
	Backend backend
	// Logger receives the SDK's logs. Nil means silent.
	Logger *slog.Logger
}

// Errors of connect, matched with errors.Is.
var (
	errBadURL     = errors.New("bad url")
	errBadCommand = errors.New("bad command")
	// errRefused: at least one send was refused; connect exits 1.
	errRefused = errors.New("refused")
	// errConnectionFailed: the SDK stopped retrying; connect exits 1.
	errConnectionFailed = errors.New("connection failed")
)

func connectCommand() (*flag.FlagSet, func(context.Context, []string, io.Reader, io.Writer, io.Writer) int) {
	fs := newFlagSet("connect", "--url ws://host:port --token TOKEN [--conversation ID]\n"+
		"   or: chatwire connect --pusher-key KEY --host host:port --auth-endpoint URL --user ID --token TOKEN\n"+
		"                        [--api URL] [--tls] [--conversation ID]",
		"An interactive terminal client over the SDK's notifiers. Each line read from\n"+
			"stdin is sent as a message to the conversation; lines starting with / are\n"+
			"commands (/help lists them). End of input quits, so a script can pipe lines\n"+
			"in. Prints incoming messages, typing, presence, receipts, call and connection\n"+
			"states as they happen. Exits 1 when the connection failed for good or a\n"+
			"send was refused (a message, typing, read or call the server or the SDK\n"+
			"refused), so a script can tell; 0 otherwise, also on Ctrl-C.\n\n"+
			"With --url it speaks the chat envelope protocol (chatwire serve). With\n"+
			"--pusher-key it connects to a Pusher Channels server (Laravel Reverb, Soketi,\n"+
			"Pusher) with a Laravel app behind it: channels are authorized at\n"+
			"--auth-endpoint with the token, it joins private-conversation.ID,\n"+
			"private-user.ID and presence-online, and messages are sent through the app's\n"+
			"API at --api (POST /api/conversations/ID/messages). Without --api sending\n"+
			"fails (Pusher clients cannot publish server events) while /typing and /read\n"+
			"still work as whispers (client events must be enabled on the server).")
	var o connectOptions
	fs.StringVar(&o.URL, "url", "", "server base URL, ws:// or wss:// (the client dials URL/chat)")
	fs.StringVar(&o.Pusher.Key, "pusher-key", "", "Pusher app key: connect to a Pusher-protocol server instead of --url")
	fs.StringVar(&o.Pusher.Host, "host", "", "with --pusher-key: the WebSocket server's host:port (Reverb, Soketi, ws-CLUSTER.pusher.com)")
	fs.BoolVar(&o.Pusher.TLS, "tls", false, "with --pusher-key: dial wss instead of ws")
	fs.StringVar(&o.Pusher.AuthEndpoint, "auth-endpoint", "", "with --pusher-key: the app's channel authorization URL, e.g. https://app.example/broadcasting/auth")
	fs.StringVar(&o.Pusher.API, "api", "", "with --pusher-key: the app's base URL for sending messages and marking read (optional)")
	fs.StringVar(&o.Pusher.UserID, "user", "", "with --pusher-key: your user id, for the user channel and whispers")
	fs.StringVar(&o.Token, "token", "", "access token (for chatwire serve: the user id; with --pusher-key: the bearer token for --auth-endpoint and --api)")
	fs.StringVar(&o.Conversation, "conversation", "lobby", "conversation to send to (with --pusher-key: also joined, channel private-conversation.ID)")
	fs.Int64Var(&o.ResumeFromSeq, "since", 0, "replay events newer than this seq on connect (0: only live events)")
	fs.DurationVar(&o.ReconnectDelay, "reconnect-delay", time.Second, "first reconnect delay after a drop")
	fs.StringVar(&o.StorePath, "store", "", "keep the session in this SQLite file: sends queued offline survive a crash and are resent on the next start, which shows the cached conversation first")
	verbose := fs.Bool("verbose", false, "log the SDK's debug output to stderr (tokens are never logged)")
	return fs, func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		switch {
		case len(args) > 0:
			return usageError(fs, stderr, "unexpected arguments %q", args)
		case o.URL == "" && o.Pusher.Key == "":
			return usageError(fs, stderr, "--url is required (or --pusher-key for a Pusher-protocol server)")
		case o.Token == "":
			return usageError(fs, stderr, "--token is required")
		case strings.TrimSpace(o.Conversation) == "":
			return usageError(fs, stderr, "--conversation must not be empty")
		case o.ResumeFromSeq < 0:
			return usageError(fs, stderr, "--since must not be negative")
		}
		if err := chooseBackend(&o, flagsSet(fs)); err != nil {
			return usageError(fs, stderr, "%v", err)
		}
		if *verbose {
			o.Logger = debugLogger(stderr)
		}
		if err := runConnect(ctx, stdin, stdout, o); err != nil {
			fmt.Fprintf(stderr, "chatwire connect: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
}

// runConnect connects, then sends each line of stdin as a message (or runs
// it as a /command) until /quit, end of input, ctx ends or the connection
// fails for good, printing what happens to stdout. ctx ending is a clean
// end, also while it is still connecting. It returns an error wrapping
// errConnectionFailed when the connection failed, or errRefused when a
// send was refused (a bad command is not a send). It closes the session,
// and waits for its goroutines, before it returns; a read of stdin blocked
// in the operating system when ctx ends is abandoned (the process is about
// to exit).
func runConnect(ctx context.Context, stdin io.Reader, stdout io.Writer, o connectOptions) error {
	if o.Conversation == "" {
		o.Conversation = "lobby"
	}
	if o.Backend == nil {
		o.Backend = envelopeBackend
	}
	src, err := o.Backend(o)
	if err != nil {
		return err
	}
	tr := newTranscript(stdout, nil, false)
	if ss, ok := src.(*storedSource); ok {
		defer ss.showOffline(ctx, o.Conversation, tr)()
	}
	// The token is the data source's: the envelope data source asks its
	// token source when the notifiers connect with an empty token. The
	// Pusher data source does not yet, so it is handed the token at start.
	var token domain.TokenSource
	if o.Pusher.Key != "" {
		token = o.tokenSource()
	}
	sess := newSession(src, "", "", token, tr, nil)
	defer sess.close()

	tr.line("", kindInfo, "connecting to %s", o.target())
	if err := sess.start(ctx); err != nil {
		if ctx.Err() != nil { // interrupted while (re)trying: as after connecting
			tr.line("", kindInfo, "interrupted, closing")
			return nil
		}
		return err
	}
	c := &client{sess: sess, tr: tr, conv: o.Conversation}
	tr.line("", kindInfo, "sending to %s. Type a message and press Enter; /help lists the commands.", c.conv)

	watchCtx, stopWatching := context.WithCancel(ctx)
	failed, watching := failure(watchCtx, sess.n.Connection)
	defer func() { stopWatching(); <-watching }()
	lines, stop := readLines(stdin)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			tr.line("", kindInfo, "interrupted, closing")
			return c.outcome()
		case err := <-failed:
			return fmt.Errorf("%w: %w", errConnectionFailed, err)
		case line, ok := <-lines:
			if !ok {
				tr.line("", kindInfo, "end of input, closing")
				return c.outcome()
			}
			if quit := c.handle(ctx, line); quit {
				tr.line("", kindInfo, "bye")
				return c.outcome()
			}
		}
	}
}

// failure delivers the error of the connection once it has failed for
// good (the SDK stopped retrying), until ctx ends; done is closed when it
// has stopped watching.
func failure(ctx context.Context, conn *presentation.ConnectionNotifier) (failed <-chan error, done <-chan struct{}) {
	out, stopped := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(stopped)
		for c := range conn.Changes(ctx) {
			if c.Status == domain.Failed {
				var err error = errors.New("the SDK stopped retrying")
				if c.Err != nil {
					err = c.Err
				}
				out <- err
				return
			}
		}
	}()
	return out, stopped
}

// readLines reads r line by line on its own goroutine. stop makes it quit
// at the next line; it cannot interrupt a read blocked in the system.
func readLines(r io.Reader) (<-chan string, func()) {
	lines := make(chan string)
	done := make(chan struct{})
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-done:
				return
			}
		}
	}()
	return lines, func() { close(done) }
}
