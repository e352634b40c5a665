package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// cliChildEnv makes this test binary run the chatwire command with the
// arguments it holds (separated by \x1f): the store tests and a demo run
// by `go test` start their `chatwire connect` processes through it.
const cliChildEnv = "CHATWIRE_CLI_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(cliChildEnv); ok { // the CLI in a child process (connect_store_test.go)
		os.Exit(run(context.Background(), strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr))
	}
	commandOf = func(exe string, args ...string) *exec.Cmd {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), cliChildEnv+"="+strings.Join(args, "\x1f"))
		return cmd
	}
	goleak.VerifyTestMain(m)
}

// syncBuffer is an io.Writer a command writes to while the test reads it.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	close(s.changed)
	s.changed = make(chan struct{})
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the output contains want. The deadline only guards
// against a hang; it is not a speed assertion.
func (s *syncBuffer) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		has, ch := strings.Contains(s.b.String(), want), s.changed
		s.mu.Unlock()
		if has {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("output never contained %q; got:\n%s", want, s.String())
		}
	}
}

// lineWith returns the first line of out containing every part, or "".
func lineWith(out string, parts ...string) string {
	for _, l := range strings.Split(out, "\n") {
		ok := true
		for _, p := range parts {
			if !strings.Contains(l, p) {
				ok = false
				break
			}
		}
		if ok {
			return l
		}
	}
	return ""
}

// eventLine returns the first demo transcript line of user and kind that
// contains every part, or "".
func eventLine(out, user, kind string, parts ...string) string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 3 || f[1] != user || f[2] != kind {
			continue
		}
		if lineWith(l, parts...) != "" {
			return l
		}
	}
	return ""
}
