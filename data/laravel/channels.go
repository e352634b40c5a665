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
// (not also reported on Errors) and the conversation is not joined. If ctx
// ends first the subscription goes on in the background. Joining a joined
// conversation waits for it.
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
	s.mu.Unlock()
	err = s.client.Ensure(ctx, name)
	if err == nil || ctx.Err() != nil || errors.Is(err, pusher.ErrClosed) {
		return subscribeError(err)
	}
	s.mu.Lock()
	refused := s.joined[conversationID] == name
	if refused {
		delete(s.joined, conversationID)
		delete(s.wanted, name)
	}
	s.mu.Unlock()
	if refused {
		_ = s.client.Unsubscribe(ctx, name)
	}
	return subscribeError(err)
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

// subscribeError maps a failed Subscribe onto the domain's errors.
func subscribeError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pusher.ErrClosed) {
		return domain.ErrClosed
	}
	return toDomainError(err)
}
