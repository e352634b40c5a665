package data

import (
	"errors"
	"time"

	"github.com/chatwire/chatwire/data/internal/connstate"
)

// ErrSyncTimeout is reported on Errors (class connection) when the server
// did not answer a sync with sync.done within Options.SyncTimeout; the
// connection state then says SyncIncomplete. A sync outstanding when the
// connection fails for good ends SyncIncomplete too, at once, and Errors
// reports that failure instead.
var ErrSyncTimeout = errors.New("chatwire: sync not answered in time, history may be incomplete")

// ErrUnconfirmed is returned by SendMessage when its ctx ended after the
// message was written and before the server confirmed it: the message may
// have been stored, and then its echo arrives on Messages.
var ErrUnconfirmed = errors.New("chatwire: message not confirmed")

const defaultSyncTimeout = 10 * time.Second

// toDomainError makes an error from core match the domain sentinel that
// means the same, keeping the original in the chain.
func toDomainError(err error) error { return connstate.ToDomainError(err) }
