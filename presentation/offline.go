package presentation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chatwire/chatwire/domain"
)

// The offline-first start: over a data source that implements
// domain.OfflineCache, the messages and conversations notifiers read the
// cache in their constructors, after subscribing to the data source's
// streams and before handling anything from them. So their first snapshot
// is the cached screen, and what the network says afterwards is applied
// to it like any other event (see the package doc).

// startFromCache fills the empty snapshot with what the cache holds: the
// newest cached messages (up to the window) of every cached conversation
// and of every conversation with a pending send, then the pending sends
// as sending. It returns the subscription to the pending sends' ends, or
// nil when none is pending. It runs in the constructor.
func (n *MessagesNotifier) startFromCache(cache domain.OfflineCache) <-chan domain.SendResult {
	ctx, release := n.run.context(0)
	defer release()
	// Subscribed before PendingSends is read: a send that ends after it is
	// listed reports its end on this channel.
	rctx, stopRecovered := n.run.context(0)
	recovered := cache.RecoveredSends(rctx)

	var errs []error
	convs, err := cache.CachedConversations(ctx)
	errs = append(errs, err)
	pending, err := cache.PendingSends(ctx)
	errs = append(errs, err)
	ids := make([]string, 0, len(convs)+len(pending))
	for _, c := range convs {
		ids = append(ids, c.ConversationID)
	}
	for _, d := range pending {
		ids = append(ids, d.ConversationID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)

	byConv := make(map[string][]Message, len(ids))
	var read []domain.Message
	for _, id := range ids {
		if id == "" {
			continue
		}
		ms, err := cache.CachedMessages(ctx, id, n.opts.Window)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		read = append(read, ms...)
		if list := n.window(ms); len(list) > 0 {
			byConv[id] = list
		}
	}
	if n.hooks.cached != nil {
		n.hooks.cached(read)
	}

	self := n.self()
	now := n.run.now()
	for i, d := range pending {
		if d.ConversationID == "" || d.ClientID == "" {
			continue
		}
		list := byConv[d.ConversationID]
		if slices.ContainsFunc(list, func(x Message) bool { return ownWithClientID(x, self, d.ClientID) }) {
			continue // its echo is cached: the resend's end will confirm it
		}
		d.Attachments = slices.Clone(d.Attachments)
		// In the order they were made: the optimistic copies of one
		// instant would otherwise sort by client id.
		byConv[d.ConversationID], _ = n.insert(list, optimistic(d, self, now.Add(time.Duration(i))), nil)
	}
	n.st.set(Messages{ByConversation: byConv})
	reportCacheError(n.opts.OnCacheError, errs)
	if len(pending) == 0 {
		stopRecovered() // nothing more will end
		return nil
	}
	return recovered
}

// window returns cached messages as the notifier files them: sent,
// ordered, each once, at most the window.
func (n *MessagesNotifier) window(ms []domain.Message) []Message {
	list := make([]Message, 0, len(ms))
	for _, m := range ms {
		if m.ConversationID == "" || (m.ID == "" && m.ClientID == "") {
			continue
		}
		um := Message{Message: m, Status: MessageSent}
		um.Attachments = slices.Clone(m.Attachments)
		list = append(list, um)
	}
	slices.SortStableFunc(list, compareMessages)
	list = slices.CompactFunc(list, func(a, b Message) bool { return a.ID != "" && a.ID == b.ID })
	return slices.Clip(list[max(len(list)-n.opts.Window, 0):])
}

// settleRecovered records how a send an earlier process left unfinished
// ended, as a send made here would be: its optimistic copy becomes the
// server's message, or failed (Retry sends it again).
func (n *MessagesNotifier) settleRecovered(r domain.SendResult) {
	if r.ClientID == "" || r.ConversationID == "" {
		return
	}
	n.settle(r.ConversationID, r.ClientID, r.Message, r.Err)
}

// recoveredFeed follows the ends of the pending sends: first on the
// subscription made before they were read, then, after a cut-off, on a
// new one. The ends are not in History: a cut-off that lost some is an
// incomplete Resync, and the copies it left sending are settled by their
// echoes, if any.
func recoveredFeed(cache domain.OfflineCache, first <-chan domain.SendResult, handle func(domain.SendResult)) feed[domain.SendResult] {
	return feed[domain.SendResult]{stream: "RecoveredSends", handle: handle,
		subscribe: func(ctx context.Context) <-chan domain.SendResult {
			if ch := first; ch != nil {
				first = nil
				return ch
			}
			return cache.RecoveredSends(ctx)
		},
		catchUp: func(domain.SendResult) ([]domain.SendResult, bool) { return nil, false }}
}

// startFromCache fills the empty list with the cached conversations, their
// previews and unread counts. With readMessages, it also reads their
// cached messages, so that a copy the server sends again is not counted
// unread twice (in a Notifiers, the messages notifier tells it instead).
// It runs in the constructor.
func (n *ConversationsNotifier) startFromCache(cache domain.OfflineCache, readMessages bool) {
	ctx, release := n.run.context(0)
	defer release()
	convs, err := cache.CachedConversations(ctx)
	if err != nil {
		reportCacheError(n.opts.OnCacheError, []error{err})
		return
	}
	self := n.self()
	now := n.run.now()
	list := make([]Conversation, 0, len(convs))
	n.mu.Lock()
	for _, u := range convs {
		if u.ConversationID == "" || leaves(u, self) || slices.ContainsFunc(list, func(c Conversation) bool { return c.ID == u.ConversationID }) {
			continue
		}
		// The cached count holds messages after the update it came with:
		// it is placed nowhere in the server's numbering.
		n.noteUpdate(u, eventMark{})
		c := Conversation{ID: u.ConversationID}
		applyUpdate(&c, u, 0)
		if c.LastActivity.IsZero() {
			c.LastActivity = now
		}
		list = append(list, c)
	}
	n.mu.Unlock()
	slices.SortStableFunc(list, compareConversations)
	n.st.set(Conversations{List: list})

	if !readMessages {
		return
	}
	var errs []error
	for _, c := range list {
		ms, err := cache.CachedMessages(ctx, c.ID, DefaultMessageWindow)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n.markSeen(ms)
	}
	reportCacheError(n.opts.OnCacheError, errs)
}

// markSeen records messages already counted: the server sending one again
// does not add to an unread count.
func (n *ConversationsNotifier) markSeen(ms []domain.Message) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, m := range ms {
		if m.ID != "" {
			n.seen.Add(m.ID)
		}
	}
}

// reportCacheError tells report of the failures among errs, once.
func reportCacheError(report func(error), errs []error) {
	if err := errors.Join(errs...); err != nil && report != nil {
		report(fmt.Errorf("presentation: read the offline cache: %w", err))
	}
}
