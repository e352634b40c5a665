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
// answer. The stale answer must not settle the new attempt.
func TestStaleAnswerAfterReconnect(t *testing.T) {
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

	established := func(sid string) []byte {
		return []byte(`{"event":"pusher:connection_established","data":"{\"socket_id\":\"` + sid + `\",\"activity_timeout\":120}"}`)
	}
	succeeded := []byte(`{"event":"pusher_internal:subscription_succeeded","channel":"chat","data":"{}"}`)
	connect := func(sid string) {
		c.mu.Lock()
		c.greeted = sid
		c.mu.Unlock()
		c.onState(network.StateChange{State: network.StateConnected})
		// The attempt goroutine numbers its subscribe frame (whose send
		// fails: the manager never ran).
		deadline := time.Now().Add(5 * time.Second)
		for {
			c.mu.Lock()
			sent := ch.sentSeq != 0 && ch.attemptSocket == sid
			c.mu.Unlock()
			if sent {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no subscribe attempt on %s", sid)
			}
			time.Sleep(time.Millisecond)
		}
	}

	c.onFrame(ctx, &frameDecoder{}, established("1.1"))
	connect("1.1")
	c.onFrame(ctx, &frameDecoder{}, succeeded)
	if got := ch.State(); got != ChannelSubscribed {
		t.Fatalf("first connection: state %v, want subscribed", got)
	}

	c.onState(network.StateChange{State: network.StateReconnecting})
	connect("2.2")
	c.onFrame(ctx, &frameDecoder{}, succeeded) // routed late: the answer on 1.1
	if got := ch.State(); got != ChannelSubscribing {
		t.Fatalf("after a stale answer: state %v, want subscribing", got)
	}

	c.onFrame(ctx, &frameDecoder{}, established("2.2"))
	c.onFrame(ctx, &frameDecoder{}, succeeded)
	if got := ch.State(); got != ChannelSubscribed {
		t.Fatalf("second connection: state %v, want subscribed", got)
	}
}
