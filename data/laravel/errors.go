package laravel

import (
	"errors"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/core/stream"
	"github.com/chatwire/chatwire/data/internal/connstate"
	"github.com/chatwire/chatwire/domain"
)

// pusherErrors maps the Pusher client's own errors, after those of
// core/network and core/stream.
var pusherErrors = []connstate.Mapping{
	{Core: pusher.ErrMalformed, Domain: domain.ErrMalformed},
}

// toDomainError makes an error from core match the domain sentinel that
// means the same, keeping the original in the chain.
func toDomainError(err error) error { return connstate.ToDomainError(err, pusherErrors...) }

// classify turns an error of the client's error stream into the class,
// fatality and error reported on Errors. A refused subscription (or
// sign-in) is fatal only when the auth endpoint answered 401 or 419: the
// user must sign in again; the server's refusal of a signature is not.
func classify(err error) (domain.ErrorClass, bool, error) {
	var se *pusher.SubscriptionError
	var sie *pusher.SigninError
	var de *pusher.DecodeError
	switch {
	case errors.As(err, &se), errors.As(err, &sie):
		return domain.ClassSubscription, errors.Is(err, network.ErrUnauthorized), toDomainError(err)
	case errors.As(err, &de):
		return domain.ClassDecode, false, &domain.DecodeError{Type: de.Event, Err: err}
	case errors.Is(err, stream.ErrSlowConsumer):
		return domain.ClassSubscription, false, toDomainError(err)
	}
	return domain.ClassConnection, false, toDomainError(err)
}
