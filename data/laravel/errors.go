package laravel

import (
	"errors"
	"fmt"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/core/stream"
	"github.com/chatwire/chatwire/domain"
)

// toDomainError makes an error from core match the domain sentinel that
// means the same, keeping the original in the chain.
func toDomainError(err error) error {
	if err == nil {
		return nil
	}
	for _, m := range []struct{ core, domain error }{
		{network.ErrUnauthorized, domain.ErrUnauthorized},
		{network.ErrClosed, domain.ErrClosed},
		{network.ErrNotConnected, domain.ErrNotConnected},
		{network.ErrFrameTooLarge, domain.ErrFrameTooLarge},
		{stream.ErrSlowConsumer, domain.ErrSlowConsumer},
		{pusher.ErrMalformed, domain.ErrMalformed},
	} {
		if errors.Is(err, m.core) && !errors.Is(err, m.domain) {
			return fmt.Errorf("%w: %w", m.domain, err)
		}
	}
	return err
}

// classify turns an error of the client's error stream into the
// *domain.Error reported on Errors. A refused subscription whose auth
// failed (401 or 403) is fatal: the user must sign in again.
func classify(err error) *domain.Error {
	var se *pusher.SubscriptionError
	var de *pusher.DecodeError
	switch {
	case errors.As(err, &se):
		return &domain.Error{Class: domain.ClassSubscription, Fatal: errors.Is(err, network.ErrUnauthorized), Err: toDomainError(err)}
	case errors.As(err, &de):
		return &domain.Error{Class: domain.ClassDecode, Err: &domain.DecodeError{Type: de.Event, Err: err}}
	case errors.Is(err, stream.ErrSlowConsumer):
		return &domain.Error{Class: domain.ClassSubscription, Err: toDomainError(err)}
	}
	return &domain.Error{Class: domain.ClassConnection, Err: toDomainError(err)}
}
