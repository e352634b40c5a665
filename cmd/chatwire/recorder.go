package main

import (
	"context"
	"slices"
	"sync"

	"github.com/chatwire/chatwire/domain"
)

// recorder keeps what one user's data sources delivered: every message, in
// arrival order, and the highest seq processed (what a restarted app
// persists to resume with a sync). A nil *recorder records nothing.
//
// Concurrency: safe for concurrent use; waitFor blocks until a condition
// holds or ctx ends.
type recorder struct {
	mu      sync.Mutex
	msgs    []domain.Message
	maxSeq  int64
	changed chan struct{} // closed and replaced on every change
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) add(m domain.Message) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	r.maxSeq = max(r.maxSeq, m.Seq)
	r.notifyLocked()
}

func (r *recorder) seq(s int64) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.maxSeq = max(r.maxSeq, s)
}

func (r *recorder) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// messages returns a copy of the messages received so far.
func (r *recorder) messages() []domain.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// lastSeq returns the highest seq processed.
func (r *recorder) lastSeq() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.maxSeq
}

// waitFor blocks until ok(messages) holds or ctx ends.
func (r *recorder) waitFor(ctx context.Context, ok func([]domain.Message) bool) error {
	for {
		r.mu.Lock()
		done, ch := ok(r.msgs), r.changed
		r.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
