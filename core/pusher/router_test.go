package pusher

import (
	"context"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network"
)

// TestStaleAnswerAfterReconnect routes the frames and state changes of a
// reconnect in an order the two streams allow: the new connection's
// StateConnected before the old connection's last frame, a subscription
// answer. The stale answer must not settle the new attempt, whether the
// server gave the new connection a socket id of its own or the same one
// again.
func TestStaleAnswerAfterReconnect(t *testing.T) {
	for _, ids := range [][2]string{{"1.1", "2.2"}, {"1.1", "1.1"}} {
		t.Run(ids[0]+" then "+ids[1], func(t *testing.T) { staleAnswerAfterReconnect(t, ids[0], ids[1]) })
	}
}

func staleAnswerAfterReconnect(t *testing.T, firstID, secondID string) {
	c, err := New(Options{Host: "127.0.0.1:1", Key: "key"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	ch := newChannel(c, "chat", Public)
	c.mu.Lock()
	c.channels["chat"] = ch
	c.mu.Unlock()

	established := func(conn uint64, sid string) network.Frame {
		return network.Frame{Conn: conn, Data: []byte(`{"event":"pusher:connection_established","data":"{\"socket_id\":\"` + sid + `\",\"activity_timeout\":120}"}`)}
	}
	succeeded := func(conn uint64) network.Frame {
		return network.Frame{Conn: conn, Data: []byte(`{"event":"pusher_internal:subscription_succeeded","channel":"chat","data":"{}"}`)}
	}
	connect := func(conn uint64, sid string) {
		c.mu.Lock()
		c.greeted, c.greetedConn = sid, conn
		c.mu.Unlock()
		c.onState(network.StateChange{State: network.StateConnected})
		// The attempt goroutine numbers its subscribe frame (whose send
		// fails: the manager never ran).
		deadline := time.Now().Add(5 * time.Second)
		for {
			c.mu.Lock()
			sent := ch.sentSeq != 0 && ch.attemptSocket == sid && c.conn != nil && c.conn.id == conn
			c.mu.Unlock()
			if sent {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no subscribe attempt on connection %d", conn)
			}
			time.Sleep(time.Millisecond)
		}
	}

	c.onFrame(ctx, &frameDecoder{}, established(1, firstID))
	connect(1, firstID)
	c.onFrame(ctx, &frameDecoder{}, succeeded(1))
	if got := ch.State(); got != ChannelSubscribed {
		t.Fatalf("first connection: state %v, want subscribed", got)
	}

	c.onState(network.StateChange{State: network.StateReconnecting})
	connect(2, secondID)
	c.onFrame(ctx, &frameDecoder{}, succeeded(1)) // routed late: the first connection's answer
	if got := ch.State(); got != ChannelSubscribing {
		t.Fatalf("after a stale answer: state %v, want subscribing", got)
	}

	c.onFrame(ctx, &frameDecoder{}, established(2, secondID))
	c.onFrame(ctx, &frameDecoder{}, succeeded(2))
	if got := ch.State(); got != ChannelSubscribed {
		t.Fatalf("second connection: state %v, want subscribed", got)
	}
}
