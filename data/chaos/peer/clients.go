package peer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	centrifugego "github.com/centrifugal/centrifuge-go"
	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/laravel"
)

// Client is one client library as the harness drives it.
type Client struct {
	// Receive connects to the server at addr (host:port), subscribes to
	// run and feeds every message to m, until m.Done or ctx ends.
	Receive func(ctx context.Context, addr string, run Run, m *Meter) error
	// Open opens one quiet connection and returns what closes it.
	Open func(ctx context.Context, addr string) (func(), error)
}

// Clients are the Go clients of the harness by name: "raw" (gorilla
// ReadMessage, the baseline), "envelope" (data.New → Messages), "laravel"
// (data/laravel → Messages over the Pusher protocol), "centrifuge"
// (centrifuge-go with encoding/json), and the hand-off floors "handoff1"
// and "handoff2" (handoff.go).
var Clients = map[string]Client{
	"raw":        {receiveRaw, openRaw},
	"handoff1":   {receiveHandoff(1), openHandoff(1)},
	"handoff2":   {receiveHandoff(2), openHandoff(2)},
	"envelope":   {receiveEnvelope, openEnvelope},
	"laravel":    {receiveLaravel, openLaravel},
	"centrifuge": {receiveCentrifuge, openCentrifuge},
}

// wait waits for m.Done, ctx or a failure of the client.
func wait(ctx context.Context, m *Meter, failed <-chan error) error {
	select {
	case <-m.Done:
		return nil
	case err := <-failed:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// raw: gorilla's own ReadMessage loop on the envelope server's frames; the
// frame is not decoded (the stamp of a latency run is found in the bytes).

func dialRaw(ctx context.Context, addr string, run string) (*websocket.Conn, error) {
	c, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+addr+"/chat?run="+run, nil)
	return c, err
}

// dialRun dials the envelope server for run and reads its session.ready:
// the frames after it are the run's.
func dialRun(ctx context.Context, addr string, run Run) (*websocket.Conn, error) {
	c, err := dialRaw(ctx, addr, run.Name())
	if err != nil {
		return nil, err
	}
	if _, _, err := c.ReadMessage(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func receiveRaw(ctx context.Context, addr string, run Run, m *Meter) error {
	c, err := dialRun(ctx, addr, run)
	if err != nil {
		return err
	}
	defer c.Close()
	latency := run.Gap > 0
	for range run.N {
		_, b, err := c.ReadMessage()
		if err != nil {
			return err
		}
		var stamp int64
		if latency {
			stamp, _ = StampIn(b)
		}
		m.Message(stamp)
	}
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return nil
}

func openRaw(ctx context.Context, addr string) (func(), error) {
	c, err := dialRaw(ctx, addr, Idle)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() { // the reader goroutine every gorilla client needs
		defer close(done)
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	return func() { c.Close(); <-done }, nil
}

// envelope: the SDK's data source with its defaults, one Messages
// subscriber.

func newEnvelope(addr, run string) (*data.ChatWebSocketDataSource, error) {
	return data.New(data.Options{BaseURL: "ws://" + addr, Header: http.Header{RunHeader: {run}}})
}

func receiveEnvelope(ctx context.Context, addr string, run Run, m *Meter) error {
	src, err := newEnvelope(addr, run.Name())
	if err != nil {
		return err
	}
	defer src.Close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs := src.Messages(sctx)
	failed := make(chan error, 1)
	go func() {
		for msg := range msgs {
			stamp, _ := Stamp(msg.Content)
			m.Message(stamp)
		}
		select {
		case <-m.Done:
		default:
			failed <- errors.New("envelope: Messages closed early")
		}
	}()
	if err := src.Connect(ctx, "token"); err != nil {
		return err
	}
	return wait(ctx, m, failed)
}

func openEnvelope(ctx context.Context, addr string) (func(), error) {
	src, err := newEnvelope(addr, Idle)
	if err != nil {
		return nil, err
	}
	if err := src.Connect(ctx, "token"); err != nil {
		src.Close()
		return nil, err
	}
	return func() { src.Close() }, nil
}

// laravel: the SDK's Pusher-backed data source with its defaults, on a
// public conversation channel (no user or presence channel, so no
// authorization round trip), one Messages subscriber.

func newLaravel(addr, conversation string) (*laravel.DataSource, error) {
	return laravel.New(laravel.Options{
		Host:                addr,
		Key:                 "peer",
		AuthEndpoint:        "http://" + addr + "/unused",
		DisableUserChannel:  true,
		DisablePresence:     true,
		ConversationChannel: "conversation.{id}",
		Conversations:       []string{conversation},
	})
}

func receiveLaravel(ctx context.Context, addr string, run Run, m *Meter) error {
	src, err := newLaravel(addr, run.Name())
	if err != nil {
		return err
	}
	defer src.Close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, errs := src.Messages(sctx), src.Errors(sctx)
	failed := make(chan error, 1)
	go func() {
		for msg := range msgs {
			stamp, _ := Stamp(msg.Content)
			m.Message(stamp)
		}
		select {
		case <-m.Done:
		default:
			failed <- errors.New("laravel: Messages closed early")
		}
	}()
	go func() {
		for err := range errs {
			select {
			case failed <- fmt.Errorf("laravel: %w", err):
			default:
			}
		}
	}()
	if err := src.Connect(ctx, "token"); err != nil {
		return err
	}
	return wait(ctx, m, failed)
}

func openLaravel(ctx context.Context, addr string) (func(), error) {
	src, err := newLaravel(addr, Idle)
	if err != nil {
		return nil, err
	}
	if err := src.Connect(ctx, "token"); err != nil {
		src.Close()
		return nil, err
	}
	return func() { src.Close() }, nil
}

// centrifuge: centrifuge-go (JSON protocol) with the payload decoded by
// encoding/json, as an application of it would.

type chatPayload struct {
	ID             string    `json:"id"`
	ClientID       string    `json:"client_id"`
	ConversationID string    `json:"conversation_id"`
	SenderID       string    `json:"sender_id"`
	Content        string    `json:"content"`
	Kind           string    `json:"kind"`
	CreatedAt      time.Time `json:"created_at"`
}

func receiveCentrifuge(ctx context.Context, addr string, run Run, m *Meter) error {
	c := centrifugego.NewJsonClient("ws://"+addr+"/connection/websocket", centrifugego.Config{})
	defer c.Close()
	sub, err := c.NewSubscription(run.Name())
	if err != nil {
		return err
	}
	failed := make(chan error, 1)
	sub.OnPublication(func(e centrifugego.PublicationEvent) {
		var p chatPayload
		if err := json.Unmarshal(e.Data, &p); err != nil {
			select {
			case failed <- err:
			default:
			}
			return
		}
		stamp, _ := Stamp(p.Content)
		m.Message(stamp)
	})
	if err := sub.Subscribe(); err != nil {
		return err
	}
	if err := c.Connect(); err != nil {
		return err
	}
	return wait(ctx, m, failed)
}

func openCentrifuge(ctx context.Context, addr string) (func(), error) {
	c := centrifugego.NewJsonClient("ws://"+addr+"/connection/websocket", centrifugego.Config{})
	connected := make(chan struct{})
	c.OnConnected(func(centrifugego.ConnectedEvent) { close(connected) })
	if err := c.Connect(); err != nil {
		return nil, err
	}
	select {
	case <-connected:
	case <-ctx.Done():
		c.Close()
		return nil, ctx.Err()
	}
	return c.Close, nil
}
