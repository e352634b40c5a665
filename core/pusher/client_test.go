package pusher_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
)

// signer is an Authorizer that records the socket ids it signed for.
type signer struct {
	mu      sync.Mutex
	sockets []string
}

func (s *signer) Authorize(_ context.Context, socketID, channel string) (pusher.Auth, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sockets = append(s.sockets, socketID)
	a := pusher.Auth{}
	if kind, _ := pusher.ChannelKind(channel); kind == pusher.Presence {
		a.ChannelData = `{"user_id":"me"}`
	}
	a.Auth = pusher.SignChannel("key", "secret", socketID, channel, a.ChannelData)
	return a, nil
}

func (s *signer) signed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sockets...)
}

// connectFake connects a client to fs on a fake clock and plays the greeting.
func connectFake(t *testing.T, fs *fakeServer, auth pusher.Authorizer) (*pusher.Client, *fakeConn, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Now())
	c := newClient(t, pusher.Options{Host: fs.host(), Key: "key", Authorizer: auth, Manager: fakeManager(clk)})
	done := make(chan error, 1)
	go func() { done <- c.Connect(testCtx(t)) }()
	fc := fs.accept("1.1")
	if err := recv(t, done, "connect"); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if id := c.SocketID(); id != "1.1" {
		t.Fatalf("SocketID() = %q after Connect, want 1.1", id)
	}
	return c, fc, clk
}

// subscribeFake subscribes and plays the server's confirmation.
func subscribeFake(t *testing.T, c *pusher.Client, fc *fakeConn, name string) *pusher.Channel {
	t.Helper()
	type result struct {
		ch  *pusher.Channel
		err error
	}
	done := make(chan result, 1)
	go func() {
		ch, err := c.Subscribe(testCtx(t), name)
		done <- result{ch, err}
	}()
	f := fc.expect(pusher.EventSubscribe)
	if got := subscribeData(t, f).Channel; got != name {
		t.Fatalf("subscribe for %q, want %q", got, name)
	}
	fc.send(`{"event":"pusher_internal:subscription_succeeded","channel":"` + name + `","data":"{}"}`)
	r := recv(t, done, "subscribe")
	if r.err != nil {
		t.Fatalf("Subscribe: %v", r.err)
	}
	return r.ch
}

type subData struct {
	Channel     string `json:"channel"`
	Auth        string `json:"auth"`
	ChannelData string `json:"channel_data"`
}

func subscribeData(t *testing.T, f pusher.Frame) subData {
	t.Helper()
	var d subData
	if err := json.Unmarshal(f.Payload(), &d); err != nil {
		t.Fatalf("subscribe data %s: %v", f.Data, err)
	}
	return d
}

func TestConnectionURL(t *testing.T) {
	fs := newFakeServer(t)
	_, fc, _ := connectFake(t, fs, nil)
	u, err := url.Parse(fc.path)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/app/key" || q.Get("protocol") != "7" || q.Get("client") != "chatwire-go" || q.Get("version") != pusher.Version {
		t.Fatalf("connection URL %s", fc.path)
	}
}

func TestServerPingGetsPong(t *testing.T) {
	fs := newFakeServer(t)
	_, fc, _ := connectFake(t, fs, nil)
	fc.send(`{"event":"pusher:ping","data":{}}`)
	if f := fc.expect(pusher.EventPong); string(f.Payload()) != "{}" {
		t.Fatalf("pong data %s", f.Data)
	}
}

// The heartbeat runs on the fake clock: a ping after the server's activity
// timeout, a pong as object or string keeps the connection, no pong within
// 30 s ends it.
func TestHeartbeat(t *testing.T) {
	for _, pong := range []string{`{"event":"pusher:pong","data":{}}`, `{"event":"pusher:pong","data":"{}"}`} {
		fs := newFakeServer(t)
		c, fc, clk := connectFake(t, fs, nil)
		errs := c.Errors(testCtx(t))
		clk.Advance(30 * time.Second)
		fc.expect(pusher.EventPing)
		fc.send(pong)
		// The pong is liveness: wait until the manager has taken it in
		// (its timers were re-armed), then pass the pong timeout.
		frames := c.Frames(testCtx(t))
		fc.send(`{"event":"marker","data":{}}`)
		recvFrame(t, frames, "marker")
		clk.Advance(pusher.DefaultPongTimeout)
		if st := c.State(); st.State != network.StateConnected {
			t.Fatalf("pong %s: state %v (%v)", pong, st.State, st.Err)
		}
		select {
		case err := <-errs:
			t.Fatalf("pong %s: error %v", pong, err)
		default:
		}
	}

	fs := newFakeServer(t)
	c, fc, clk := connectFake(t, fs, nil)
	states := c.States(testCtx(t))
	clk.Advance(30 * time.Second)
	fc.expect(pusher.EventPing)
	clk.Advance(pusher.DefaultPongTimeout - time.Second)
	if st := c.State(); st.State != network.StateConnected {
		t.Fatalf("before the pong timeout: state %v", st.State)
	}
	clk.Advance(time.Second)
	for {
		sc := recv(t, states, "state")
		if sc.State == network.StateReconnecting {
			if !errors.Is(sc.Err, network.ErrHeartbeatTimeout) {
				t.Fatalf("dropped with %v, want ErrHeartbeatTimeout", sc.Err)
			}
			break
		}
	}
}

func TestCodelessErrorFailsPendingSubscription(t *testing.T) {
	fs := newFakeServer(t)
	c, fc, _ := connectFake(t, fs, &signer{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(testCtx(t), "private-x")
		done <- err
	}()
	fc.expect(pusher.EventSubscribe)
	fc.send(`{"event":"pusher:error","data":{"code":null,"message":"Invalid signature: Expected HMAC SHA256 hex digest of 1.1:private-x"}}`)
	err := recv(t, done, "subscribe")
	var se *pusher.SubscriptionError
	var pe *pusher.ProtocolError
	if !errors.As(err, &se) || se.Channel != "private-x" || !errors.As(err, &pe) || pe.Code != 0 {
		t.Fatalf("Subscribe = %v, want a SubscriptionError from the pusher:error", err)
	}
	// A code-less error with no subscription pending goes to Errors.
	errs := c.Errors(testCtx(t))
	fc.send(`{"event":"pusher:error","data":{"code":null,"message":"something else"}}`)
	if got := recv(t, errs, "error"); !errors.As(got, &pe) || pe.Message != "something else" {
		t.Fatalf("errors stream: %v", got)
	}
}

func TestSubscriptionErrorStringData(t *testing.T) {
	fs := newFakeServer(t)
	c, fc, _ := connectFake(t, fs, &signer{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(testCtx(t), "presence-x")
		done <- err
	}()
	f := fc.expect(pusher.EventSubscribe)
	if d := subscribeData(t, f); d.ChannelData != `{"user_id":"me"}` || d.Auth == "" {
		t.Fatalf("presence subscribe without channel data: %+v", d)
	}
	fc.send(`{"event":"pusher:subscription_error","channel":"presence-x","data":"{\"type\":\"AuthError\",\"error\":\"nope\",\"status\":403}"}`)
	var se *pusher.SubscriptionError
	if err := recv(t, done, "subscribe"); !errors.As(err, &se) || se.Status != 403 || se.Message != "nope" {
		t.Fatalf("Subscribe = %v", err)
	}
}

func TestResubscribeAfterServerReconnectCode(t *testing.T) {
	// The new connection's socket id is its own, or (a server that hands
	// ids out again) the old one's.
	for _, second := range []string{"2.2", "1.1"} {
		t.Run("socket "+second, func(t *testing.T) {
			fs := newFakeServer(t)
			auth := &signer{}
			c, fc, _ := connectFake(t, fs, auth)
			ch := subscribeFake(t, c, fc, "private-a")
			events := ch.Events(testCtx(t))

			fc.closeWith(4200, "server restarting") // reconnect at once: no clock needed
			fc2 := fs.accept(second)
			f := fc2.expect(pusher.EventSubscribe)
			d := subscribeData(t, f)
			if d.Channel != "private-a" || d.Auth != pusher.SignChannel("key", "secret", second, "private-a", "") {
				t.Fatalf("resubscribe %+v not signed for the new socket", d)
			}
			if got := auth.signed(); len(got) != 2 || got[0] != "1.1" || got[1] != second {
				t.Fatalf("signed for %v, want [1.1 %s]", got, second)
			}
			fc2.send(`{"event":"pusher_internal:subscription_succeeded","channel":"private-a","data":"{}"}`)
			if err := ch.Wait(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			fc2.send(`{"event":"e","channel":"private-a","data":"{\"n\":2}"}`)
			if ev := recv(t, events, "event"); ev.Event != "e" || string(ev.Data) != `{"n":2}` {
				t.Fatalf("event after reconnect: %+v", ev)
			}
		})
	}
}

func TestBackoffCodeOnHandshake(t *testing.T) {
	fs := newFakeServer(t)
	clk := clock.NewFake(time.Now())
	c := newClient(t, pusher.Options{Host: fs.host(), Key: "key", Manager: fakeManager(clk)})
	states := c.States(testCtx(t))
	go func() { _ = c.Connect(testCtx(t)) }()
	fc := recv(t, fs.conns, "connection")
	fc.send(`{"event":"pusher:error","data":{"code":4100,"message":"Over capacity"}}`)
	for {
		sc := recv(t, states, "state")
		if sc.State == network.StateReconnecting {
			var pe *pusher.ProtocolError
			if !errors.As(sc.Err, &pe) || pe.Code != 4100 || sc.Delay <= 0 {
				t.Fatalf("reconnecting after %v in %v, want a backoff after 4100", sc.Err, sc.Delay)
			}
			return
		}
		if sc.State == network.StateFailed {
			t.Fatalf("failed: %v", sc.Err)
		}
	}
}

func TestBadFramesAreReported(t *testing.T) {
	fs := newFakeServer(t)
	c, fc, _ := connectFake(t, fs, nil)
	ch := subscribeFake(t, c, fc, "public")
	events := ch.Events(testCtx(t))
	errs := c.Errors(testCtx(t))
	fc.send(`not json`)
	fc.send(`{"event":"pusher_internal:member_added","channel":"public","data":"{}"}`)
	for range 2 {
		if err := recv(t, errs, "decode error"); !errors.Is(err, pusher.ErrMalformed) {
			t.Fatalf("got %v, want ErrMalformed", err)
		}
	}
	fc.send(`{"event":"still","channel":"public","data":"plain text"}`)
	if ev := recv(t, events, "event"); ev.Event != "still" || string(ev.Data) != `"plain text"` {
		t.Fatalf("event after bad frames: %+v", ev)
	}
}

func TestSubscribeRefusals(t *testing.T) {
	c := newClient(t, pusher.Options{Host: "127.0.0.1:1", Key: "key"})
	ctx := testCtx(t)
	if _, err := c.Subscribe(ctx, "private-encrypted-x"); !errors.Is(err, pusher.ErrNoAuthorizer) {
		t.Fatalf("encrypted without an authorizer: %v", err)
	}
	if _, err := c.Subscribe(ctx, "private-x"); !errors.Is(err, pusher.ErrNoAuthorizer) {
		t.Fatalf("no authorizer: %v", err)
	}
	if _, err := c.Subscribe(ctx, "bad name"); !errors.Is(err, pusher.ErrInvalidChannel) {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := pusher.New(pusher.Options{Key: "k"}); err == nil {
		t.Fatal("New without host: want an error")
	}
	if _, err := pusher.New(pusher.Options{Host: "h:1"}); err == nil {
		t.Fatal("New without key: want an error")
	}
}

func TestSubscribeCancelledDropsChannel(t *testing.T) {
	fs := newFakeServer(t)
	c, fc, _ := connectFake(t, fs, nil)
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(ctx, "slow")
		done <- err
	}()
	fc.expect(pusher.EventSubscribe)
	cancel()
	if err := recv(t, done, "subscribe"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Subscribe = %v", err)
	}
	if _, ok := c.Channel("slow"); ok {
		t.Fatal("channel kept after a cancelled Subscribe")
	}
	if d := subscribeData(t, fc.expect(pusher.EventUnsubscribe)); d.Channel != "slow" {
		t.Fatalf("unsubscribe for %q", d.Channel)
	}
}

func TestClose(t *testing.T) {
	fs := newFakeServer(t)
	c, fc, _ := connectFake(t, fs, nil)
	ch := subscribeFake(t, c, fc, "public")
	events := ch.Events(context.Background())
	members := ch.MemberEvents(context.Background())
	errs := c.Errors(context.Background())
	frames := c.Frames(context.Background())
	pending := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(context.Background(), "never-confirmed")
		pending <- err
	}()
	fc.expect(pusher.EventSubscribe)

	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Close()
		}()
	}
	wg.Wait()
	if err := recv(t, pending, "pending subscribe"); !errors.Is(err, pusher.ErrClosed) {
		t.Fatalf("pending Subscribe = %v, want ErrClosed", err)
	}
	for name, closed := range map[string]func() bool{
		"events":  func() bool { _, ok := <-events; return !ok },
		"members": func() bool { _, ok := <-members; return !ok },
		"errors":  func() bool { _, ok := <-errs; return !ok },
		"frames": func() bool {
			for range frames {
			}
			return true
		},
	} {
		if !closed() {
			t.Fatalf("%s stream open after Close", name)
		}
	}
	if ch.State() != pusher.ChannelUnsubscribed {
		t.Fatalf("channel state %v after Close", ch.State())
	}
	if _, err := c.Subscribe(context.Background(), "x"); !errors.Is(err, pusher.ErrClosed) {
		t.Fatalf("Subscribe after Close = %v", err)
	}
	if err := c.Connect(context.Background()); !errors.Is(err, pusher.ErrClosed) {
		t.Fatalf("Connect after Close = %v", err)
	}
	if err := c.Trigger(context.Background(), "private-a", "client-x", nil); !errors.Is(err, pusher.ErrClosed) {
		t.Fatalf("Trigger after Close = %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

// After a reconnect the authorization is refused (the user signed out): the
// channel fails, the error is reported, and a later Subscribe tries again.
func TestResubscribeFailureIsReported(t *testing.T) {
	fs := newFakeServer(t)
	var mu sync.Mutex
	refuse := false
	auth := pusher.AuthorizerFunc(func(ctx context.Context, socketID, channel string) (pusher.Auth, error) {
		mu.Lock()
		defer mu.Unlock()
		if refuse {
			return pusher.Auth{}, &pusher.AuthError{StatusCode: 401}
		}
		return pusher.Auth{Auth: pusher.SignChannel("key", "secret", socketID, channel, "")}, nil
	})
	c, fc, _ := connectFake(t, fs, auth)
	ch := subscribeFake(t, c, fc, "private-a")
	errs := c.Errors(testCtx(t))

	mu.Lock()
	refuse = true
	mu.Unlock()
	fc.closeWith(4200, "")
	fc2 := fs.accept("2.2")
	for {
		err := recv(t, errs, "resubscribe error")
		var se *pusher.SubscriptionError
		if errors.As(err, &se) {
			if se.Channel != "private-a" || se.Status != 401 || !errors.Is(err, network.ErrUnauthorized) {
				t.Fatalf("got %v", err)
			}
			break
		}
	}
	if ch.State() != pusher.ChannelFailed || ch.Wait(testCtx(t)) == nil {
		t.Fatalf("state %v after a refused resubscribe", ch.State())
	}

	mu.Lock()
	refuse = false
	mu.Unlock()
	got := subscribeFake(t, c, fc2, "private-a")
	if got != ch || ch.State() != pusher.ChannelSubscribed {
		t.Fatalf("Subscribe again: same channel %v, state %v", got == ch, ch.State())
	}
}
