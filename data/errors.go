package data

import (
	"errors"
	"time"

	"github.com/chatwire/chatwire/data/internal/streams"
)

// ErrSyncTimeout is reported on Errors (class connection) when the server
// did not answer a sync with sync.done within Options.SyncTimeout; the
// connection state then says SyncIncomplete.
var ErrSyncTimeout = errors.New("chatwire: sync not answered in time, history may be incomplete")

const defaultSyncTimeout = 10 * time.Second

// toDomainError makes an error from core match the domain sentinel that
// means the same, keeping the original in the chain.
func toDomainError(err error) error { return streams.ToDomainError(err) }
