package pushertest

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"time"
)

// process is one server executable that can be started, stopped and
// started again (Soketi, nats-server). Safe for concurrent use.
type process struct {
	name string // for error messages
	bin  string
	args []string
	log  io.Writer // also receives the output; may be nil

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	out    *tailBuffer
}

// start runs the executable in its own process group. It fails if it is
// already running.
func (p *process) start() (exited <-chan struct{}, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		select {
		case <-p.exited: // it ended by itself: start it again
		default:
			return nil, fmt.Errorf("%s: already running", p.name)
		}
	}
	out := &tailBuffer{max: 16 << 10}
	var w io.Writer = out
	if p.log != nil {
		w = io.MultiWriter(out, p.log)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = w, w
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", p.name, p.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	p.cmd, p.exited, p.out = cmd, done, out
	return done, nil
}

// stop ends the process: with kill at once (SIGKILL to its group), else
// with SIGTERM, and SIGKILL after grace. It returns once the process has
// exited; on a stopped process it does nothing.
func (p *process) stop(kill bool, grace time.Duration) {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.cmd, p.exited = nil, nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	if !kill {
		terminate(cmd)
		select {
		case <-exited:
			return
		case <-time.After(grace):
		}
	}
	killGroup(cmd)
	<-exited
}

// running reports whether the process was started and has not exited.
func (p *process) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// done returns a channel closed when the current process exits, for
// whatever reason; nil when it is not running.
func (p *process) done() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil
	}
	return p.exited
}

// output returns the last lines the process printed.
func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil {
		return ""
	}
	return p.out.String()
}

// errExited is returned when a server exits before it answers.
var errExited = errors.New("exited before it answered")

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
