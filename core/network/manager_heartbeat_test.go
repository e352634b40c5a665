package network

import (
	"errors"
	"testing"
	"time"
)

// A server that keeps TCP open but goes silent is detected exactly
// HeartbeatInterval + PongTimeout after its last frame, and the manager
// closes the connection and reconnects with ErrHeartbeatTimeout as cause.
func TestManagerHeartbeatDetectsSilentPeer(t *testing.T) {
	h := newHarness(t, nil, nil) // 30s heartbeat, 10s pong timeout
	errs := h.m.Errors(t.Context())
	h.start()
	c := h.connectedClient()
	h.await(StateConnected)

	h.clk.Advance(30*time.Second - time.Nanosecond)
	select {
	case <-c.pings:
		t.Fatal("heartbeat before 30s of silence")
	default:
	}
	h.clk.Advance(time.Nanosecond)
	recv(t, c.pings) // nil HeartbeatFrame: a WebSocket ping

	h.clk.Advance(10*time.Second - time.Nanosecond)
	if st := h.m.State().State; st != StateConnected {
		t.Fatalf("state %v before the pong timeout", st)
	}
	h.clk.Advance(time.Nanosecond)
	sc := h.expect(StateReconnecting)
	if !errors.Is(sc.Err, ErrHeartbeatTimeout) {
		t.Fatalf("cause = %v, want ErrHeartbeatTimeout", sc.Err)
	}
	if !errors.Is(recv(t, errs), ErrHeartbeatTimeout) {
		t.Fatal("dead connection not reported on Errors")
	}
	<-c.done
	if c.localCloseCode() != CloseGoingAway {
		t.Fatalf("dead connection closed with %d, want 1001", c.localCloseCode())
	}
	// And it reconnects.
	h.sleepOut(sc.Delay)
	h.connectedClient()
	h.expect(StateConnected)
}

// Any inbound frame counts as liveness: it postpones the heartbeat, and
// after a heartbeat it stands in for the pong.
func TestManagerHeartbeatInboundFramesAreLiveness(t *testing.T) {
	h := newHarness(t, nil, func(o *ManagerOptions) {
		o.HeartbeatFrame = []byte(`{"type":"ping","payload":{}}`)
	})
	frames := h.m.Frames(t.Context())
	h.start()
	c := h.connectedClient()
	h.await(StateConnected)

	h.awaitArmed(30 * time.Second)
	h.clk.Advance(20 * time.Second)
	c.push(t, "news")
	recv(t, frames)
	h.clk.Advance(10 * time.Second) // the first timer finds 20s of silence only
	h.awaitArmed(20 * time.Second)  // and waits for the rest
	h.clk.Advance(19 * time.Second) // 49s since connect, 29s since "news"
	if got := c.sentFrames(); len(got) != 0 {
		t.Fatalf("heartbeat sent %q after only 29s of silence", got)
	}
	h.clk.Advance(time.Second)
	if f := string(recv(t, c.sentC)); f != `{"type":"ping","payload":{}}` {
		t.Fatalf("heartbeat frame %q", f)
	}
	// The answer comes as an ordinary frame before the pong timeout.
	h.clk.Advance(9 * time.Second)
	c.push(t, `{"type":"pong"}`)
	recv(t, frames)
	h.clk.Advance(5 * time.Second) // past the pong deadline of the first heartbeat
	if st := h.m.State().State; st != StateConnected {
		t.Fatalf("state %v although the peer answered", st)
	}
	// The next heartbeat is 30s after the pong, and the connection holds
	// as long as the peer answers.
	for range 5 {
		h.clk.Advance(25 * time.Second)
		recv(t, c.sentC)
		c.push(t, "pong")
		recv(t, frames)
		h.clk.Advance(5 * time.Second)
	}
	if st := h.m.State().State; st != StateConnected {
		t.Fatalf("state %v", st)
	}
	select {
	case sc := <-h.states:
		t.Fatalf("unexpected state change %+v", sc)
	default:
	}
}

// A WebSocket pong (Ping returning nil) is liveness too.
func TestManagerHeartbeatPong(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) { c.autoPong = true }, nil)
	h.start()
	c := h.connectedClient()
	h.await(StateConnected)
	h.awaitArmed(30 * time.Second) // the first heartbeat, armed on connect
	for range 10 {
		h.clk.Advance(30 * time.Second)
		recv(t, c.pings)
		h.awaitArmed(10 * time.Second) // the pong deadline
		h.awaitArmed(30 * time.Second) // the pong re-arms the heartbeat
	}
	if st := h.m.State().State; st != StateConnected {
		t.Fatalf("state %v although every ping got its pong", st)
	}
}

func TestHeartbeatTimer(t *testing.T) {
	h := newHarness(t, nil, nil)
	hb := newHeartbeat(h.clk, 30*time.Second, 10*time.Second)
	defer hb.close()
	due := func() (bool, bool) {
		t.Helper()
		recv(t, hb.tick)
		return hb.due()
	}
	h.clk.Advance(30 * time.Second)
	if send, dead := due(); !send || dead {
		t.Fatalf("at 30s: send %v dead %v", send, dead)
	}
	h.clk.Advance(10 * time.Second)
	if send, dead := due(); send || !dead {
		t.Fatalf("at 40s without a frame: send %v dead %v", send, dead)
	}
	// A stale tick never declares a live connection dead.
	hb2 := newHeartbeat(h.clk, 30*time.Second, 10*time.Second)
	defer hb2.close()
	hb2.tick <- struct{}{}
	if send, dead := hb2.due(); send || dead {
		t.Fatalf("stale tick: send %v dead %v", send, dead)
	}
}
