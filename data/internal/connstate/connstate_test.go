package connstate_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/stream"
	"github.com/chatwire/chatwire/data/internal/connstate"
	"github.com/chatwire/chatwire/domain"
)

func TestToDomainError(t *testing.T) {
	errProto := errors.New("proto: malformed")
	extra := []connstate.Mapping{{Core: errProto, Domain: domain.ErrMalformed}}
	for _, tc := range []struct {
		name string
		err  error
		want error // domain sentinel the result must match; nil: result is err itself
	}{
		{"unauthorized", network.ErrUnauthorized, domain.ErrUnauthorized},
		{"closed", network.ErrClosed, domain.ErrClosed},
		{"not connected", network.ErrNotConnected, domain.ErrNotConnected},
		{"frame too large", network.ErrFrameTooLarge, domain.ErrFrameTooLarge},
		{"outbox full", network.ErrOutboxFull, domain.ErrOutboxFull},
		{"expired", network.ErrExpired, domain.ErrSendExpired},
		{"slow consumer", stream.ErrSlowConsumer, domain.ErrSlowConsumer},
		{"wrapped", fmt.Errorf("dial: %w", network.ErrUnauthorized), domain.ErrUnauthorized},
		{"close 4001", &network.CloseError{Code: network.CloseUnauthorized}, domain.ErrUnauthorized},
		{"close 1009", &network.CloseError{Code: network.CloseMessageTooBig}, domain.ErrFrameTooLarge},
		{"extra", fmt.Errorf("read: %w", errProto), domain.ErrMalformed},
		{"unrelated", errors.New("other"), nil},
		{"already domain", fmt.Errorf("%w: %w", domain.ErrClosed, network.ErrClosed), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := connstate.ToDomainError(tc.err, extra...)
			if tc.want == nil {
				if got != tc.err {
					t.Errorf("ToDomainError(%v) = %v, want it unchanged", tc.err, got)
				}
				return
			}
			if !errors.Is(got, tc.want) || !errors.Is(got, tc.err) {
				t.Errorf("ToDomainError(%v) = %v, want it to match %v and the original", tc.err, got, tc.want)
			}
			if want := tc.want.Error() + ": " + tc.err.Error(); got.Error() != want {
				t.Errorf("message = %q, want %q", got.Error(), want)
			}
		})
	}
	if got := connstate.ToDomainError(nil, extra...); got != nil {
		t.Errorf("ToDomainError(nil) = %v, want nil", got)
	}
	// Without the extra mapping the protocol error is left alone.
	if err := fmt.Errorf("read: %w", errProto); connstate.ToDomainError(err) != err {
		t.Error("an extra mapping applied without being passed")
	}
	// An error matching two core sentinels gets the first not yet matched.
	both := fmt.Errorf("%w: %w", domain.ErrUnauthorized, errors.Join(network.ErrUnauthorized, network.ErrClosed))
	if got := connstate.ToDomainError(both); !errors.Is(got, domain.ErrClosed) || !errors.Is(got, domain.ErrUnauthorized) {
		t.Errorf("ToDomainError(%v) = %v, want it to match ErrUnauthorized and ErrClosed", both, got)
	}
}

func TestStatus(t *testing.T) {
	for st, want := range map[network.State]domain.ConnectionStatus{
		network.StateConnecting:   domain.Connecting,
		network.StateConnected:    domain.Connected,
		network.StateReconnecting: domain.Reconnecting,
		network.StateFailed:       domain.Failed,
		network.StateClosed:       domain.Closed,
		network.StateDisconnected: domain.Disconnected,
	} {
		if got := connstate.Status(st); got != want {
			t.Errorf("Status(%v) = %v, want %v", st, got, want)
		}
	}
}

func TestApply(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := domain.ConnectionState{UserID: "u", SessionID: "s", Sync: domain.SyncComplete}

	connstate.Apply(&st, network.StateChange{State: network.StateReconnecting, Attempt: 2, Delay: 5 * time.Second, Err: network.ErrUnauthorized, At: at})
	if st.Status != domain.Reconnecting || st.Attempt != 2 || !st.At.Equal(at) || !st.NextRetryAt.Equal(at.Add(5*time.Second)) || !errors.Is(st.Err, domain.ErrUnauthorized) {
		t.Errorf("after reconnecting: %+v", st)
	}
	connstate.Apply(&st, network.StateChange{State: network.StateConnected, At: at.Add(time.Minute)})
	if st.Status != domain.Connected || st.Attempt != 0 || st.Err != nil || !st.NextRetryAt.IsZero() || !st.At.Equal(at.Add(time.Minute)) {
		t.Errorf("after connected: %+v", st)
	}
	if st.UserID != "u" || st.SessionID != "s" || st.Sync != domain.SyncComplete {
		t.Errorf("fields the data source owns changed: %+v", st)
	}
	errProto := errors.New("proto")
	connstate.Apply(&st, network.StateChange{State: network.StateFailed, Err: errProto}, connstate.Mapping{Core: errProto, Domain: domain.ErrMalformed})
	if st.Status != domain.Failed || !errors.Is(st.Err, domain.ErrMalformed) {
		t.Errorf("after failed with an extra mapping: %+v", st)
	}
}
