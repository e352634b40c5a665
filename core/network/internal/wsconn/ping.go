package wsconn

import (
	"context"
	"encoding/binary"
	"sync"
)

// Pongs matches pongs to pings by their 8-byte payload. The zero value is
// ready; it is safe for concurrent use.
type Pongs struct {
	mu      sync.Mutex
	next    uint64
	waiters map[uint64]chan struct{}
}

func (p *Pongs) add() (uint64, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waiters == nil {
		p.waiters = make(map[uint64]chan struct{})
	}
	p.next++
	ch := make(chan struct{})
	p.waiters[p.next] = ch
	return p.next, ch
}

func (p *Pongs) remove(id uint64) {
	p.mu.Lock()
	delete(p.waiters, id)
	p.mu.Unlock()
}

// Resolve wakes the Ping whose payload this pong carries; other payloads
// are ignored. It always returns nil, so it can be a pong handler. Call it
// from the reader goroutine.
func (p *Pongs) Resolve(payload string) error {
	if len(payload) != 8 {
		return nil
	}
	id := binary.BigEndian.Uint64([]byte(payload))
	p.mu.Lock()
	if ch, ok := p.waiters[id]; ok {
		close(ch)
		delete(p.waiters, id)
	}
	p.mu.Unlock()
	return nil
}

// Ping queues a ping with a payload of its own for the writer and waits for
// the matching pong (resolved in p by the reader), ctx, or the end of the
// reader (errs.Closed). It fails at once like Send. Safe for concurrent
// use.
func (c *Conn) Ping(ctx context.Context, p *Pongs) error {
	id, pong := p.add()
	defer p.remove(id)
	payload := make([]byte, 8)
	binary.BigEndian.PutUint64(payload, id)
	if err := c.submit(ctx, &request{data: payload, ping: true, done: make(chan error, 1)}); err != nil {
		return err
	}
	select {
	case <-pong:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.readerDone:
		return c.errs.Closed
	}
}
