package data

import (
	"context"
	"fmt"

	"github.com/chatwire/chatwire/domain"
)

var _ domain.OfflineCache = (*ChatWebSocketDataSource)(nil)

// openStore loads what an earlier process left in store: the position to
// resume from (unless Options.Resume is set), the unfinished sends (resent
// on the next connection) and the conversation snapshots.
func (s *ChatWebSocketDataSource) openStore(store Store) error {
	ctx := context.Background()
	st, err := store.Load(ctx)
	if err != nil {
		return fmt.Errorf("chatwire: load the store: %w", err)
	}
	if st.Account.Server != "" && st.Account.Server != s.opts.BaseURL {
		return fmt.Errorf("%w: it belongs to %s, not %s", ErrStoreAccount, st.Account.Server, s.opts.BaseURL)
	}
	convs, err := store.Conversations(ctx)
	if err != nil {
		return fmt.Errorf("chatwire: load the store: %w", err)
	}
	s.store = store
	snapshots := make(map[string]domain.ConversationUpdate, len(convs))
	for _, c := range convs {
		snapshots[c.ConversationID] = c
	}
	s.persist = newPersister(store, func(err error) { s.hub.Report(domain.ClassStorage, false, err) }, snapshots)
	s.rec = &recorder{p: s.persist}
	if s.opts.Resume.Seq <= 0 && (st.Position.Seq > 0 || st.Account.UserID != "") {
		// A bound store's position is where its session stood, even 0 (a
		// user with no history yet): the next connect catches up from it.
		s.sess = newSession(st.Position)
		s.sess.known, s.sess.epoch = true, st.Position.Epoch
	}
	s.sess.storeUser = st.Account.UserID
	s.ledger.hooks = ledgerHooks{
		ended: func(clientID string) {
			s.persist.add(func(b *Batch) { b.EndedSends = append(b.EndedSends, clientID) })
		},
		recovered: s.recovered.Publish,
	}
	for _, sent := range st.Sends {
		out, err := newMessageOut(sent.Draft)
		if err != nil {
			s.persist.add(func(b *Batch) { b.EndedSends = append(b.EndedSends, sent.ClientID) })
			continue
		}
		frame, err := s.encode(typeChatMessage, out)
		if err == nil {
			// Beyond the outbox's size it waits in the ledger's backlog,
			// and is sent as the older ones end.
			err = s.ledger.recover(sent.Draft, frame)
		}
		if err != nil {
			s.persist.add(func(b *Batch) { b.EndedSends = append(b.EndedSends, sent.ClientID) })
		}
	}
	return nil
}

// storeSend makes a send durable before it is written anywhere. A store
// that fails is reported, and the send goes on in memory.
func (s *ChatWebSocketDataSource) storeSend(ctx context.Context, out messageOut, draft domain.MessageDraft) {
	if s.store == nil || s.storeDetached.Load() {
		return
	}
	draft.ClientID = out.ClientID
	if err := s.store.PutSend(ctx, StoredSend{ClientID: out.ClientID, Draft: draft, CreatedAt: s.clock.Now()}); err != nil {
		s.hub.Report(domain.ClassStorage, false, fmt.Errorf("chatwire: store a send: %w", err))
	}
}

// forgetSend tells the store a send it holds will never be made (the
// ledger refused it).
func (s *ChatWebSocketDataSource) forgetSend(clientID string) {
	s.persist.add(func(b *Batch) { b.EndedSends = append(b.EndedSends, clientID) })
}

// CachedConversations returns the conversations as last seen, from the
// store; none without one.
func (s *ChatWebSocketDataSource) CachedConversations(ctx context.Context) ([]domain.ConversationUpdate, error) {
	if s.store == nil {
		return nil, nil
	}
	return s.store.Conversations(ctx)
}

// CachedMessages returns up to limit of a conversation's newest cached
// messages, oldest first; none without a store.
func (s *ChatWebSocketDataSource) CachedMessages(ctx context.Context, conversationID string, limit int) ([]domain.Message, error) {
	if s.store == nil {
		return nil, nil
	}
	return s.store.Messages(ctx, conversationID, limit)
}

// PendingSends returns the sends an earlier process left unfinished and
// not yet ended, oldest first.
func (s *ChatWebSocketDataSource) PendingSends(ctx context.Context) ([]domain.MessageDraft, error) {
	return s.ledger.pendingDrafts(), nil
}

// RecoveredSends reports how each send recovered from the store ends.
// Subscribe before Connect to miss none.
func (s *ChatWebSocketDataSource) RecoveredSends(ctx context.Context) <-chan domain.SendResult {
	return s.recovered.Subscribe(ctx)
}

// checkStoreAccount binds the store to the session's user on its first
// session, or, when it belongs to another user, stops using it: its
// position and unfinished sends are not this user's. It runs on the loop.
func (s *ChatWebSocketDataSource) checkStoreAccount(userID string) {
	if s.store == nil {
		return
	}
	ss := &s.sess
	switch ss.storeUser {
	case userID:
		return
	case "":
		ss.storeUser = userID
		// With the position the session starts at.
		s.rec.bind(Account{Server: s.opts.BaseURL, UserID: userID})
		return
	}
	err := fmt.Errorf("%w: it belongs to %s, the session is %s's; going on without it", ErrStoreAccount, ss.storeUser, userID)
	s.storeDetached.Store(true)
	s.persist.detach()
	s.ledger.dropRecovered(err)
	s.rec = nil
	ss.storeUser = userID
	if s.opts.Resume.Seq <= 0 {
		// The stored position is another user's numbering.
		s.release(ss.endSync())
		ss.known = false
		ss.resetPosition("", 0)
	}
	s.hub.Report(domain.ClassStorage, false, err)
}

// durablePosition is the position a store may record: what the app has
// received. During a catch-up, events above since may still be held.
func (ss *session) durablePosition() domain.Position {
	if ss.sync != nil {
		return domain.Position{Epoch: ss.epoch, Seq: ss.sync.since}
	}
	return ss.position()
}
