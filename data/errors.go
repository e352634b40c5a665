package data

import (
	"errors"
	"fmt"

	"github.com/chatwire/chatwire/core/network"
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
		{network.ErrOutboxFull, domain.ErrOutboxFull},
		{network.ErrExpired, domain.ErrSendExpired},
	} {
		if errors.Is(err, m.core) && !errors.Is(err, m.domain) {
			return fmt.Errorf("%w: %w", m.domain, err)
		}
	}
	return err
}
