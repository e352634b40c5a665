package data

import (
	"context"
	"sync"

	"github.com/chatwire/chatwire/domain"
)

// publishedState is what the loop has made of the session so far, for
// readers on other goroutines: ConnectionState, Position, and Connect
// waiting until the state it returns on has been applied. Only the loop
// and Close write it.
type publishedState struct {
	mu       sync.Mutex
	state    domain.ConnectionState
	applied  uint64 // the Seq of the latest manager state change applied
	position domain.Position
	changed  chan struct{} // closed and replaced on every update
}

func newPublishedState() *publishedState {
	return &publishedState{changed: make(chan struct{})}
}

// update changes the published state and wakes waiters.
func (p *publishedState) update(change func(*publishedState)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	change(p)
	close(p.changed)
	p.changed = make(chan struct{})
}

// setPosition records the session's position. Waiters are not woken: no
// one waits for a position.
func (p *publishedState) setPosition(pos domain.Position) {
	p.mu.Lock()
	p.position = pos
	p.mu.Unlock()
}

func (p *publishedState) snapshot() (domain.ConnectionState, domain.Position) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state, p.position
}

// await waits until the manager state change seq has been applied, and
// returns nil then; or ctx's error when ctx ends first, or domain.ErrClosed
// when stopped is closed first.
func (p *publishedState) await(ctx context.Context, seq uint64, stopped <-chan struct{}) error {
	for {
		p.mu.Lock()
		applied, changed := p.applied, p.changed
		p.mu.Unlock()
		if applied >= seq {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-stopped:
			return domain.ErrClosed
		}
	}
}
