package data

import (
	"context"
	"slices"
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
//
// What one frame changes (its events and the position they lead to)
// gathers in pending and is handed to the persister in one piece after
// the frame, so that no batch carries a position without its events.
type cache struct {
	p       *persister
	convs   map[string]domain.ConversationUpdate
	pending Batch
}

// position records the position the store may keep. A nil cache (no
// store) records nothing.
func (c *cache) position(pos domain.Position) {
	if c != nil {
		c.pending.Position = &pos
	}
}

// handOver gives what the last frame changed to the persister. The merge
// copies the changes, so pending keeps its slices for the next frame.
func (c *cache) handOver() {
	if c == nil || c.pending.empty() {
		return
	}
	c.p.add(func(p *Batch) { p.merge(c.pending) })
	c.pending = Batch{Messages: c.pending.Messages[:0], Conversations: c.pending.Conversations[:0],
		DeletedConversations: c.pending.DeletedConversations[:0]}
}

// merge adds o's changes to b's, as if applied after them.
func (b *Batch) merge(o Batch) {
	if o.Account != nil {
		b.Account = o.Account
	}
	if o.Position != nil {
		b.Position = o.Position
	}
	b.EndedSends = append(b.EndedSends, o.EndedSends...)
	b.Messages = append(b.Messages, o.Messages...)
	for _, id := range o.DeletedConversations {
		b.deleteConversation(id)
	}
	for _, cv := range o.Conversations {
		b.putConversation(cv)
	}
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
		c.pending.Messages = append(c.pending.Messages, e)
		c.pending.putConversation(cv)
	case domain.ConversationUpdate:
		if e.Action == domain.ConversationDeleted {
			delete(c.convs, e.ConversationID)
			c.pending.deleteConversation(e.ConversationID)
			return
		}
		cv := mergeConversation(c.conv(e.ConversationID), e)
		c.convs[e.ConversationID] = cv
		c.pending.putConversation(cv)
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
