package data

import (
	"context"
	"sync"

	"github.com/chatwire/chatwire/domain"
)

// persister writes the session's changes to the Store off the pump: the
// pump and the ledger add changes to a pending batch, and one goroutine
// commits what has gathered, so inbound events never wait for the disk.
// Events and the position they lead to go in one batch, so a crash loses
// both or neither.
//
// A failed write is reported once (ClassStorage) and the session goes on
// in memory; later writes are still tried.
type persister struct {
	store  Store
	report func(error)

	mu       sync.Mutex
	pending  Batch
	failing  bool // the last commit failed: not reported again until one succeeds
	detached bool // the store belongs to another account: write nothing
	started  bool

	wake chan struct{} // cap 1: pending changed
	stop chan struct{}
	done chan struct{}
}

func newPersister(store Store, report func(error)) *persister {
	return &persister{store: store, report: report,
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
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// detach stops writing: the store belongs to another account.
func (p *persister) detach() {
	p.mu.Lock()
	p.detached, p.pending = true, Batch{}
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
	b := p.pending
	p.pending = Batch{}
	p.mu.Unlock()
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

// cache is the pump's view of the conversations a store caches: the
// latest snapshot of each, kept in step with the events the app receives
// (a chat.message moves the last message and, from someone else, adds one
// unread; a conversation.update replaces what it carries).
type cache struct {
	p     *persister
	convs map[string]domain.ConversationUpdate
}

// record adds a published event to the cache. A nil cache (no store)
// records nothing.
func (c *cache) record(ev domain.Event, me string) {
	if c == nil {
		return
	}
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
		c.p.add(func(b *Batch) {
			b.Messages = append(b.Messages, e)
			b.Conversations = append(b.Conversations, cv)
		})
	case domain.ConversationUpdate:
		if e.Action == domain.ConversationDeleted {
			delete(c.convs, e.ConversationID)
			c.p.add(func(b *Batch) { b.DeletedConversations = append(b.DeletedConversations, e.ConversationID) })
			return
		}
		cv := mergeConversation(c.conv(e.ConversationID), e)
		c.convs[e.ConversationID] = cv
		c.p.add(func(b *Batch) { b.Conversations = append(b.Conversations, cv) })
	}
}

func (c *cache) conv(id string) domain.ConversationUpdate {
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
