package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"go.uber.org/goleak"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

// demoOptions shape the demo's timeline. The zero value is the timeline
// `chatwire demo` runs (about 12 s); tests shrink it.
type demoOptions struct {
	// Beat is the pause between two steps of the script. Zero means 500ms.
	Beat time.Duration
	// Downtime is how long the server stays stopped. Zero means 1s.
	Downtime time.Duration
	// ReconnectDelay is the users' first reconnect delay. Zero means 500ms
	// (the SDK's default is 5s).
	ReconnectDelay time.Duration
	// Timeout bounds the whole demo. Zero means 30s.
	Timeout time.Duration
	// Logger receives the server's and the SDK's logs. Nil means silent.
	Logger *slog.Logger
}

func (o demoOptions) withDefaults() demoOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Beat, 500*time.Millisecond)
	def(&o.Downtime, time.Second)
	def(&o.ReconnectDelay, 500*time.Millisecond)
	def(&o.Timeout, 30*time.Second)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// The demo's cast and places.
const (
	alice   = "alice"
	bob     = "bob"
	carol   = "carol"
	general = "general"
	dm      = "dm-alice-bob"
)

// errInvariant is returned by runDemo when a delivery guarantee did not hold.
var errInvariant = errors.New("demo invariant violated")

func demoCommand() (*flag.FlagSet, func(context.Context, []string, io.Reader, io.Writer, io.Writer) int) {
	fs := newFlagSet("demo", "[flags]",
		"Starts the reference server in-process on loopback and three simulated users\n"+
			"(alice, bob, carol) who chat, type, read, go offline and come back, place a\n"+
			"call and live through a server outage. Prints the typed events and notifier\n"+
			"states as a live transcript, then checks that every confirmed message reached\n"+
			"every member exactly once, in order, and that no goroutine is left. Exits 1\n"+
			"if a check fails.")
	var o demoOptions
	fs.DurationVar(&o.Beat, "beat", 500*time.Millisecond, "pause between two steps of the script")
	fs.DurationVar(&o.Downtime, "downtime", time.Second, "how long the server stays down")
	fs.DurationVar(&o.ReconnectDelay, "reconnect-delay", 500*time.Millisecond, "the users' first reconnect delay (the SDK default is 5s)")
	verbose := fs.Bool("verbose", false, "log the server's and the SDK's debug output to stderr")
	return fs, func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
		if len(args) > 0 {
			return usageError(fs, stderr, "unexpected arguments %q", args)
		}
		if *verbose {
			o.Logger = debugLogger(stderr)
		}
		if err := runDemo(ctx, stdout, o); err != nil {
			fmt.Fprintf(stderr, "chatwire demo: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
}

// demo is one run of the scenario.
//
// Concurrency: the script runs on runDemo's goroutine, except the sends of
// the outage, which run on their own goroutines; users and their sessions
// change only on the script's goroutine, while no such send is in flight.
// mu guards sent and failed.
type demo struct {
	opts  demoOptions
	tr    *transcript
	srv   *chattest.Server
	users map[string]*demoUser

	mu     sync.Mutex
	sent   []domain.Message // every message SendMessage confirmed
	failed []error          // sends and actions that failed
}

// demoUser is one simulated user; its session is replaced when it goes
// offline and comes back, its recorder is kept.
type demoUser struct {
	id   string
	rec  *recorder
	sess *session // nil while offline
}

// runDemo runs the scenario against an in-process server, printing the
// transcript to w, and returns errInvariant (wrapped, with the reasons)
// when a delivery guarantee did not hold. Every goroutine it starts has
// ended when it returns.
func runDemo(ctx context.Context, w io.Writer, opts demoOptions) error {
	opts = opts.withDefaults()
	before := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	srv := chattest.NewUnstartedServer(chattest.Options{Logger: opts.Logger})
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	d := &demo{opts: opts, tr: newTranscript(w, nil, true), srv: srv, users: map[string]*demoUser{}}
	for _, id := range []string{alice, bob, carol} {
		d.users[id] = &demoUser{id: id, rec: newRecorder()}
	}
	scriptErr := d.script(ctx)
	if scriptErr == nil {
		d.finalStates()
	}
	d.closeAll()
	srv.Close()
	if scriptErr != nil {
		return fmt.Errorf("demo script: %w", scriptErr)
	}
	problems := d.verify()
	if err := goleak.Find(before); err != nil {
		problems = append(problems, fmt.Sprintf("goroutines left: %v", err))
		d.check(false, "goroutines left after everything closed")
	} else {
		d.check(true, "no goroutine left after everything closed")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %v", errInvariant, problems)
	}
	d.tr.line("demo", kindInfo, "done: every invariant holds")
	return nil
}

// connect opens a session for user, resuming from seq when positive (as an
// app that persisted its last seq does after a restart).
func (d *demo) connect(ctx context.Context, user string, resume int64) error {
	u := d.users[user]
	token := func(context.Context) (string, error) { return d.srv.IssueToken(user), nil }
	src, err := data.New(data.Options{
		BaseURL:     d.srv.URL,
		TokenSource: token,
		Connection:  data.ConnectionOptions{ReconnectDelay: d.opts.ReconnectDelay, MaxReconnectDelay: 4 * d.opts.ReconnectDelay},
		Resume:      domain.Position{Seq: resume},
		Logger:      d.opts.Logger.With("user", user),
	})
	if err != nil {
		return err
	}
	u.sess = newSession(src, user, user, token, d.tr, u.rec)
	return u.sess.start(ctx)
}

// disconnect closes user's session (the app quits).
func (d *demo) disconnect(user string) {
	u := d.users[user]
	if u.sess != nil {
		u.sess.close()
		u.sess = nil
	}
}

func (d *demo) closeAll() {
	var wg sync.WaitGroup
	for _, u := range d.users {
		wg.Go(func() { d.disconnect(u.id) })
	}
	wg.Wait()
}

func (d *demo) notifiers(user string) *presentation.Notifiers { return d.users[user].sess.n }

// say sends a message through user's MessagesNotifier and records the
// confirmed message.
func (d *demo) say(ctx context.Context, user, convID, text string) (domain.Message, error) {
	m, err := d.notifiers(user).Messages.Send(ctx, domain.MessageDraft{ConversationID: convID, Content: text})
	if err != nil {
		d.fail(fmt.Errorf("%s: send %q: %w", user, text, err))
		return domain.Message{}, err
	}
	d.mu.Lock()
	d.sent = append(d.sent, m.Message)
	d.mu.Unlock()
	return m.Message, nil
}

func (d *demo) fail(err error) {
	d.mu.Lock()
	d.failed = append(d.failed, err)
	d.mu.Unlock()
	d.tr.line("demo", kindError, "%v", err)
}

func (d *demo) confirmed() []domain.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.sent)
}

// narrate prints a line of the story.
func (d *demo) narrate(format string, args ...any) { d.tr.line("demo", kindInfo, format, args...) }

// pause waits beats × Beat, or until ctx ends.
func (d *demo) pause(ctx context.Context, beats float64) error {
	t := time.NewTimer(time.Duration(beats * float64(d.opts.Beat)))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
