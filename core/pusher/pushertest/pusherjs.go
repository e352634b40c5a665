package pushertest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// PusherJSScriptEnv names the environment variable that points at the
// pusher-js interop client script.
const PusherJSScriptEnv = "CHATWIRE_PUSHERJS_SCRIPT"

// DefaultPusherJSScript is the interop client, relative to the module
// root; it needs pusher-js in .ci/soketi/node_modules (install.sh).
const DefaultPusherJSScript = ".ci/soketi/interop/pusherjs-client.js"

// PusherJSOptions configure a pusher-js client process.
type PusherJSOptions struct {
	Host, Key string
	// AuthEndpoint and Token authorize private and presence channels.
	AuthEndpoint, Token string
}

// JSMessage is one line the pusher-js client printed.
type JSMessage struct {
	Type    string          `json:"type"` // connected, subscribed, event, member_added, member_removed, error, whispered
	Channel string          `json:"channel"`
	Event   string          `json:"event"`
	Data    json.RawMessage `json:"data"`
	UserID  string          `json:"user_id"`
	ID      string          `json:"id"`
	Members []string        `json:"members"`
	Socket  string          `json:"socket_id"`
	Error   string          `json:"error"`
	OK      bool            `json:"ok"`
}

// PusherJS is a pusher-js client running in node: the reference client
// the Go client must interoperate with. Its methods are safe for
// concurrent use.
type PusherJS struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	msgs chan JSMessage
	done chan struct{}

	mu     sync.Mutex
	closed bool
	stderr *tailBuffer
}

// FindPusherJS returns node and the interop script, or an error saying
// what is missing.
func FindPusherJS() (node, script string, err error) {
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", errors.New("node not found in PATH")
	}
	script = os.Getenv(PusherJSScriptEnv)
	if script == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", "", fmt.Errorf("pusher-js client not found: set $%s (%v)", PusherJSScriptEnv, err)
		}
		script = filepath.Join(root, DefaultPusherJSScript)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "..", "node_modules", "pusher-js")); err != nil {
		return "", "", fmt.Errorf("pusher-js not installed next to %s: run .ci/soketi/install.sh", script)
	}
	return node, script, nil
}

// RunPusherJS starts a pusher-js client process. Close it when done.
func RunPusherJS(opts PusherJSOptions) (*PusherJS, error) {
	node, script, err := FindPusherJS()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), "PJS_HOST="+opts.Host, "PJS_KEY="+opts.Key, "PJS_AUTH="+opts.AuthEndpoint, "PJS_TOKEN="+opts.Token)
	p := &PusherJS{cmd: cmd, msgs: make(chan JSMessage, 1024), done: make(chan struct{}), stderr: &tailBuffer{max: 8 << 10}}
	cmd.Stderr = p.stderr
	if p.in, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pushertest: start pusher-js: %w", err)
	}
	go p.read(stdout)
	return p, nil
}

// StartPusherJS is RunPusherJS for a test: it skips the test when node or
// pusher-js is missing (fails it when $CI is "true"), and closes the
// client when the test ends.
func StartPusherJS(t testing.TB, opts PusherJSOptions) *PusherJS {
	t.Helper()
	if _, _, err := FindPusherJS(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %v", err)
		}
		t.Skipf("skipping pusher-js interop test: %v", err)
	}
	p, err := RunPusherJS(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func (p *PusherJS) read(r io.Reader) {
	defer close(p.done)
	defer close(p.msgs)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var m JSMessage
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			p.msgs <- m
		}
	}
}

// Send writes one command line: {"op":"subscribe","channel":...},
// {"op":"whisper","channel":...,"event":...,"data":...},
// {"op":"unsubscribe","channel":...}.
func (p *PusherJS) Send(cmd map[string]any) error {
	b, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err = p.in.Write(append(b, '\n'))
	return err
}

// Next returns the next message that satisfies match, skipping others,
// or an error when ctx ends or the process exits first.
func (p *PusherJS) Next(ctx context.Context, match func(JSMessage) bool) (JSMessage, error) {
	for {
		select {
		case m, ok := <-p.msgs:
			if !ok {
				return JSMessage{}, fmt.Errorf("pushertest: pusher-js exited; stderr: %s", p.stderr.String())
			}
			if match(m) {
				return m, nil
			}
		case <-ctx.Done():
			return JSMessage{}, fmt.Errorf("pushertest: pusher-js: %w; stderr: %s", ctx.Err(), p.stderr.String())
		}
	}
}

// Close ends the client (it disconnects when its stdin closes) and waits
// for the process. Idempotent.
func (p *PusherJS) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	_ = p.in.Close()
	p.mu.Unlock()
	go func() { // drain what it still prints
		for range p.msgs {
		}
	}()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return p.cmd.Wait()
}
