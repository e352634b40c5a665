package data

import (
	"context"
	"slices"
	"sync"

	"github.com/chatwire/chatwire/domain"
)

// persister writes the session's changes to the Store off the loop: the
// loop and the ledger add changes to a pending batch, and one goroutine
// commits what has gathered, so inbound events never wait for the disk.
// Events and the position they lead to go in one batch, so a crash loses
// both or neither.
//
// The loop hands over the events the cache keeps as they are; flush folds
// them into the batch (the messages, and the conversation snapshots they
// move), so that bookkeeping runs on the writing goroutine, not the loop.
// Flush reuses the buffers of the batch before: a Store does not keep a
// batch's slices after Commit returns.
//
// A failed write is reported once (ClassStorage) and the session goes on
// in memory; later writes are still tried.
type persister struct {
	store  Store
	report func(error)

	mu       sync.Mutex
	pending  Batch           // its messages and snapshots come from events, in flush
	events   []recorded      // the loop's events, in order, with pending
	pos      domain.Position // pending.Position points here while pending
	failing  bool            // the last commit failed: not reported again until one succeeds
	detached bool            // the store belongs to another account: write nothing
	started  bool

	// flush's alone (one flush runs at a time).
	convs       convCache
	spareEvents []recorded       // emptied, for the next take
	spareMsgs   []domain.Message // emptied, for the next batch

	wake chan struct{} // cap 1: pending changed
	stop chan struct{}
	done chan struct{}
}

// recorded is an event the app received, for the cache, with the user it
// was received as (whose own messages add no unread).
type recorded struct {
	ev domain.Event
	me string
}

func newPersister(store Store, report func(error), convs map[string]domain.ConversationUpdate) *persister {
	return &persister{store: store, report: report, convs: convCache{convs: convs},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// start starts the writing goroutine; changes added before it wait.
func (p *persister) start() {
	p.mu.Lock()
	p.started = true
	p.mu.Unlock()
	go p.run()
}

// add applies change to the pending batch. A nil persister (no store)
// records nothing.
func (p *persister) add(change func(*Batch)) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.detached {
		p.mu.Unlock()
		return
	}
	change(&p.pending)
	p.mu.Unlock()
	p.notify()
}

// addFrame adds what one frame changed (see recorder) in one piece.
func (p *persister) addFrame(events []recorded, pos *domain.Position, account *Account) {
	p.mu.Lock()
	if p.detached {
		p.mu.Unlock()
		return
	}
	p.events = append(p.events, events...)
	if pos != nil {
		p.pos = *pos
		p.pending.Position = &p.pos
	}
	if account != nil {
		p.pending.Account = account
	}
	p.mu.Unlock()
	p.notify()
}

func (p *persister) notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// detach stops writing: the store belongs to another account.
func (p *persister) detach() {
	p.mu.Lock()
	p.detached, p.pending = true, Batch{}
	clear(p.events)
	p.events = p.events[:0]
	p.mu.Unlock()
}

func (p *persister) run() {
	defer close(p.done)
	for {
		select {
		case <-p.wake:
			p.flush()
		case <-p.stop:
			p.flush()
			return
		}
	}
}

// flush commits what has gathered.
func (p *persister) flush() {
	p.mu.Lock()
	b, events := p.pending, p.events
	p.pending, p.events = Batch{}, p.spareEvents
	if b.Position != nil {
		pos := p.pos
		b.Position = &pos
	}
	p.mu.Unlock()

	b.Messages = p.spareMsgs
	for _, e := range events {
		p.convs.record(&b, e.ev, e.me)
	}
	clear(events)
	p.spareEvents = events[:0]
	defer func() {
		clear(b.Messages)
		p.spareMsgs = b.Messages[:0]
	}()
	if b.empty() {
		return
	}
	err := p.store.Commit(context.Background(), b)
	p.mu.Lock()
	report := err != nil && !p.failing
	p.failing = err != nil
	p.mu.Unlock()
	if report {
		p.report(err)
	}
}

// close commits what is pending and stops the goroutine.
func (p *persister) close() {
	p.mu.Lock()
	started := p.started
	p.mu.Unlock()
	if !started {
		p.flush()
		return
	}
	close(p.stop)
	<-p.done
}

// recorder gathers on the loop what one frame changes for the store: the
// events the cache keeps, the position they lead to, and the account a
// first session binds the store to. handOver gives them to the persister
// in one piece after the frame, so that no batch carries a position
// without its events. A nil recorder (no store) records nothing.
type recorder struct {
	p       *persister
	events  []recorded
	pos     *domain.Position // &at when set
	at      domain.Position
	account *Account
}

// position records the position the store may keep.
func (r *recorder) position(pos domain.Position) {
	if r != nil {
		r.at = pos
		r.pos = &r.at
	}
}

// bind records the account a first session binds the store to.
func (r *recorder) bind(a Account) {
	if r != nil {
		r.account = &a
	}
}

// record adds a published event, if the cache keeps its kind.
func (r *recorder) record(ev domain.Event, me string) {
	if r == nil {
		return
	}
	switch ev.(type) {
	case domain.Message, domain.ConversationUpdate:
		r.events = append(r.events, recorded{ev, me})
	}
}

// handOver gives what the last frame changed to the persister, which
// copies it.
func (r *recorder) handOver() {
	if r == nil || (len(r.events) == 0 && r.pos == nil && r.account == nil) {
		return
	}
	r.p.addFrame(r.events, r.pos, r.account)
	clear(r.events)
	r.events, r.pos, r.account = r.events[:0], nil, nil
}

// convCache is the persister's view of the conversations a store caches:
// the latest snapshot of each, kept in step with the events the app
// receives (a chat.message moves the last message and, from someone else,
// adds one unread; a conversation.update replaces what it carries).
type convCache struct {
	convs map[string]domain.ConversationUpdate
}

// putConversation records cv as its conversation's latest snapshot: one
// per conversation per batch, however many messages moved it.
func (b *Batch) putConversation(cv domain.ConversationUpdate) {
	b.DeletedConversations = slices.DeleteFunc(b.DeletedConversations, func(id string) bool { return id == cv.ConversationID })
	for i := range b.Conversations {
		if b.Conversations[i].ConversationID == cv.ConversationID {
			b.Conversations[i] = cv
			return
		}
	}
	b.Conversations = append(b.Conversations, cv)
}

// deleteConversation records that conversation id is gone.
func (b *Batch) deleteConversation(id string) {
	b.Conversations = slices.DeleteFunc(b.Conversations, func(cv domain.ConversationUpdate) bool { return cv.ConversationID == id })
	if !slices.Contains(b.DeletedConversations, id) {
		b.DeletedConversations = append(b.DeletedConversations, id)
	}
}

// record folds a received event into the snapshots and into b.
func (c *convCache) record(b *Batch, ev domain.Event, me string) {
	switch e := ev.(type) {
	case domain.Message:
		cv := c.conv(e.ConversationID)
		m := e
		cv.LastMessage = &m
		if e.SenderID != me {
			n := 1
			if cv.UnreadCount != nil {
				n += *cv.UnreadCount
			}
			cv.UnreadCount = &n
		}
		if e.CreatedAt.After(cv.UpdatedAt) {
			cv.UpdatedAt = e.CreatedAt
		}
		c.convs[e.ConversationID] = cv
		b.Messages = append(b.Messages, e)
		b.putConversation(cv)
	case domain.ConversationUpdate:
		if e.Action == domain.ConversationDeleted {
			delete(c.convs, e.ConversationID)
			b.deleteConversation(e.ConversationID)
			return
		}
		cv := mergeConversation(c.conv(e.ConversationID), e)
		c.convs[e.ConversationID] = cv
		b.putConversation(cv)
	}
}

func (c *convCache) conv(id string) domain.ConversationUpdate {
	if cv, ok := c.convs[id]; ok {
		return cv
	}
	return domain.ConversationUpdate{ConversationID: id, Action: domain.ConversationUpdated}
}

// mergeConversation applies what u carries to the snapshot cv.
func mergeConversation(cv, u domain.ConversationUpdate) domain.ConversationUpdate {
	cv.Action = u.Action
	if u.Title != "" {
		cv.Title = u.Title
	}
	if u.ParticipantIDs != nil {
		cv.ParticipantIDs = u.ParticipantIDs
	}
	if u.LastMessage != nil {
		cv.LastMessage = u.LastMessage
	}
	if u.UnreadCount != nil {
		cv.UnreadCount = u.UnreadCount
	}
	if !u.UpdatedAt.IsZero() {
		cv.UpdatedAt = u.UpdatedAt
	}
	cv.Seq = max(cv.Seq, u.Seq)
	return cv
}
