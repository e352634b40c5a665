package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	dave = "dave"
	ops  = "ops"
)

// crash shows a durable session surviving SIGKILL: dave runs
// `chatwire connect --store FILE` in a process of its own, types three
// lines while the server is down, and the process is killed. Started
// again on the same file, it shows the cached conversation and delivers
// the three lines, once each and in order.
func (d *demo) crash(ctx context.Context) error {
	if err := d.srv.CreateConversation(ops, "Ops", dave, alice); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "chatwire-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	args := []string{"connect", "--url", d.srv.URL, "--token", d.srv.IssueToken(dave), "--conversation", ops,
		"--reconnect-delay", ms(d.opts.ReconnectDelay), "--store", filepath.Join(dir, "dave.db")}
	d.narrate("dave runs `chatwire connect --store dave.db` in a process of its own, in conversation %s with alice", ops)
	first, err := d.startProcess(args)
	if err != nil {
		return err
	}
	if err := first.waitFor(ctx, "sending to "+ops); err != nil {
		return err
	}
	if err := first.say("hi alice, dave here"); err != nil {
		return err
	}
	if err := first.waitFor(ctx, "confirmed by the server"); err != nil {
		return err
	}
	if err := d.pause(ctx, 1); err != nil {
		return err
	}
	d.tr.line("server", kindFault, "server stops again")
	d.srv.Stop()
	lines := []string{"deploy is stuck", "rolling back now", "rollback done"}
	for _, l := range lines {
		if err := first.say(l); err != nil {
			return err
		}
		if err := first.waitFor(ctx, fmt.Sprintf("%q queued on disk", l)); err != nil {
			return err
		}
	}
	d.tr.line(dave, kindFault, "dave's process is killed with SIGKILL: no Close, nothing flushed")
	first.kill()
	if err := d.srv.Start(); err != nil {
		return fmt.Errorf("restart server: %w", err)
	}
	d.tr.line("server", kindFault, "server starts again")
	d.narrate("dave starts chatwire connect again on the same file")
	second, err := d.startProcess(args)
	if err != nil {
		return err
	}
	defer second.kill()
	for _, l := range lines {
		if err := second.waitFor(ctx, fmt.Sprintf("%q queued by an earlier run, delivered", l)); err != nil {
			return err
		}
	}
	if err := second.say("/quit"); err != nil {
		return err
	}
	if err := second.wait(); err != nil {
		return fmt.Errorf("dave's second run: %w", err)
	}
	stored, err := d.srv.Messages(ops)
	if err != nil {
		return err
	}
	var daves []string
	for _, m := range stored {
		if m.SenderID == dave {
			daves = append(daves, m.Content)
		}
	}
	want := append([]string{"hi alice, dave here"}, lines...)
	ok := slices.Equal(daves, want)
	d.check(ok, "the lines dave's killed process had queued reached the server once each, in order: %q", daves)
	if !ok {
		d.fail(fmt.Errorf("dave's lines at the server: %q, want %q", daves, want))
	}
	return d.pause(ctx, 1)
}

// process is a chatwire command in a process of its own; its output goes
// to the transcript under dave's name.
type process struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	copied  sync.WaitGroup
	mu      sync.Mutex
	output  []string
	changed chan struct{}
}

// commandOf is how this executable runs as `chatwire ARGS...`; a test
// binary replaces it (its TestMain runs the command).
var commandOf = exec.Command

// startProcess runs this executable as `chatwire ARGS...`.
func (d *demo) startProcess(args []string) (*process, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := commandOf(exe, args...)
	p := &process{cmd: cmd, changed: make(chan struct{})}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d.narrate("dave's process started (pid %d)", cmd.Process.Pid)
	p.copied.Go(func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			// connect's own columns (+time kind detail) go under dave's name.
			line := elapsed.ReplaceAllString(sc.Text(), "")
			kind, detail, _ := strings.Cut(line, " ")
			d.tr.line(dave, kind, "%s", strings.TrimSpace(detail))
			p.mu.Lock()
			p.output = append(p.output, line)
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
	})
	return p, nil
}

var elapsed = regexp.MustCompile(`^\+[0-9.]+s\s+`)

// waitFor waits until the process has printed a line containing s.
func (p *process) waitFor(ctx context.Context, s string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		p.mu.Lock()
		found := slices.ContainsFunc(p.output, func(l string) bool { return strings.Contains(l, s) })
		changed := p.changed
		p.mu.Unlock()
		if found {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("dave's process never printed %q: %w", s, ctx.Err())
		}
	}
}

func (p *process) say(line string) error {
	_, err := fmt.Fprintln(p.stdin, line)
	return err
}

// wait waits for the process to exit and its output to be printed.
func (p *process) wait() error {
	p.copied.Wait()
	return p.cmd.Wait()
}

// kill ends the process with SIGKILL (a no-op once it has exited).
func (p *process) kill() {
	_ = p.cmd.Process.Kill()
	_ = p.wait()
}
