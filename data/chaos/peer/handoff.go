package peer

import (
	"context"
	"errors"
	"time"

	"github.com/gorilla/websocket"
)

// Hand-off floors: raw gorilla again, with the goroutine hand-offs a
// client library cannot avoid and nothing else. They tell what a design
// costs from what its code costs (docs/benchmarks.md, "The floor").
//
//   - "handoff1": a reader goroutine reads each frame with ReadMessage and
//     hands it over a channel to the application's goroutine. Any SDK
//     whose streams are channels read by the application pays this one
//     hand-off, and any SDK over gorilla needs the reader goroutine.
//   - "handoff2": reader goroutine → owner goroutine (which finds the
//     stamp: its "decode") → application. The least a design pays whose
//     session state belongs to a goroutine of its own, apart from the
//     socket's reader (ARCHITECTURE.md, ownership).
//
// The channels hold 4 frames, as the SDK's subscriber channels do.

// errEndedEarly: the connection ended before the run's last message.
var errEndedEarly = errors.New("peer: the connection ended before the run's last message")

// handoffSlots is the capacity of each hand-off channel.
const handoffSlots = 4

// stamped is a frame and the stamp found in it.
type stamped struct {
	data  []byte
	stamp int64
}

// readFrames starts the reader goroutine of c: every frame goes to out,
// which closes when the connection ends. stop ends it early.
func readFrames(c *websocket.Conn, stop <-chan struct{}) <-chan []byte {
	out := make(chan []byte, handoffSlots)
	go func() {
		defer close(out)
		for {
			_, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			select {
			case out <- b:
			case <-stop:
				return
			}
		}
	}()
	return out
}

// own starts the owner goroutine: it finds each frame's stamp and hands
// the frame on.
func own(in <-chan []byte, latency bool, stop <-chan struct{}) <-chan stamped {
	out := make(chan stamped, handoffSlots)
	go func() {
		defer close(out)
		for b := range in {
			s := stamped{data: b}
			if latency {
				s.stamp, _ = StampIn(b)
			}
			select {
			case out <- s:
			case <-stop:
				return
			}
		}
	}()
	return out
}

// receiveHandoff runs a run through hops goroutine hand-offs (1 or 2).
func receiveHandoff(hops int) func(ctx context.Context, addr string, run Run, m *Meter) error {
	return func(ctx context.Context, addr string, run Run, m *Meter) error {
		c, err := dialRun(ctx, addr, run)
		if err != nil {
			return err
		}
		defer c.Close()
		stop := make(chan struct{})
		defer close(stop)
		latency := run.Gap > 0
		frames := readFrames(c, stop)
		var owned <-chan stamped
		if hops == 2 {
			owned = own(frames, latency, stop)
		}
		for range run.N {
			var stamp int64
			if owned != nil {
				s, ok := <-owned
				if !ok {
					return errEndedEarly
				}
				stamp = s.stamp
			} else {
				b, ok := <-frames
				if !ok {
					return errEndedEarly
				}
				if latency {
					stamp, _ = StampIn(b)
				}
			}
			m.Message(stamp)
		}
		c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		return nil
	}
}

// openHandoff opens a quiet connection with its reader goroutine and, for
// two hops, its owner goroutine (the application's own goroutine is not
// counted, as for the SDK clients).
func openHandoff(hops int) func(ctx context.Context, addr string) (func(), error) {
	return func(ctx context.Context, addr string) (func(), error) {
		c, err := dialRaw(ctx, addr, Idle)
		if err != nil {
			return nil, err
		}
		stop := make(chan struct{})
		frames := readFrames(c, stop)
		if hops == 2 {
			own(frames, false, stop)
		}
		return func() { close(stop); c.Close() }, nil
	}
}
