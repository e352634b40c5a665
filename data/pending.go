package data

import (
	"slices"
	"sync"

	"github.com/chatwire/chatwire/domain"
)

// pendingSend is a chat.message sent and not yet acknowledged by its echo.
type pendingSend struct {
	clientID string
	frame    []byte
	written  bool // reached a socket: resent after a reconnect until acknowledged
	done     chan sendResult
}

type sendResult struct {
	msg domain.Message
	err error
}

// pendingSends tracks unacknowledged messages in the order they were sent.
// Safe for concurrent use.
type pendingSends struct {
	mu    sync.Mutex
	byID  map[string]*pendingSend
	order []*pendingSend
	gen   uint64 // counts connections; a send spanning a new one is resent
}

func newPendingSends() *pendingSends {
	return &pendingSends{byID: make(map[string]*pendingSend)}
}

// add registers a send and returns it with the current connection generation.
// It reports false when clientID is already in flight.
func (ps *pendingSends) add(clientID string, frame []byte) (*pendingSend, uint64, bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if _, dup := ps.byID[clientID]; dup {
		return nil, 0, false
	}
	p := &pendingSend{clientID: clientID, frame: frame, done: make(chan sendResult, 1)}
	ps.byID[clientID] = p
	ps.order = append(ps.order, p)
	return p, ps.gen, true
}

// markWritten records that p reached a socket. It reports whether a new
// connection began while it was being written (since gen): the write may have
// gone to the old socket after the new connection's resend pass, so the
// caller sends it once more (the server drops the second copy).
func (ps *pendingSends) markWritten(p *pendingSend, gen uint64) (resend bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p.written = true
	return ps.gen != gen
}

// newConnection starts a generation and returns the frames to resend on it,
// oldest first: every written, unacknowledged message.
func (ps *pendingSends) newConnection() [][]byte {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.gen++
	var frames [][]byte
	for _, p := range ps.order {
		if p.written {
			frames = append(frames, p.frame)
		}
	}
	return frames
}

// complete resolves the send with clientID, if one is pending.
func (ps *pendingSends) complete(clientID string, r sendResult) bool {
	ps.mu.Lock()
	p, ok := ps.byID[clientID]
	if ok {
		ps.removeLocked(p)
	}
	ps.mu.Unlock()
	if ok {
		p.done <- r
	}
	return ok
}

// remove forgets p without resolving it (its caller gave up). It reports
// false when p was resolved already: its result is then on p.done, or about
// to be.
func (ps *pendingSends) remove(p *pendingSend) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.removeLocked(p)
}

// failAll resolves every pending send with err.
func (ps *pendingSends) failAll(err error) {
	ps.mu.Lock()
	all := ps.order
	ps.order = nil
	clear(ps.byID)
	ps.mu.Unlock()
	for _, p := range all {
		p.done <- sendResult{err: err}
	}
}

func (ps *pendingSends) removeLocked(p *pendingSend) bool {
	if ps.byID[p.clientID] != p {
		return false
	}
	delete(ps.byID, p.clientID)
	if i := slices.Index(ps.order, p); i >= 0 {
		ps.order = slices.Delete(ps.order, i, i+1)
	}
	return true
}
