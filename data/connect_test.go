package data_test

// Connecting: what Connect promises when it returns, connects that can
// never succeed, normal closes and the heartbeat floor, played by a
// scripted server.

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/domain"
)

// When Connect returns nil, ConnectionState already says Connected, with
// the session id session.ready announced: no lag of one transition.
func TestConnectReturnsWithTheStateVisible(t *testing.T) {
	srv := newScriptServer(t)
	for i := range 20 {
		src := scriptSource(t, srv)
		conn := connectScript(t, srv, src, 0, "")
		st := src.ConnectionState()
		if st.Status != domain.Connected || st.SessionID != "s1" || st.UserID != "alice" {
			t.Fatalf("connect %d: state right after Connect = %+v", i, st)
		}
		_ = src.Close()
		conn.drop()
	}
}

// Connect never returns nil before the state it returns on is visible,
// even when the loop is held up by a subscriber that does not read: the
// server sends messages right after session.ready, which may fill the only
// raw-frame subscriber's buffer before the loop reaches the Connected
// change. Connect then ends with its ctx, not with a nil that the state
// contradicts. Played several times: which comes first is the scheduler's.
func TestConnectWithAStalledSubscriberNeverReturnsNilEarly(t *testing.T) {
	srv := newScriptServer(t)
	for round := range 10 {
		src := scriptSource(t, srv, func(o *data.Options) { o.StreamBuffer = 1 })
		_ = src.RawMessages(t.Context()) // never read
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			done <- src.Connect(ctx, "token")
		}()
		c := srv.accept(t)
		c.ready(t, "s1", 0, "")
		for i := range 8 {
			c.push(t, chatFrame(int64(i+1), fmt.Sprintf("m-%d", i+1), "", "bob", "hi"))
		}
		err := recv(t, done)
		st := src.ConnectionState()
		switch {
		case err == nil && (st.Status != domain.Connected || st.SessionID != "s1"):
			t.Fatalf("round %d: Connect returned nil with the state %+v", round, st)
		case err != nil && !errors.Is(err, context.DeadlineExceeded):
			t.Fatalf("round %d: Connect: %v, want nil or its ctx's deadline", round, err)
		}
		_ = src.Close()
		c.drop()
	}
}

// A failure the data source takes in only after Connect has started again (here
// held up by a ConnectionStates subscriber that does not read) is stale:
// the sends of the new connection work.
func TestAStaleFailureDoesNotStopTheNextConnection(t *testing.T) {
	srv := newScriptServer(t)
	srv.refuse.Store(http.StatusForbidden) // permanent: the first Connect fails
	src := scriptSource(t, srv, func(o *data.Options) {
		o.StreamBuffer = 1
		o.Nodes = []string{srv.url()} // a second node: two attempts, two state changes before Failed
	})
	stalled, unstall := context.WithCancel(t.Context())
	_ = src.ConnectionStates(stalled) // not read until unstall

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if err := src.Connect(ctx, "token"); err == nil {
		t.Fatal("Connect to a server answering 403 returned nil")
	}
	srv.refuse.Store(0)
	done := make(chan error, 1)
	go func() { done <- src.Connect(context.Background(), "token") }()
	conn := srv.accept(t) // the second Connect has started the manager again
	unstall()
	conn.ready(t, "s1", 0, "")
	if err := recv(t, done); err != nil {
		t.Fatalf("second Connect: %v", err)
	}
	res := sendAsync(src, "after the failure")
	cid := clientID(t, conn.expect(t, "chat.message"))
	conn.push(t, chatFrame(1, "m-1", cid, "alice", "after the failure"))
	if r := recv(t, res); r.err != nil || r.msg.ID != "m-1" {
		t.Fatalf("send on the new connection: %+v, %v", r.msg, r.err)
	}
}

// A normal close by the server (1000, 1001) is a reconnect, not an error.
func TestNormalCloseReconnectsWithoutAnError(t *testing.T) {
	for _, code := range []int{1000, 1001} {
		srv := newScriptServer(t)
		src := scriptSource(t, srv)
		errs := src.Errors(t.Context())
		conn := connectScript(t, srv, src, 0, "")
		conn.closeWith(code, "bye")
		conn2 := srv.accept(t)
		conn2.ready(t, "s2", 0, "")
		conn2.expect(t, "sync")
		eventually(t, "reconnected", func() bool { return src.ConnectionState().SessionID == "s2" })
		select {
		case err := <-errs:
			t.Errorf("close %d reported %v", code, err)
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// An announced heartbeat_interval_ms below one second is raised to one
// second: the client pings about once a second, never every 100 ms.
func TestAnnouncedHeartbeatHasAOneSecondFloor(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	conn := connectScript(t, srv, src, 0, `"heartbeat_interval_ms":100`)
	// Four pings span three intervals: 3 s with the floor, 0.3 s without.
	// A late ping only shortens the span by its delay, so 2 s leaves a
	// second for a loaded machine.
	var at []time.Time
	for len(at) < 4 {
		select {
		case p := <-conn.pingAt:
			at = append(at, p)
		case <-time.After(waitFor):
			t.Fatalf("%d pings in %v", len(at), waitFor)
		}
	}
	if span := at[3].Sub(at[0]); span < 2*time.Second {
		t.Errorf("four pings within %v with heartbeat_interval_ms 100, want about a second apart", span)
	}
	if st := src.ConnectionState(); st.Status != domain.Connected {
		t.Errorf("state %v", st.Status)
	}
}

// data.New refuses options it cannot work with.
func TestNewValidatesOptions(t *testing.T) {
	for _, base := range []string{"", "http://chat.example.com", "chat.example.com", "ws://", "wss://user:pw@chat.example.com", "ws://[::1"} {
		if src, err := data.New(data.Options{BaseURL: base}); !errors.Is(err, data.ErrInvalidOptions) || src != nil {
			t.Errorf("New(%q) = %v, %v; want ErrInvalidOptions", base, src, err)
		}
	}
	if _, err := data.New(data.Options{BaseURL: "ws://x", Connection: data.ConnectionOptions{OutboxTTL: -time.Second}}); !errors.Is(err, data.ErrInvalidOptions) {
		t.Errorf("negative TTL: %v", err)
	}
	if _, err := data.New(data.Options{BaseURL: "wss://chat.example.com/base/"}); err != nil {
		t.Errorf("a good URL: %v", err)
	}
}

// On the first connect, an answer that can never change returns from
// Connect with its cause at once instead of retrying until ctx ends.
func TestFirstConnectFailsFastOnAPermanentAnswer(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusBadRequest, http.StatusOK} {
		srv := newScriptServer(t)
		srv.refuse.Store(int32(status))
		src := scriptSource(t, srv)
		ctx, cancel := context.WithTimeout(t.Context(), waitFor)
		err := src.Connect(ctx, "token")
		cancel()
		var de *network.DialError
		if !errors.As(err, &de) || de.StatusCode != status || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("HTTP %d: Connect = %v, want its DialError at once", status, err)
		}
		if st := src.ConnectionState(); st.Status != domain.Failed {
			t.Errorf("HTTP %d: state %v, want failed", status, st.Status)
		}
	}
}

// A refused TLS handshake (a certificate we do not trust) also returns
// from the first Connect with its cause.
func TestFirstConnectFailsFastOnARefusedCertificate(t *testing.T) {
	hs := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(hs.Close)
	src, err := data.New(data.Options{BaseURL: "wss" + strings.TrimPrefix(hs.URL, "https"), Connection: fastConnection})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	err = src.Connect(ctx, "token")
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Connect = %v, want the certificate error at once", err)
	}
}

// When ctx ends while the first connect is still retrying a transient
// failure, the error wraps both ctx's error and the last attempt's cause.
func TestConnectCancelledDuringRetriesSaysWhy(t *testing.T) {
	srv := newScriptServer(t)
	srv.refuse.Store(http.StatusServiceUnavailable)
	src := scriptSource(t, srv)
	ctx, cancel := context.WithTimeout(t.Context(), 400*time.Millisecond)
	defer cancel()
	err := src.Connect(ctx, "token")
	var de *network.DialError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &de) || de.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("Connect = %v, want DeadlineExceeded and the 503", err)
	}
}

// After a first successful connection, the same permanent-looking answers
// are retried: the server may be mid-deploy.
func TestLaterReconnectsKeepRetrying(t *testing.T) {
	srv := newScriptServer(t)
	src := scriptSource(t, srv)
	states := src.ConnectionStates(t.Context())
	conn := connectScript(t, srv, src, 0, "")
	srv.refuse.Store(http.StatusNotFound)
	conn.drop()
	recvWhere(t, states, func(s domain.ConnectionState) bool {
		var de *network.DialError
		return s.Status == domain.Reconnecting && errors.As(s.Err, &de) && de.StatusCode == http.StatusNotFound
	})
	srv.refuse.Store(0)
	conn2 := srv.accept(t)
	conn2.ready(t, "s2", 0, "")
	eventually(t, "reconnected", func() bool { return src.ConnectionState().SessionID == "s2" })
}
