package presentation

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
	"go.uber.org/mock/gomock"
)

func TestConnectionStartsFromSourceState(t *testing.T) {
	src := newSource(t)
	n := NewConnectionNotifier(src, ConnectionOptions{Clock: src.clock})
	defer n.Close()
	v := n.Value()
	if v.Status != domain.Connected || v.UserID != me || v.SessionID != "s-1" || v.Err != nil {
		t.Fatalf("initial snapshot = %+v", v)
	}
}

func TestConnectionStartConnectsWithToken(t *testing.T) {
	src := newSource(t)
	src.setState(domain.ConnectionState{})
	tokens := 0
	n := NewConnectionNotifier(src, ConnectionOptions{Clock: src.clock,
		TokenSource: func(context.Context) (string, error) { tokens++; return "tok-1", nil }})
	defer n.Close()
	changes := n.Changes(t.Context())
	waitFor(t, changes, "disconnected", func(c Connection) bool { return c.Status == domain.Disconnected })
	src.EXPECT().Connect(gomock.Any(), "tok-1").DoAndReturn(func(context.Context, string) error {
		if got := n.Value().Status; got != domain.Connecting {
			t.Errorf("status while connecting = %s, want connecting", got)
		}
		src.setState(domain.ConnectionState{Status: domain.Connected, UserID: me, SessionID: "s-2"})
		return nil
	})
	if err := n.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if tokens != 1 {
		t.Fatalf("token source called %d times", tokens)
	}
	v := n.Value()
	if v.Status != domain.Connected || v.SessionID != "s-2" {
		t.Fatalf("after start: %+v", v)
	}
}

// The token is given once, to the data source: Start without a token
// source of its own connects with an empty token, which makes the data
// source ask its token source.
func TestConnectionStartLeavesTokensToTheDataSource(t *testing.T) {
	asked := 0
	src := domaintest.NewSource(domaintest.Options{UserID: me,
		TokenSource: func(context.Context) (string, error) { asked++; return "from-the-source", nil }})
	defer src.Close()
	n := NewConnectionNotifier(src, ConnectionOptions{})
	defer n.Close()
	if err := n.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := src.Tokens(); len(got) != 1 || got[0] != "from-the-source" || asked != 1 {
		t.Fatalf("connected with %q (the source asked %d times)", got, asked)
	}
	if v := n.Value(); v.Status != domain.Connected || v.UserID != me {
		t.Fatalf("after Start: %+v", v)
	}
}

func TestConnectionStartFailures(t *testing.T) {
	tokenErr := errors.New("refresh failed")
	tests := []struct {
		name       string
		tokens     domain.TokenSource
		connectErr error
		wantIs     error
		wantStatus domain.ConnectionStatus
		wantFatal  bool
	}{
		{name: "token source fails", tokens: func(context.Context) (string, error) { return "", tokenErr },
			wantIs: tokenErr, wantStatus: domain.Failed, wantFatal: true},
		{name: "unauthorized", tokens: func(context.Context) (string, error) { return "bad", nil },
			connectErr: domain.ErrUnauthorized, wantIs: domain.ErrUnauthorized, wantStatus: domain.Failed, wantFatal: true},
		{name: "network", tokens: func(context.Context) (string, error) { return "tok", nil },
			connectErr: domain.ErrNotConnected, wantIs: domain.ErrNotConnected, wantStatus: domain.Disconnected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource(t)
			src.setState(domain.ConnectionState{Status: domain.Disconnected})
			if tt.connectErr != nil {
				src.EXPECT().Connect(gomock.Any(), gomock.Any()).Return(tt.connectErr)
			}
			n := NewConnectionNotifier(src, ConnectionOptions{Clock: src.clock, TokenSource: tt.tokens})
			defer n.Close()
			err := n.Start(t.Context())
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Start = %v, want %v", err, tt.wantIs)
			}
			v := n.Value()
			if v.Status != tt.wantStatus {
				t.Fatalf("status = %s, want %s", v.Status, tt.wantStatus)
			}
			if v.Err == nil || v.Err.Fatal != tt.wantFatal || v.ShowDialog() != tt.wantFatal {
				t.Fatalf("err = %+v, want fatal=%v", v.Err, tt.wantFatal)
			}
			if v.Err.Class != domain.ClassConnection || !errors.Is(v.Err, tt.wantIs) {
				t.Fatalf("err = %v (class %s), want a connection error wrapping %v", v.Err, v.Err.Class, tt.wantIs)
			}
		})
	}
}

func TestConnectionFollowsStates(t *testing.T) {
	src := newSource(t)
	n := NewConnectionNotifier(src, ConnectionOptions{Clock: src.clock})
	defer n.Close()
	changes := n.Changes(t.Context())
	retryAt := t0.Add(5 * time.Second)
	drop := errors.New("connection reset")
	src.states.push(t, domain.ConnectionState{Status: domain.Reconnecting, Attempt: 2, NextRetryAt: retryAt, Err: drop})
	v := waitFor(t, changes, "reconnecting", func(c Connection) bool { return c.Status == domain.Reconnecting })
	if v.Attempt != 2 || !v.NextRetryAt.Equal(retryAt) {
		t.Fatalf("reconnecting snapshot = %+v", v)
	}
	if v.Err == nil || v.Err.Fatal || v.Err.Class != domain.ClassConnection || !errors.Is(v.Err, drop) {
		t.Fatalf("err = %+v, want a non-fatal connection error", v.Err)
	}
	if v.UserID != me {
		t.Fatalf("user id lost: %+v", v)
	}

	src.states.push(t, domain.ConnectionState{Status: domain.Connected, Sync: domain.Syncing})
	v = waitFor(t, changes, "connected", func(c Connection) bool { return c.Status == domain.Connected })
	if v.Err != nil || v.Attempt != 0 {
		t.Fatalf("connected snapshot keeps the old error or attempt: %+v", v)
	}

	src.states.push(t, domain.ConnectionState{Status: domain.Failed, Err: domain.ErrUnauthorized})
	v = waitFor(t, changes, "failed", func(c Connection) bool { return c.Status == domain.Failed })
	if !v.ShowDialog() || !errors.Is(v.Err, domain.ErrUnauthorized) {
		t.Fatalf("failed snapshot = %+v, want a fatal unauthorized error", v)
	}
}

func TestConnectionSyncIncomplete(t *testing.T) {
	src := newSource(t)
	n := NewConnectionNotifier(src, ConnectionOptions{Clock: src.clock})
	defer n.Close()
	changes := n.Changes(t.Context())
	src.states.push(t, domain.ConnectionState{Status: domain.Connected, Sync: domain.SyncIncomplete})
	waitFor(t, changes, "incomplete", func(c Connection) bool { return c.SyncIncomplete })
	src.states.push(t, domain.ConnectionState{Status: domain.Reconnecting, Attempt: 1},
		domain.ConnectionState{Status: domain.Connected, Sync: domain.Syncing})
	v := waitFor(t, changes, "syncing", func(c Connection) bool { return c.Sync == domain.Syncing })
	if !v.SyncIncomplete {
		t.Fatal("SyncIncomplete cleared before a catch-up completed")
	}
	src.states.push(t, domain.ConnectionState{Status: domain.Connected, Sync: domain.SyncComplete})
	v = waitFor(t, changes, "complete", func(c Connection) bool { return c.Sync == domain.SyncComplete })
	if v.SyncIncomplete {
		t.Fatal("SyncIncomplete still set after a complete catch-up")
	}
}

func TestConnectionErrorsStream(t *testing.T) {
	src := newSource(t)
	n := NewConnectionNotifier(src, ConnectionOptions{Clock: src.clock})
	defer n.Close()
	changes := n.Changes(t.Context())

	decode := &domain.Error{Class: domain.ClassDecode, Err: &domain.DecodeError{Type: "chat.message", Err: errors.New("bad json")}}
	src.errs.push(t, decode)
	v := waitFor(t, changes, "decode error", func(c Connection) bool { return c.Err != nil })
	if v.Err != decode || v.ShowDialog() || !errors.Is(v.Err, domain.ErrMalformed) {
		t.Fatalf("err = %+v, want the decode error as a toast", v.Err)
	}

	plain := errors.New("something odd")
	src.errs.push(t, plain)
	v = waitFor(t, changes, "plain error", func(c Connection) bool { return c.Err != decode })
	if v.Err.Class != domain.ClassConnection || !errors.Is(v.Err, plain) {
		t.Fatalf("unclassified error became %+v", v.Err)
	}

	fatal := &domain.Error{Class: domain.ClassConnection, Fatal: true, Err: domain.ErrUnauthorized}
	src.errs.push(t, fatal)
	waitFor(t, changes, "fatal error", func(c Connection) bool { return c.Err == fatal })
	// Every error publishes a snapshot, so the next one is the decode
	// error's: it must keep the fatal error for the dialog.
	src.errs.push(t, decode)
	v = waitFor(t, changes, "next snapshot", func(Connection) bool { return true })
	if v.Err != fatal {
		t.Fatalf("a non-fatal error replaced the fatal one: %+v", v.Err)
	}
}

func TestConnectionCloseEndsChanges(t *testing.T) {
	src := newSource(t)
	n := NewConnectionNotifier(src, ConnectionOptions{Clock: src.clock,
		TokenSource: func(context.Context) (string, error) { return "t", nil }})
	changes := n.Changes(t.Context())
	n.Close()
	n.Close()
	assertClosed(t, changes)
	if err := n.Start(t.Context()); !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("Start after Close = %v, want ErrClosed", err)
	}
	if n.Value().UserID != me {
		t.Fatal("Value after Close lost the snapshot")
	}
}

func TestConnectionSurvivesClosedStreams(t *testing.T) {
	src := newSource(t)
	n := NewConnectionNotifier(src, ConnectionOptions{Clock: src.clock})
	src.states.closeAll()
	src.errs.closeAll()
	n.Close() // must return: the goroutine ended when both streams closed
}
