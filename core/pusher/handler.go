package pusher

import "github.com/chatwire/chatwire/core/network"

// Handler takes a Client's events as they happen (Options.Handler), for an
// owner that maps frames into its own streams: it needs no goroutine and
// no subscription of its own, and each frame costs one goroutine hand-off
// less than through Frames.
//
// Frame and State run on the Client's routing goroutine, one call at a
// time: the frames in their order, each state change in its order among
// the state changes (as Frames and States, two streams, carry them: a
// frame may come just before or after the state change around it). While
// they run the Client
// routes nothing more, so a Handler that waits (for a subscriber of its
// own) holds back the connection, losslessly, down to TCP flow control;
// it must not wait for the Client (Subscribe, Connect, Close). Error runs
// on the goroutine that found the error (the routing goroutine, a
// subscription attempt, a sign-in, the feeder of a Frames subscriber cut
// off for stalling); it may wait as Frame may, holding up that goroutine,
// and must not wait for the Client either. No call happens after Close
// returns.
type Handler interface {
	// Frame takes a frame, as Frames would carry it.
	Frame(Frame)
	// State takes a state change of the connection, as States would.
	State(network.StateChange)
	// Error takes an asynchronous failure, as Errors would.
	Error(error)
}

// deliver hands f to the Handler, if any, and publishes it on Frames.
// Routing goroutine only.
func (c *Client) deliver(f Frame) {
	if h := c.opts.Handler; h != nil {
		h.Frame(f)
	}
	c.frames.Publish(f)
}

// report hands err to the Handler, if any, and publishes it on Errors.
func (c *Client) report(err error) {
	if h := c.opts.Handler; h != nil {
		h.Error(err)
	}
	c.errs.Publish(err)
}
