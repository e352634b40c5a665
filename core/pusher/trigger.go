package pusher

import (
	"context"
	"encoding/json"
	"fmt"
)

// Trigger sends a client event (a "whisper") to the other subscribers of a
// private or presence channel; the sender does not receive it. event must
// start with "client-" and the channel must be subscribed. data is encoded
// with encoding/json (pass json.RawMessage for ready JSON).
//
// Client events are never queued: Trigger fails with ErrNotSubscribed or
// ErrSocketGone (which matches the manager's ErrNotConnected) while
// offline or when the connection drops under it, and with ErrRateLimited when
// more than Options.ClientEventsPerSecond were sent in the last second.
func (c *Client) Trigger(ctx context.Context, channel, event string, data any) error {
	if !isClientEvent(event) {
		return fmt.Errorf("pusher: trigger %q: %w", event, ErrInvalidEvent)
	}
	kind, err := ChannelKind(channel)
	if err != nil {
		return err
	}
	if kind == Public || kind == PrivateEncrypted {
		return fmt.Errorf("pusher: trigger on %s: %w", channel, ErrClientEventChannel)
	}
	payload, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("pusher: trigger %s: encode data: %w", event, err)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	ch, ok := c.channels[channel]
	subscribed := ok && ch.state == ChannelSubscribed && c.conn != nil
	conn := c.conn
	c.mu.Unlock()
	if !subscribed {
		return fmt.Errorf("pusher: trigger on %s: %w", channel, ErrNotSubscribed)
	}
	b, err := EncodeFrame(Frame{Event: event, Channel: channel, Data: payload})
	if err != nil {
		return err
	}
	if !c.limiter.Allow() {
		return ErrRateLimited
	}
	// On the socket the channel is subscribed on: on the next one, until
	// it is subscribed again, the server would refuse it.
	return c.sendOn(ctx, conn, b)
}
