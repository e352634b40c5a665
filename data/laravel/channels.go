package laravel

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/domain"
)

// ErrNotJoined: the conversation's channel is not in the joined set.
var ErrNotJoined = errors.New("laravel: conversation not joined")

// Join subscribes the conversation's channel and waits until it is
// subscribed, refused, or ctx ends. Before Connect it only records the
// conversation (Connect subscribes it). A refused subscription is returned
// and the conversation is not joined. If ctx ends first the subscription
// goes on in the background. Joining a joined conversation waits for it.
func (s *DataSource) Join(ctx context.Context, conversationID string) error {
	name, err := s.conversationChannel(conversationID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return domain.ErrClosed
	}
	s.joined[conversationID] = name
	s.wanted[name] = true
	if !s.started {
		s.mu.Unlock()
		return nil
	}
	sub := s.startSubscribeLocked(name)
	s.mu.Unlock()
	select {
	case <-sub.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if sub.err != nil {
		s.mu.Lock()
		if s.joined[conversationID] == name {
			delete(s.joined, conversationID)
			delete(s.wanted, name)
		}
		s.mu.Unlock()
		return subscribeError(sub.err)
	}
	return nil
}

// Leave unsubscribes the conversation's channel; its events stop at once.
// Leaving a conversation that is not joined does nothing.
func (s *DataSource) Leave(ctx context.Context, conversationID string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return domain.ErrClosed
	}
	name, ok := s.joined[conversationID]
	delete(s.joined, conversationID)
	if ok {
		delete(s.wanted, name)
	}
	s.mu.Unlock()
	if !ok {
		return nil
	}
	if err := s.client.Unsubscribe(ctx, name); err != nil && !errors.Is(err, pusher.ErrNotSubscribed) {
		return toDomainError(err)
	}
	return nil
}

// Conversations returns the joined conversation ids, sorted.
func (s *DataSource) Conversations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.joined))
	for id := range s.joined {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (s *DataSource) conversationChannel(id string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("%w: empty conversation id", domain.ErrInvalidDraft)
	}
	name := s.opts.conversationChannel(id)
	if _, err := pusher.ChannelKind(name); err != nil {
		return "", fmt.Errorf("laravel: conversation %q: %w", id, err)
	}
	return name, nil
}

// ensureAll starts a subscription of every wanted channel (a no-op for the
// ones the client already holds) and returns them.
func (s *DataSource) ensureAll() []*subscribe {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	subs := make([]*subscribe, 0, len(s.wanted))
	for name := range s.wanted {
		subs = append(subs, s.startSubscribeLocked(name))
	}
	return subs
}

// startSubscribeLocked subscribes name in the background, unless that is
// under way. The subscription waits for the connection and ends with
// Close. If name is no longer wanted when it succeeds, it is unsubscribed.
// Refusals reach Errors through the client's error stream. The caller
// holds s.mu.
func (s *DataSource) startSubscribeLocked(name string) *subscribe {
	if sub := s.inflight[name]; sub != nil {
		return sub
	}
	sub := &subscribe{done: make(chan struct{})}
	s.inflight[name] = sub
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx := closingContext{s.closing}
		_, err := s.client.Subscribe(ctx, name)
		s.mu.Lock()
		delete(s.inflight, name)
		sub.err = err
		unwanted := err == nil && !s.wanted[name] && !s.closed
		s.mu.Unlock()
		close(sub.done)
		if unwanted {
			_ = s.client.Unsubscribe(ctx, name)
		}
	}()
	return sub
}

// waitSubscribed waits for subs and returns their failures.
func (s *DataSource) waitSubscribed(ctx context.Context, subs []*subscribe) error {
	var errs []error
	for _, sub := range subs {
		select {
		case <-sub.done:
			if sub.err != nil {
				errs = append(errs, subscribeError(sub.err))
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return errors.Join(errs...)
}

// subscribeError maps a failed Subscribe onto the domain's errors.
func subscribeError(err error) error {
	if errors.Is(err, pusher.ErrClosed) {
		return domain.ErrClosed
	}
	return toDomainError(err)
}
