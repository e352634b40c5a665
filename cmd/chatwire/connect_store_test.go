package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/data/sqlitestore"
)

// cliProcess is `chatwire ARGS...` in a process of its own.
type cliProcess struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *syncBuffer
}

func startCLI(t *testing.T, args ...string) *cliProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), cliChildEnv+"="+strings.Join(args, "\x1f"))
	p := &cliProcess{cmd: cmd, out: newSyncBuffer()}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	var err error
	if p.in, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return p
}

func (p *cliProcess) say(t *testing.T, line string) {
	t.Helper()
	if _, err := fmt.Fprintln(p.in, line); err != nil {
		t.Fatalf("write %q: %v", line, err)
	}
}

// `chatwire connect --store FILE` killed with SIGKILL during an outage,
// with lines typed meanwhile, and started again on the same file: the new
// process resends what the dead one had queued, and the server stores
// each line once, in order. A third start, offline, shows the
// conversation from the cache.
func TestConnectStoreSurvivesSIGKILL(t *testing.T) {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	if err := srv.CreateConversation("lobby", "Lobby", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alice.db")
	args := []string{"connect", "--url", srv.URL, "--token", srv.IssueToken("alice"), "--conversation", "lobby",
		"--reconnect-delay", "50ms", "--store", path}

	first := startCLI(t, args...)
	first.out.waitFor(t, "sending to lobby")
	if _, err := srv.Post(chattest.Message{ConversationID: "lobby", SenderID: "bob", Content: "are you there?"}); err != nil {
		t.Fatal(err)
	}
	first.out.waitFor(t, `bob: "are you there?"`)
	srv.Stop()
	for i := range 3 {
		first.say(t, fmt.Sprint("typed offline ", i))
		first.out.waitFor(t, fmt.Sprintf(`"typed offline %d" queued on disk`, i))
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	if _, err := srv.Post(chattest.Message{ConversationID: "lobby", SenderID: "bob", Content: "while you were away"}); err != nil {
		t.Fatal(err)
	}

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	second := startCLI(t, args...)
	for i := range 3 {
		second.out.waitFor(t, fmt.Sprintf(`"typed offline %d" queued by an earlier run, delivered`, i))
	}
	second.out.waitFor(t, `bob: "while you were away"`)
	second.say(t, "/quit")
	if err := second.cmd.Wait(); err != nil {
		t.Fatalf("second run: %v\n%s", err, second.out)
	}
	ms, err := srv.Messages("lobby")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.SenderID+": "+m.Content)
	}
	want := "bob: are you there?|bob: while you were away|alice: typed offline 0|alice: typed offline 1|alice: typed offline 2"
	if strings.Join(got, "|") != want {
		t.Fatalf("server holds\n%s\nwant\n%s\nsecond run printed:\n%s", strings.Join(got, "|"), want, second.out)
	}
	// Cached (its commit made it before the kill) or replayed by the sync
	// (it did not): once either way.
	if n := strings.Count(second.out.String(), `bob: "are you there?"`); n != 1 {
		t.Fatalf("the second run showed bob's first message %d times:\n%s", n, second.out)
	}

	// A third run, offline: the conversation as the second left it.
	srv.Stop()
	third := startCLI(t, args...)
	third.out.waitFor(t, `bob: "while you were away" (cached)`)
	third.out.waitFor(t, `alice: "typed offline 2" (cached)`)
	if strings.Contains(third.out.String(), "queued by an earlier run") {
		t.Fatalf("the third run found sends still queued:\n%s", third.out)
	}
}

// A store another process holds, or one that is not a store, is a clear
// error at start, and the file is left alone.
func TestConnectStoreRefused(t *testing.T) {
	dir := t.TempDir()
	held := filepath.Join(dir, "held.db")
	st, err := sqlitestore.Open(held, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	notAStore := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notAStore, []byte(strings.Repeat("my notes\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want error
	}{{held, data.ErrStoreLocked}, {notAStore, data.ErrStoreCorrupt}} {
		var out, errOut strings.Builder
		code := run(t.Context(), []string{"connect", "--url", "ws://127.0.0.1:1", "--token", "t", "--store", tc.path}, strings.NewReader(""), &out, &errOut)
		if code != exitFailure || !strings.Contains(errOut.String(), tc.want.Error()) {
			t.Errorf("--store %s: exit %d, stderr %q; want exit %d and %q", filepath.Base(tc.path), code, errOut.String(), exitFailure, tc.want)
		}
	}
	if b, _ := os.ReadFile(notAStore); string(b) != strings.Repeat("my notes\n", 100) {
		t.Error("the file that is not a store was changed")
	}
}
