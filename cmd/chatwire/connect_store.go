package main

import (
	"context"
	"errors"
	"sync"

	"github.com/google/uuid"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/sqlitestore"
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

// storedSource is connect's envelope data source with a durable store
// (--store FILE): what the client queued survives the process, and a
// restart shows the cached conversation before the network answers.
// Closing it closes the data source, waits for the sends in flight, then
// closes the store.
type storedSource struct {
	*data.ChatWebSocketDataSource
	store  *sqlitestore.Store
	stored *sendSignal
	sends  sync.WaitGroup
}

// newStoredSource opens the store at path (failing clearly when it is
// held by another process, damaged, of a newer version or read-only) and
// builds the data source over it.
func newStoredSource(opts data.Options, path string) (*storedSource, error) {
	st, err := sqlitestore.Open(path, sqlitestore.Options{})
	if err != nil {
		return nil, err
	}
	s := &storedSource{store: st, stored: &sendSignal{Store: st}}
	opts.Store = s.stored
	s.ChatWebSocketDataSource, err = data.New(opts)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the data source and then the store. Idempotent.
func (s *storedSource) Close() error {
	err := s.ChatWebSocketDataSource.Close()
	s.sends.Wait()
	return errors.Join(err, s.store.Close())
}

// queue sends draft through the messages notifier without waiting for the
// server: it returns once the send is on disk (or has ended first), so
// that a client typing during an outage queues every line, in order. The
// watcher prints how each send ends.
func (s *storedSource) queue(ctx context.Context, n *presentation.MessagesNotifier, draft domain.MessageDraft, tr *transcript) {
	draft.ClientID = uuid.NewString()
	stored := s.stored.await(draft.ClientID)
	ended := make(chan struct{})
	s.sends.Go(func() {
		defer close(ended)
		// Not the command's ctx: the send outlives the line that made it.
		_, _ = n.Send(context.WithoutCancel(ctx), draft)
	})
	select {
	case err := <-stored:
		if err != nil {
			tr.line("", kindError, "%s", conv(draft.ConversationID, "%s not stored, sent from memory only: %v", quote(draft.Content), err))
			break
		}
		tr.line("", kindSending, "%s", conv(draft.ConversationID, "%s queued on disk (client id %s)", quote(draft.Content), short(draft.ClientID)))
	case <-ended:
	}
	s.stored.forget(draft.ClientID)
}

// showOffline prints, before connecting, what the store kept: the
// conversation's cached messages and the sends an earlier run left, and
// starts printing how those sends end. The returned wait blocks until
// that printing has stopped (after the source closes).
func (s *storedSource) showOffline(ctx context.Context, convID string, tr *transcript) (wait func()) {
	cached, err := s.CachedMessages(ctx, convID, 20)
	if err != nil {
		tr.line("", kindError, "read the cache: %v", err)
	}
	for _, m := range cached {
		tr.line("", kindMessage, "%s", conv(m.ConversationID, "%s: %s (cached)", m.SenderID, quote(m.Content)))
	}
	pending, _ := s.PendingSends(ctx)
	for _, d := range pending {
		tr.line("", kindSending, "%s", conv(d.ConversationID, "%s queued by an earlier run, resent when connected (client id %s)", quote(d.Content), short(d.ClientID)))
	}
	results := s.RecoveredSends(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r := range results {
			if r.Err != nil {
				tr.line("", kindMsgState, "%s", conv(r.ConversationID, "a send queued by an earlier run failed (client id %s): %v", short(r.ClientID), r.Err))
				continue
			}
			tr.line("", kindSent, "%s", conv(r.ConversationID, "%s queued by an earlier run, delivered (id %s)", quote(r.Message.Content), short(r.Message.ID)))
		}
	}()
	return func() { <-done }
}

// sendSignal is the store as the data source sees it, telling connect
// when a send is on disk.
type sendSignal struct {
	data.Store
	mu      sync.Mutex
	waiting map[string]chan error
}

// await returns a channel that receives PutSend's result for clientID.
func (s *sendSignal) await(clientID string) <-chan error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting == nil {
		s.waiting = map[string]chan error{}
	}
	ch := make(chan error, 1)
	s.waiting[clientID] = ch
	return ch
}

func (s *sendSignal) forget(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.waiting, clientID)
}

// PutSend stores the send and tells whoever awaits it, stored or failed:
// either way the data source goes on with it.
func (s *sendSignal) PutSend(ctx context.Context, send data.StoredSend) error {
	err := s.Store.PutSend(ctx, send)
	s.mu.Lock()
	if ch, ok := s.waiting[send.ClientID]; ok {
		ch <- err
		delete(s.waiting, send.ClientID)
	}
	s.mu.Unlock()
	return err
}
