package data

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/domain"
)

// ledger is the one record of every chat.message send, from SendMessage to
// its end. An entry is queued while offline, written on the open
// connection, written again on every new connection until acknowledged, and
// ended exactly once: confirmed by its echo, failed (a server error naming
// its client id, ErrFrameTooLarge), expired (ErrSendExpired, OutboxTTL after
// the call) or cancelled (the caller's ctx). Nothing else keeps a copy.
//
// Concurrency: safe for concurrent use. Its mutex is held for bookkeeping
// only, never during a write or while delivering a result.
type ledger struct {
	clock clock.Clock
	ttl   time.Duration
	size  int

	mu      sync.Mutex
	hooks   ledgerHooks
	entries []*sendEntry // not ended, oldest first
	// backlog holds the sends recovered from a store beyond the outbox's
	// size, oldest first: each takes the place of the next send that ends
	// (new sends are refused while it is not empty, so that the older ones
	// go first). Their TTL starts when they are taken.
	backlog []*sendEntry
	// toWrite holds backlog sends taken while a connection was open, oldest
	// first, for the one backlog writer goroutine (writing while set);
	// close waits for it through writer.
	toWrite  []*sendEntry
	writing  bool
	writer   sync.WaitGroup
	open     *ledgerConn // the connection sends are written on directly; nil while none
	lastConn uint64      // the connection entries were last written on
	maxFrame int64       // the latest max_frame_bytes announced; 0: none
	// otherFrame is the biggest frame other than a send (message.read,
	// call.*) written on lastConn: a 4009 after it blames no smaller send.
	otherFrame int
	stopped    error // set by stop: sends fail with it until restart
	// restartedAt is the manager state Seq restart was called at: a stop
	// for a failure at or before it is stale.
	restartedAt uint64
	closed      error // set by failAll for good (Close)
}

// ledgerConn is a connection entries may be written on.
type ledgerConn struct {
	id   uint64
	send func(ctx context.Context, frame []byte) error
}

// sendEntry is one send. Its fields other than clientID, frame and done are
// guarded by ledger.mu.
type sendEntry struct {
	clientID string
	frame    []byte
	done     chan sendResult // buffered; receives the one result
	// draft is set for a send recovered from a store: its end goes to
	// ledger.recovered, not to done.
	draft *domain.MessageDraft

	conn    uint64 // the connection it was last handed to a writer on; 0: none
	writing int    // writes in flight
	written bool   // a write succeeded: the server may have it
	ended   bool
	stopTTL func() bool
	// stopWrite, while its caller writes it directly, gives up waiting for
	// a write still queued behind others: the send ends within its TTL
	// even on a socket that has stopped draining.
	stopWrite context.CancelFunc
}

// ledgerHooks are told of the sends that end.
type ledgerHooks struct {
	// ended, if set, is told of every send that ended (the store forgets it).
	ended func(clientID string)
	// recovered receives the end of every send recovered from a store:
	// its caller is gone.
	recovered func(domain.SendResult)
}

type sendResult struct {
	msg domain.Message
	err error
}

func newLedger(clk clock.Clock, size int, ttl time.Duration) *ledger {
	if size <= 0 {
		size = defaultOutboxSize
	}
	if ttl <= 0 {
		ttl = defaultOutboxTTL
	}
	return &ledger{clock: clk, size: size, ttl: ttl}
}

var errClientIDInFlight = errors.New("client id is already being sent")

// add records a new send and arms its TTL.
func (l *ledger) add(clientID string, frame []byte) (*sendEntry, error) {
	return l.addEntry(&sendEntry{clientID: clientID, frame: frame, done: make(chan sendResult, 1)})
}

// recover records a send an earlier process left unfinished. Its TTL
// starts now, or, beyond the outbox's size, when it leaves the backlog.
func (l *ledger) recover(draft domain.MessageDraft, frame []byte) error {
	e := &sendEntry{clientID: draft.ClientID, frame: frame, draft: &draft, done: make(chan sendResult, 1)}
	_, err := l.addEntry(e)
	if errors.Is(err, domain.ErrOutboxFull) {
		l.mu.Lock()
		l.backlog = append(l.backlog, e)
		l.mu.Unlock()
		return nil
	}
	return err
}

func (l *ledger) addEntry(e *sendEntry) (*sendEntry, error) {
	clientID, frame := e.clientID, e.frame
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed != nil:
		return nil, l.closed
	case l.stopped != nil:
		return nil, l.stopped
	case l.maxFrame > 0 && int64(len(frame)) > l.maxFrame:
		return nil, tooLarge(len(frame), l.maxFrame)
	case len(l.entries) >= l.size || len(l.backlog) > 0 || l.writing:
		// Full, or older sends from the store still go first.
		return nil, domain.ErrOutboxFull
	}
	if l.hasLocked(clientID) {
		return nil, inFlightError(clientID)
	}
	l.takeLocked(e)
	return e, nil
}

// takeLocked puts e in the ledger and arms its TTL. The caller holds mu.
func (l *ledger) takeLocked(e *sendEntry) {
	l.entries = append(l.entries, e)
	e.stopTTL = l.clock.AfterFunc(l.ttl, func() {
		l.end(e, sendResult{err: fmt.Errorf("%w: not confirmed within %v", domain.ErrSendExpired, l.ttl)})
	})
}

// takeBacklogLocked moves backlog sends into the room the ledger has. Those
// taken while a connection is open are written by the backlog writer, one
// after the other; it reports whether that writer must be started (the
// caller does so with startWriter after releasing mu). The caller holds mu.
func (l *ledger) takeBacklogLocked() (startWriter bool) {
	for len(l.backlog) > 0 && len(l.entries) < l.size && l.closed == nil && l.stopped == nil {
		e := l.backlog[0]
		l.backlog[0] = nil
		l.backlog = l.backlog[1:]
		l.takeLocked(e)
		if l.open != nil {
			l.toWrite = append(l.toWrite, e)
		}
	}
	if len(l.toWrite) == 0 || l.writing {
		return false
	}
	// Counted under mu, where close marks the ledger closed before it
	// waits: no Add can follow its Wait.
	l.writing = true
	l.writer.Add(1)
	return true
}

// startWriter runs the backlog writer: it writes the taken sends in order
// on the open connection (a send's end stops its write) until none is
// left.
func (l *ledger) startWriter(start bool) {
	if !start {
		return
	}
	go func() {
		defer l.writer.Done()
		for {
			l.mu.Lock()
			if len(l.toWrite) == 0 {
				l.writing = false
				l.mu.Unlock()
				return
			}
			e := l.toWrite[0]
			l.toWrite[0] = nil
			l.toWrite = l.toWrite[1:]
			l.mu.Unlock()
			l.writeIfOpen(context.Background(), e)
		}
	}()
}

func inFlightError(clientID string) error {
	return fmt.Errorf("%w: %w: %q", domain.ErrInvalidDraft, errClientIDInFlight, clientID)
}

// has reports whether a send with clientID is waiting to end.
func (l *ledger) has(clientID string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hasLocked(clientID)
}

func (l *ledger) hasLocked(clientID string) bool {
	is := func(e *sendEntry) bool { return e.clientID == clientID }
	return slices.ContainsFunc(l.entries, is) || slices.ContainsFunc(l.backlog, is)
}

func tooLarge(n int, limit int64) error {
	return fmt.Errorf("%w: message is %d bytes, the server accepts %d", domain.ErrFrameTooLarge, n, limit)
}

// writeIfOpen writes e on the open connection, if there is one and e is
// not already on it. A failed write leaves e to the next connection. The
// write is given up when e ends meanwhile (its TTL).
func (l *ledger) writeIfOpen(ctx context.Context, e *sendEntry) {
	l.mu.Lock()
	c := l.open
	if c == nil || e.ended || e.conn == c.id {
		l.mu.Unlock()
		return
	}
	l.handLocked(e, c.id)
	ctx, stop := context.WithCancel(ctx)
	e.stopWrite = stop
	l.mu.Unlock()
	defer stop()
	l.write(ctx, e, c)
	l.mu.Lock()
	e.stopWrite = nil
	l.mu.Unlock()
}

// handLocked marks e as being written on conn. The caller holds mu.
func (l *ledger) handLocked(e *sendEntry, conn uint64) {
	e.conn = conn
	e.writing++
	l.lastConn = conn
	l.otherFrame = 0
}

// write writes e on c and records the outcome.
func (l *ledger) write(ctx context.Context, e *sendEntry, c *ledgerConn) error {
	err := c.send(ctx, e.frame)
	l.mu.Lock()
	e.writing--
	if err == nil {
		e.written = true
	} else if e.conn == c.id {
		e.conn = 0 // not on this connection after all: the next one takes it
	}
	l.mu.Unlock()
	return err
}

// setMaxFrame records the max_frame_bytes a session.ready announced (0:
// none). Sends over it fail from now on, before they are written.
func (l *ledger) setMaxFrame(n int64) {
	l.mu.Lock()
	l.maxFrame = n
	l.mu.Unlock()
}

// connect takes the entries to a new connection, before any other chat
// frame is written on it: entries over the announced limit fail with
// ErrFrameTooLarge, the others are written oldest first, and once none is
// left unwritten the connection is open for direct writes. It returns the
// first write error (the connection is then useless).
func (l *ledger) connect(ctx context.Context, conn uint64, send func(context.Context, []byte) error) error {
	c := &ledgerConn{id: conn, send: send}
	var over []*sendEntry
	l.mu.Lock()
	l.open = nil
	// Room a stop left (it ended every send) goes to the backlog first.
	start := l.takeBacklogLocked()
	maxFrame := l.maxFrame
	for _, e := range l.entries {
		if maxFrame > 0 && int64(len(e.frame)) > maxFrame {
			over = append(over, e)
		}
	}
	l.mu.Unlock()
	l.startWriter(start)
	for _, e := range over {
		l.end(e, sendResult{err: tooLarge(len(e.frame), maxFrame)})
	}
	for {
		l.mu.Lock()
		i := slices.IndexFunc(l.entries, func(e *sendEntry) bool { return e.conn != conn })
		if i < 0 {
			l.open = c
			l.mu.Unlock()
			return nil
		}
		e := l.entries[i]
		l.handLocked(e, conn)
		l.mu.Unlock()
		if err := l.write(ctx, e, c); err != nil {
			return err
		}
	}
}

// maxFrameBytes is the latest max_frame_bytes announced; 0 for none.
func (l *ledger) maxFrameBytes() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.maxFrame
}

// disconnect stops direct writes on conn, which has ended.
func (l *ledger) disconnect(conn uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open != nil && l.open.id == conn {
		l.open = nil
	}
}

// confirm ends the send with clientID with its echo. It reports whether
// one was waiting.
func (l *ledger) confirm(clientID string, m domain.Message) bool {
	return l.endByID(clientID, sendResult{msg: m})
}

// fail ends the send with clientID with err. It reports whether one was
// waiting.
func (l *ledger) fail(clientID string, err error) bool {
	return l.endByID(clientID, sendResult{err: err})
}

func (l *ledger) endByID(clientID string, r sendResult) bool {
	l.mu.Lock()
	i := slices.IndexFunc(l.entries, func(e *sendEntry) bool { return e.clientID == clientID })
	var e *sendEntry
	if i >= 0 {
		e = l.entries[i]
	}
	l.mu.Unlock()
	return e != nil && l.end(e, r)
}

// wroteOther records a frame other than a send written on the current
// connection.
func (l *ledger) wroteOther(size int) {
	l.mu.Lock()
	l.otherFrame = max(l.otherFrame, size)
	l.mu.Unlock()
}

// failFrameTooLarge ends the culprit of a close 4009 from a server that
// announced no limit: the biggest unacknowledged frame written on the
// connection that got it. It is never resent. When a frame other than a
// send at least as big went out on that connection, it is the likelier
// culprit (whatever limit the send broke, it broke too): no send is
// failed, and the next 4009, if any, finds the send alone.
func (l *ledger) failFrameTooLarge(cause error) {
	l.mu.Lock()
	var culprit *sendEntry
	for _, e := range l.entries {
		if e.conn == l.lastConn && (e.written || e.writing > 0) &&
			(culprit == nil || len(e.frame) > len(culprit.frame)) {
			culprit = e
		}
	}
	if culprit != nil && l.otherFrame >= len(culprit.frame) {
		culprit = nil
	}
	l.mu.Unlock()
	if culprit != nil {
		l.end(culprit, sendResult{err: fmt.Errorf("%w: the server closed the connection after this message (%d bytes): %w",
			domain.ErrFrameTooLarge, len(culprit.frame), cause)})
	}
}

// cancel ends e because its caller gave up. It returns e's result if e had
// ended already, and whether e may have reached the server. Whether a
// write started is decided under the same lock that ends e, so no write can
// start unseen after it.
func (l *ledger) cancel(e *sendEntry) (r sendResult, ended, maybeSent bool) {
	l.mu.Lock()
	maybeSent = e.written || e.writing > 0
	mine := l.endLocked(e)
	hooks := l.hooks
	start := l.takeBacklogLocked()
	l.mu.Unlock()
	l.startWriter(start)
	if !mine {
		return <-e.done, true, maybeSent
	}
	hooks.deliver(e, sendResult{})
	<-e.done // our own empty result
	return sendResult{}, false, maybeSent
}

// end ends e with r, once. It reports whether this call ended it.
func (l *ledger) end(e *sendEntry, r sendResult) bool {
	l.mu.Lock()
	mine := l.endLocked(e)
	hooks := l.hooks
	start := l.takeBacklogLocked()
	l.mu.Unlock()
	l.startWriter(start)
	if mine {
		hooks.deliver(e, r)
	}
	return mine
}

// endLocked marks e ended and takes it out of the ledger; the caller holds
// mu, and delivers the result after releasing it. It reports whether this
// call ended e.
func (l *ledger) endLocked(e *sendEntry) bool {
	if e.ended {
		return false
	}
	e.ended = true
	if e.stopWrite != nil {
		e.stopWrite()
	}
	if i := slices.Index(l.entries, e); i >= 0 {
		l.entries = slices.Delete(l.entries, i, i+1)
	}
	return true
}

// deliver hands the result of the send e, just ended, to whoever waits for
// it.
func (h ledgerHooks) deliver(e *sendEntry, r sendResult) {
	if e.stopTTL != nil { // nil for a send that never left the backlog
		e.stopTTL()
	}
	if h.ended != nil {
		h.ended(e.clientID)
	}
	if e.draft != nil && h.recovered != nil {
		h.recovered(domain.SendResult{ClientID: e.clientID, ConversationID: e.draft.ConversationID, Message: r.msg, Err: r.err})
	}
	e.done <- r
}

// pendingDrafts returns the recovered sends not yet ended, oldest first.
func (l *ledger) pendingDrafts() []domain.MessageDraft {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []domain.MessageDraft
	for _, e := range append(slices.Clone(l.entries), l.backlog...) {
		if e.draft != nil {
			out = append(out, *e.draft)
		}
	}
	return out
}

// dropRecovered fails the recovered sends with err: they belong to another
// account than the session's.
func (l *ledger) dropRecovered(err error) {
	l.mu.Lock()
	var drop []*sendEntry
	for _, e := range l.entries {
		if e.draft != nil {
			drop = append(drop, e)
		}
	}
	backlog := l.backlog
	l.backlog = nil
	for _, e := range backlog {
		e.ended = true
	}
	hooks := l.hooks
	l.mu.Unlock()
	for _, e := range backlog {
		hooks.deliver(e, sendResult{err: err})
	}
	for _, e := range drop {
		l.end(e, sendResult{err: err})
	}
}

// stop ends every send with err, and fails new ones with it until restart:
// the connection manager has given up, in its state change seq. A failure
// from before the latest restart is stale and changes nothing: it may
// arrive after Connect has started the manager again.
func (l *ledger) stop(err error, seq uint64) {
	l.mu.Lock()
	if seq <= l.restartedAt {
		l.mu.Unlock()
		return
	}
	l.stopped = err
	l.mu.Unlock()
	l.endAll(err)
}

// restart accepts sends again after stop: Connect starts the manager again
// after its state change seq.
func (l *ledger) restart(seq uint64) {
	l.mu.Lock()
	l.stopped, l.restartedAt = nil, seq
	start := l.takeBacklogLocked() // the room stop left
	l.mu.Unlock()
	l.startWriter(start)
}

// close ends every send with err, and fails new ones with it for good. A
// store keeps the sends it holds: the next session resends them.
func (l *ledger) close(err error) {
	l.mu.Lock()
	l.closed, l.open = err, nil
	l.hooks = ledgerHooks{}
	l.mu.Unlock()
	l.endAll(err)
	l.writer.Wait()
}

func (l *ledger) endAll(err error) {
	l.mu.Lock()
	all := slices.Clone(l.entries)
	l.mu.Unlock()
	for _, e := range all {
		l.end(e, sendResult{err: err})
	}
}
