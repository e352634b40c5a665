package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/chatwire/chatwire/data/chattest"
)

// connectClient is one `chatwire connect` run driven through pipes.
type connectClient struct {
	in     *io.PipeWriter
	out    *syncBuffer
	errOut *syncBuffer
	exit   chan int
}

func startConnect(ctx context.Context, url, token, conv string) *connectClient {
	r, w := io.Pipe()
	c := &connectClient{in: w, out: newSyncBuffer(), errOut: newSyncBuffer(), exit: make(chan int, 1)}
	go func() {
		defer r.Close()
		c.exit <- run(ctx, []string{"connect", "--url", url, "--token", token, "--conversation", conv,
			"--reconnect-delay", "50ms"}, r, c.out, c.errOut)
	}()
	return c
}

func (c *connectClient) say(t *testing.T, line string) {
	t.Helper()
	if _, err := fmt.Fprintln(c.in, line); err != nil {
		t.Fatalf("write %q: %v", line, err)
	}
}

func (c *connectClient) wait(t *testing.T) int {
	t.Helper()
	return <-c.exit
}

// Two terminal clients against an in-process server: what alice types
// reaches bob, and typing, read receipts and a call go both ways.
func TestConnectTwoClients(t *testing.T) {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	if err := srv.CreateConversation("lobby", "Lobby", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	aliceTok, bobTok := srv.IssueToken("alice"), srv.IssueToken("bob")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	bob := startConnect(ctx, srv.URL, bobTok, "lobby")
	bob.out.waitFor(t, "session")
	alice := startConnect(ctx, srv.URL, aliceTok, "lobby")
	alice.out.waitFor(t, "session")
	alice.out.waitFor(t, "bob is online")

	// Bad input is refused with a clear error and the session goes on.
	alice.say(t, "/frobnicate")
	alice.out.waitFor(t, `bad command: unknown command "/frobnicate"`)
	alice.say(t, "/call")
	alice.out.waitFor(t, "usage: /call <user>")

	alice.say(t, "/typing")
	bob.out.waitFor(t, "alice is typing")

	alice.say(t, "hello bob")
	bob.out.waitFor(t, `lobby    alice: "hello bob"`)
	alice.out.waitFor(t, `alice: "hello bob" (confirmed by the server`)

	bob.say(t, "/read")
	bob.out.waitFor(t, "you marked read up to")
	alice.out.waitFor(t, "bob read up to")
	alice.out.waitFor(t, `read by others: "hello bob"`)

	alice.say(t, "/call bob")
	alice.out.waitFor(t, "outgoing ringing: calling bob")
	bob.out.waitFor(t, "incoming ringing: alice is calling")
	bob.say(t, "/accept")
	alice.out.waitFor(t, "callstate active")
	bob.out.waitFor(t, "callstate active")
	alice.say(t, "/hangup")
	bob.out.waitFor(t, "ended by alice after")
	bob.out.waitFor(t, "callstate ended by alice")

	bob.say(t, "bye alice")
	alice.out.waitFor(t, `alice: "hello bob"`)
	alice.out.waitFor(t, `bob: "bye alice"`)

	alice.say(t, "/quit")
	if code := alice.wait(t); code != exitOK {
		t.Errorf("alice exit code %d, want 0; stderr:\n%s", code, alice.errOut)
	}
	bob.out.waitFor(t, "alice is offline")
	_ = bob.in.Close() // end of input quits
	if code := bob.wait(t); code != exitOK {
		t.Errorf("bob exit code %d, want 0; stderr:\n%s\nstdout:\n%s", code, bob.errOut, bob.out)
	}
	if !strings.Contains(bob.out.String(), "end of input, closing") {
		t.Errorf("bob did not quit on end of input:\n%s", bob.out)
	}
	for name, out := range map[string]string{"alice": alice.out.String() + alice.errOut.String(), "bob": bob.out.String() + bob.errOut.String()} {
		for _, tok := range []string{aliceTok, bobTok} {
			if strings.Contains(out, tok) {
				t.Errorf("%s's output shows a token", name)
			}
		}
	}
	msgs, err := srv.Messages("lobby")
	if err != nil || len(msgs) != 2 {
		t.Errorf("server has %d messages (%v), want 2", len(msgs), err)
	}
}

// A script piped in: each line is sent, end of input quits.
func TestConnectScriptedInput(t *testing.T) {
	srv := chattest.NewServer(chattest.Options{Authenticate: chattest.DevAuthenticate})
	defer srv.Close()
	if err := srv.CreateConversation("lobby", "", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	script := "first line\n\n/help\n/wait 1ms\nsecond line\n"
	code := run(context.Background(), []string{"connect", "--url", srv.URL + "/chat", "--token", "alice"},
		strings.NewReader(script), &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit code %d; stderr:\n%s\nstdout:\n%s", code, &errOut, &out)
	}
	if !strings.Contains(out.String(), "/call <user>    place an audio call") {
		t.Errorf("/help did not list the commands:\n%s", &out)
	}
	msgs, err := srv.Messages("lobby")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.SenderID+": "+m.Content)
	}
	if want := "alice: first line|alice: second line"; strings.Join(got, "|") != want {
		t.Errorf("server stored %q, want %q", got, want)
	}
}

// A refused token is a runtime failure (exit 1) that says why.
func TestConnectUnauthorized(t *testing.T) {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	var out, errOut strings.Builder
	code := run(context.Background(), []string{"connect", "--url", srv.URL, "--token", "not-a-token"},
		strings.NewReader(""), &out, &errOut)
	if code != exitFailure {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), "unauthorized") {
		t.Errorf("stderr does not say unauthorized:\n%s", &errOut)
	}
	if strings.Contains(out.String()+errOut.String(), "not-a-token") {
		t.Error("the token was printed")
	}
}

// A URL with credentials is a usage error that does not echo them: gorilla
// refuses such a URL on every dial, so connect would retry forever while
// printing the password.
func TestConnectRefusesCredentialsInURL(t *testing.T) {
	for _, url := range []string{"ws://u:secretpw@127.0.0.1:1", "ws://u:secretpw@127.0.0.1:bad"} {
		var out, errOut strings.Builder
		code := run(context.Background(), []string{"connect", "--url", url, "--token", "a"},
			strings.NewReader(""), &out, &errOut)
		if code != exitUsage {
			t.Errorf("%s: exit code %d, want %d", url, code, exitUsage)
		}
		if strings.Contains(out.String()+errOut.String(), "secretpw") {
			t.Errorf("%s: the password was printed:\n%s%s", url, &out, &errOut)
		}
	}
	var errOut strings.Builder
	run(context.Background(), []string{"connect", "--url", "ws://u:secretpw@127.0.0.1:1", "--token", "a"},
		strings.NewReader(""), io.Discard, &errOut)
	if !strings.Contains(errOut.String(), "no user or password in the url") {
		t.Errorf("stderr does not say why:\n%s", &errOut)
	}
}

// Interrupting connect while it still retries an unreachable server is a
// clean exit, as it is once connected.
func TestConnectInterruptedWhileConnecting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errOut := newSyncBuffer(), newSyncBuffer()
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"connect", "--url", "ws://127.0.0.1:1", "--token", "a", "--reconnect-delay", "10ms"},
			strings.NewReader(""), out, errOut)
	}()
	out.waitFor(t, "reconnecting: attempt 2")
	cancel()
	if code := <-exit; code != exitOK {
		t.Errorf("exit code %d, want 0; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out.String(), "interrupted, closing") {
		t.Errorf("no interrupted line:\n%s", out)
	}
}

// A send the server refuses is printed and the session goes on, but the
// run exits 1 and says so: a script can tell.
func TestConnectExitsNonZeroWhenASendIsRefused(t *testing.T) {
	srv := chattest.NewServer(chattest.Options{Authenticate: chattest.DevAuthenticate})
	defer srv.Close()
	if err := srv.CreateConversation("lobby", "", "alice"); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	// "nowhere" is not alice's conversation: the server refuses the
	// message; the one sent after /conv lobby goes through.
	script := "refused line\n/conv lobby\naccepted line\n"
	code := run(context.Background(), []string{"connect", "--url", srv.URL, "--token", "alice", "--conversation", "nowhere"},
		strings.NewReader(script), &out, &errOut)
	if code != exitFailure {
		t.Fatalf("exit code %d, want 1; stderr:\n%s\nstdout:\n%s", code, &errOut, &out)
	}
	if !strings.Contains(errOut.String(), "refused: 1 send(s)") {
		t.Errorf("stderr does not say a send was refused:\n%s", &errOut)
	}
	msgs, err := srv.Messages("lobby")
	if err != nil || len(msgs) != 1 || msgs[0].Content != "accepted line" {
		t.Errorf("lobby holds %+v (%v): the session must go on after a refusal", msgs, err)
	}
	// A bad command is not a send: alone, it leaves the exit code at 0.
	code = run(context.Background(), []string{"connect", "--url", srv.URL, "--token", "alice", "--conversation", "lobby"},
		strings.NewReader("/frobnicate\n"), io.Discard, io.Discard)
	if code != exitOK {
		t.Errorf("exit code %d after a bad command only, want 0", code)
	}
}

// A connection that fails for good (the token is refused on a reconnect)
// ends the run at once with exit 1, without waiting for more input.
func TestConnectExitsNonZeroWhenTheConnectionFails(t *testing.T) {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := startConnect(ctx, srv.URL, srv.IssueToken("alice"), "lobby")
	alice.out.waitFor(t, "sending to lobby") // connected, reading input
	srv.ExpireTokens("alice")
	srv.DropAll()
	code := alice.wait(t) // stdin stays open: the failure alone ends the run
	if code != exitFailure {
		t.Fatalf("exit code %d, want 1; stderr:\n%s", code, alice.errOut)
	}
	if !strings.Contains(alice.errOut.String(), "connection failed") || !strings.Contains(alice.errOut.String(), "unauthorized") {
		t.Errorf("stderr does not say why:\n%s", alice.errOut)
	}
	_ = alice.in.Close()
}
