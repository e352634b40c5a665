package wsconn_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

// framesClosed reports whether Frames is closed once drained, without
// waiting.
func framesClosed(c *wsconn.Conn) bool {
	for {
		select {
		case _, ok := <-c.Frames():
			if !ok {
				return true
			}
		default:
			return false
		}
	}
}

func TestCloseHandshake(t *testing.T) {
	s := newFakeSocket()
	s.answerClose = true
	c := openConn(t, 1, s)
	if c.Err() != nil {
		t.Fatalf("Err while open = %v, want nil", c.Err())
	}
	if !c.Close(4000, "bye") {
		t.Fatal("first Close did not report first")
	}
	if c.Close(4001, "again") {
		t.Fatal("second Close reported first")
	}
	c.Wait(closeTimeout, s)
	select {
	case <-c.Done():
	default:
		t.Fatal("Wait returned before Done")
	}
	if !framesClosed(c) {
		t.Fatal("Frames still open after Done")
	}
	var ce *closeErr
	if !errors.As(c.Err(), &ce) || ce.code != 4000 || ce.reason != "bye" || !ce.local {
		t.Fatalf("Err = %v, want our close 4000 bye", c.Err())
	}
	if len(s.shutdowns) != 1 || s.shutdowns[0] != (frame{4000, "bye"}) {
		t.Fatalf("close frames %v, want one 4000 bye", s.shutdowns)
	}
	if s.drops.Load() != 0 || s.releases.Load() != 1 {
		t.Fatalf("drops=%d releases=%d, want 0 and 1", s.drops.Load(), s.releases.Load())
	}
	if err := c.Send(t.Context(), []byte("x")); !errors.Is(err, errClosed) {
		t.Fatalf("Send after Close = %v, want errClosed", err)
	}
}

// A peer that never answers our close frame is dropped after the timeout.
func TestCloseTimeoutDrops(t *testing.T) {
	s := newFakeSocket()
	c := openConn(t, 1, s)
	c.Close(1000, "")
	c.Wait(time.Millisecond, s)
	if s.drops.Load() == 0 {
		t.Fatal("the socket was not dropped")
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Wait returned before Done")
	}
	var ce *closeErr
	if !errors.As(c.Err(), &ce) || ce.code != 1000 || !ce.local {
		t.Fatalf("Err = %v, want our close 1000", c.Err())
	}
}

// The peer's close is the cause even if Close comes later.
func TestPeerCloseFirst(t *testing.T) {
	s := newFakeSocket()
	c := openConn(t, 1, s)
	close(s.hangUp)
	waitDone(t, c)
	c.Close(1000, "") // after the end: the cause must not change
	c.Wait(closeTimeout, s)
	if err := c.Err(); !errors.Is(err, errLost) {
		t.Fatalf("Err = %v, want the peer's cause", err)
	}
	if s.releases.Load() != 1 || len(s.shutdowns) != 0 {
		t.Fatalf("releases=%d close frames=%v, want 1 and none", s.releases.Load(), s.shutdowns)
	}
}

func TestCloseBeforeConnect(t *testing.T) {
	c := new(wsconn.Conn)
	c.Init(testErrors, 1)
	if c.Close(4000, "early") {
		t.Fatal("Close before Connect reported first")
	}
	c.Wait(closeTimeout, nil)
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed")
	}
	if !framesClosed(c) {
		t.Fatal("Frames not closed")
	}
	var ce *closeErr
	if !errors.As(c.Err(), &ce) || ce.code != 4000 || ce.reason != "early" || !ce.local {
		t.Fatalf("Err = %v, want our close", c.Err())
	}
	if err := c.BeginDial(nil); !errors.Is(err, errClosed) {
		t.Fatalf("BeginDial after Close = %v, want errClosed", err)
	}
	c.Close(1000, "") // idempotent
	c.Wait(closeTimeout, nil)
}

func TestCloseDuringDial(t *testing.T) {
	c := new(wsconn.Conn)
	c.Init(testErrors, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := c.BeginDial(cancel); err != nil {
		t.Fatal(err)
	}
	c.Close(1000, "")
	if ctx.Err() == nil {
		t.Fatal("Close did not cancel the dial")
	}
	s := newFakeSocket()
	if err := c.EndDial(s, nil); !errors.Is(err, errClosed) {
		t.Fatalf("EndDial after Close = %v, want errClosed", err)
	}
	if s.drops.Load() != 1 {
		t.Fatalf("drops = %d, want the dialled socket dropped", s.drops.Load())
	}
	waitDone(t, c)
}

func TestDialFailure(t *testing.T) {
	c := new(wsconn.Conn)
	c.Init(testErrors, 1)
	if err := c.BeginDial(nil); err != nil {
		t.Fatal(err)
	}
	dialErr := errors.New("refused")
	if err := c.EndDial(nil, dialErr); err != dialErr {
		t.Fatalf("EndDial = %v, want the dial error", err)
	}
	waitDone(t, c)
	if c.Err() != dialErr {
		t.Fatalf("Err = %v, want the dial error", c.Err())
	}
	if !framesClosed(c) {
		t.Fatal("Frames not closed")
	}
	if err := c.Send(t.Context(), []byte("x")); !errors.Is(err, errClosed) {
		t.Fatalf("Send after a failed dial = %v, want errClosed", err)
	}
}

func TestConnectTwice(t *testing.T) {
	c := openConn(t, 1, newFakeSocket())
	if err := c.BeginDial(nil); !errors.Is(err, errTwice) {
		t.Fatalf("second BeginDial = %v, want errTwice", err)
	}
}
