// Package connstate is the one mapping between the connection manager's
// vocabulary (network.State, core errors) and the domain's
// (domain.ConnectionStatus, domain sentinels), used by every data source.
package connstate

import (
	"errors"
	"fmt"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/stream"
	"github.com/chatwire/chatwire/domain"
)

// Mapping pairs a core error with the domain sentinel that means the same.
type Mapping struct {
	Core, Domain error
}

// coreMappings are the core sentinels every data source meets.
var coreMappings = []Mapping{
	{network.ErrUnauthorized, domain.ErrUnauthorized},
	{network.ErrClosed, domain.ErrClosed},
	{network.ErrNotConnected, domain.ErrNotConnected},
	{network.ErrFrameTooLarge, domain.ErrFrameTooLarge},
	{network.ErrOutboxFull, domain.ErrOutboxFull},
	{network.ErrExpired, domain.ErrSendExpired},
	{stream.ErrSlowConsumer, domain.ErrSlowConsumer},
}

// ToDomainError makes an error from core also match the domain sentinel
// that means the same, keeping the original in the chain: the result reads
// "<domain sentinel>: <err>" and matches both with errors.Is. The mappings
// of core/network and core/stream come first, then extra, in order, so a
// data source can add the errors of the protocol client it uses; the first
// whose core error matches and whose domain sentinel does not yet match is
// applied. nil stays nil; any other error is returned as is.
func ToDomainError(err error, extra ...Mapping) error {
	if err == nil {
		return nil
	}
	for _, ms := range [][]Mapping{coreMappings, extra} {
		for _, m := range ms {
			if errors.Is(err, m.Core) && !errors.Is(err, m.Domain) {
				return fmt.Errorf("%w: %w", m.Domain, err)
			}
		}
	}
	return err
}

// Status maps a connection manager state onto the domain status.
func Status(st network.State) domain.ConnectionStatus {
	switch st {
	case network.StateConnecting:
		return domain.Connecting
	case network.StateConnected:
		return domain.Connected
	case network.StateReconnecting:
		return domain.Reconnecting
	case network.StateFailed:
		return domain.Failed
	case network.StateClosed:
		return domain.Closed
	}
	return domain.Disconnected
}

// Apply folds a connection manager transition into st: status,
// attempt, error (through ToDomainError with extra), time, and the time of
// the next retry while reconnecting (zero otherwise). The other fields of
// st are the data source's own.
func Apply(st *domain.ConnectionState, sc network.StateChange, extra ...Mapping) {
	st.Status = Status(sc.State)
	st.Attempt = sc.Attempt
	st.Err = ToDomainError(sc.Err, extra...)
	st.At = sc.At
	st.NextRetryAt = time.Time{}
	if sc.State == network.StateReconnecting {
		st.NextRetryAt = sc.At.Add(sc.Delay)
	}
}
