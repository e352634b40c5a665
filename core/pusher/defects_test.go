package pusher_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
)

// Regression tests of issue 12's defects against the scripted server, each
// playing a legal server that Soketi does not imitate.

// settle makes sure the routing goroutine has handled every frame the
// server sent before now: it publishes what a frame causes (errors
// included) before the frame itself on Frames.
func settle(t *testing.T, c *pusher.Client, fc *fakeConn) {
	t.Helper()
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	frames := c.Frames(ctx)
	fc.send(`{"event":"test:marker","data":{}}`)
	recvFrame(t, frames, "test:marker")
}

// noError fails the test if errs holds anything.
func noError(t *testing.T, errs <-chan error) {
	t.Helper()
	select {
	case err := <-errs:
		t.Fatalf("errors stream got %v, want nothing", err)
	default:
	}
}

// Defect 1: when Connect returns nil, the socket id is known.
func TestConnectReturnsWithSocketID(t *testing.T) {
	fs := newFakeServer(t)
	for i := range 20 {
		c, err := pusher.New(pusher.Options{Host: fs.host(), Key: "key", Manager: fakeManager(clock.NewFake(time.Now()))})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Connect(testCtx(t)) }()
		fs.accept("7.7")
		if err := recv(t, done, "connect"); err != nil {
			t.Fatalf("Connect: %v", err)
		}
		if id := c.SocketID(); id != "7.7" {
			t.Fatalf("connect %d: SocketID() = %q right after Connect, want 7.7", i, id)
		}
		_ = c.Close()
	}
}

// Defect 3: a pusher:error with a code and no close applies the code's
// policy: 4200 reconnects at once, 4100 backs off, 4001 stops.
func TestCodedErrorWithoutClose(t *testing.T) {
	t.Run("4200 reconnects now", func(t *testing.T) {
		fs := newFakeServer(t)
		c, fc, _ := connectFake(t, fs, nil)
		errs := c.Errors(testCtx(t))
		fc.send(`{"event":"pusher:error","data":{"code":4200,"message":"Please reconnect immediately"}}`)
		// The fake clock never moves: only an immediate reconnect arrives.
		fs.accept("2.2")
		eventually(t, "new socket id", func() bool { return c.SocketID() == "2.2" })
		err := recv(t, errs, "reported cause")
		if code, _ := pusher.ErrorCode(err); code != 4200 {
			t.Fatalf("reported %v, want the 4200 error", err)
		}
		noError(t, errs) // reported once
	})
	t.Run("4100 backs off", func(t *testing.T) {
		fs := newFakeServer(t)
		c, fc, clk := connectFake(t, fs, nil)
		states := c.States(testCtx(t))
		fc.send(`{"event":"pusher:error","data":{"code":4100,"message":"Over capacity"}}`)
		for {
			sc := recv(t, states, "state")
			if sc.State == network.StateReconnecting {
				if code, _ := pusher.ErrorCode(sc.Err); code != 4100 || sc.Delay <= 0 {
					t.Fatalf("reconnecting after %v in %v, want a backoff after 4100", sc.Err, sc.Delay)
				}
				advanceUntil(t, clk, sc.Delay, "the reconnect", func() bool { return len(fs.conns) > 0 })
				break
			}
		}
		fs.accept("3.3")
		eventually(t, "reconnected", func() bool { return c.SocketID() == "3.3" })
	})
	t.Run("4001 stops", func(t *testing.T) {
		fs := newFakeServer(t)
		c, fc, _ := connectFake(t, fs, nil)
		states := c.States(testCtx(t))
		fc.send(`{"event":"pusher:error","data":{"code":4001,"message":"App does not exist"}}`)
		for {
			sc := recv(t, states, "state")
			if sc.State == network.StateReconnecting {
				t.Fatalf("reconnecting after %v, want to stop", sc.Err)
			}
			if sc.State == network.StateFailed {
				if code, _ := pusher.ErrorCode(sc.Err); code != 4001 {
					t.Fatalf("failed with %v, want 4001", sc.Err)
				}
				return
			}
		}
	})
	t.Run("other codes are reported only", func(t *testing.T) {
		fs := newFakeServer(t)
		c, fc, _ := connectFake(t, fs, nil)
		errs := c.Errors(testCtx(t))
		fc.send(`{"event":"pusher:error","data":{"code":4301,"message":"Client event rejected"}}`)
		var pe *pusher.ProtocolError
		if err := recv(t, errs, "error"); !errors.As(err, &pe) || pe.Code != 4301 {
			t.Fatalf("got %v, want the 4301 error", err)
		}
		if st := c.State(); st.State != network.StateConnected || c.SocketID() != "1.1" {
			t.Fatalf("state %v socket %q after 4301", st.State, c.SocketID())
		}
	})
}

// Defect 4: a subscribe the server never answers fails after
// SubscribeTimeout, as a subscription error, and is taken back.
func TestSubscribeTimeout(t *testing.T) {
	fs := newFakeServer(t)
	c, fc, clk := connectFake(t, fs, nil)
	errs := c.Errors(testCtx(t))
	done := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(testCtx(t), "silent")
		done <- err
	}()
	fc.expect(pusher.EventSubscribe)
	clk.Advance(pusher.DefaultSubscribeTimeout - time.Second)
	select {
	case err := <-done:
		t.Fatalf("Subscribe returned %v before the timeout", err)
	default:
	}
	clk.Advance(time.Second)
	err := recv(t, done, "subscribe")
	var se *pusher.SubscriptionError
	if !errors.As(err, &se) || se.Channel != "silent" || !errors.Is(err, pusher.ErrSubscribeTimeout) || !errors.Is(err, pusher.ErrSubscription) {
		t.Fatalf("Subscribe = %v, want a subscription timeout", err)
	}
	if d := subscribeData(t, fc.expect(pusher.EventUnsubscribe)); d.Channel != "silent" {
		t.Fatalf("unsubscribe for %q", d.Channel)
	}
	// A late confirmation does not revive it.
	fc.send(`{"event":"pusher_internal:subscription_succeeded","channel":"silent","data":"{}"}`)
	settle(t, c, fc)
	if _, ok := c.Channel("silent"); ok {
		t.Fatal("timed-out channel kept")
	}
	noError(t, errs) // returned by Subscribe, so not reported
}

// Defect 4, with Ensure: the timeout is returned and the channel is kept,
// then subscribed on the next connection.
func TestEnsureTimeoutKeepsChannel(t *testing.T) {
	fs := newFakeServer(t)
	c, fc, clk := connectFake(t, fs, &signer{})
	done := make(chan error, 1)
	go func() { done <- c.Ensure(testCtx(t), "private-a") }()
	fc.expect(pusher.EventSubscribe)
	clk.Advance(pusher.DefaultSubscribeTimeout)
	if err := recv(t, done, "ensure"); !errors.Is(err, pusher.ErrSubscribeTimeout) {
		t.Fatalf("Ensure = %v, want the timeout", err)
	}
	ch, ok := c.Channel("private-a")
	if !ok || ch.State() != pusher.ChannelFailed {
		t.Fatalf("channel kept %v", ok)
	}
	fc.expect(pusher.EventUnsubscribe)
	fc.closeWith(4200, "")
	fc2 := fs.accept("2.2")
	fc2.expect(pusher.EventSubscribe)
	fc2.send(`{"event":"pusher_internal:subscription_succeeded","channel":"private-a","data":"{}"}`)
	if err := ch.Wait(testCtx(t)); err != nil {
		t.Fatalf("Wait after reconnect: %v", err)
	}
}

// Defect 5: a server that refuses a signature with a connection-level
// pusher:error code null makes a subscription error that is not
// ErrUnauthorized; only the auth endpoint's 401 or 419 is.
func TestRefusedSignatureIsNotUnauthorized(t *testing.T) {
	fs := newFakeServer(t)
	c, fc, _ := connectFake(t, fs, &signer{})
	errs := c.Errors(testCtx(t))
	done := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(testCtx(t), "private-x")
		done <- err
	}()
	fc.expect(pusher.EventSubscribe)
	fc.send(`{"event":"pusher:error","data":{"code":null,"message":"Invalid signature: Expected HMAC SHA256 hex digest of 1.1:private-x, but got abc"}}`)
	err := recv(t, done, "subscribe")
	if !errors.Is(err, pusher.ErrSubscription) || errors.Is(err, network.ErrUnauthorized) {
		t.Fatalf("Subscribe = %v: want ErrSubscription, not ErrUnauthorized", err)
	}
	settle(t, c, fc)
	noError(t, errs)
	if st := c.State(); st.State != network.StateConnected {
		t.Fatalf("state %v after a refused signature", st.State)
	}

	for status, unauthorized := range map[int]bool{401: true, 419: true, 403: false, 500: false} {
		se := &pusher.SubscriptionError{Channel: "private-x", Status: status, Err: &pusher.AuthError{StatusCode: status}}
		if got := errors.Is(se, network.ErrUnauthorized); got != unauthorized {
			t.Errorf("auth endpoint %d: ErrUnauthorized %v, want %v", status, got, unauthorized)
		}
		server := &pusher.SubscriptionError{Channel: "private-x", Type: "AuthError", Status: status}
		if errors.Is(server, network.ErrUnauthorized) {
			t.Errorf("server refusal with status %d matches ErrUnauthorized", status)
		}
	}
}

// Defect 6: a failure is returned by the call that waited for it, or
// reported on Errors when nobody waited (a resubscription), never both.
func TestOneFailureOneReport(t *testing.T) {
	fs := newFakeServer(t)
	c, fc, _ := connectFake(t, fs, &signer{})
	errs := c.Errors(testCtx(t))

	done := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(testCtx(t), "private-a")
		done <- err
	}()
	fc.expect(pusher.EventSubscribe)
	fc.send(`{"event":"pusher:subscription_error","channel":"private-a","data":{"type":"AuthError","error":"no","status":401}}`)
	if err := recv(t, done, "subscribe"); !errors.Is(err, pusher.ErrSubscription) {
		t.Fatalf("Subscribe = %v", err)
	}
	settle(t, c, fc)
	noError(t, errs)

	// Subscribed, then refused on the next connection with nobody waiting:
	// the refusal goes to Errors, once.
	ch := subscribeFake(t, c, fc, "private-b")
	fc.closeWith(4200, "")
	fc2 := fs.accept("2.2")
	fc2.expect(pusher.EventSubscribe)
	fc2.send(`{"event":"pusher:subscription_error","channel":"private-b","data":{"type":"AuthError","error":"no","status":401}}`)
	var se *pusher.SubscriptionError
	for {
		err := recv(t, errs, "resubscription failure")
		if errors.As(err, &se) {
			break
		}
	}
	if se.Channel != "private-b" || ch.State() != pusher.ChannelFailed {
		t.Fatalf("reported %v, channel state %v", se, ch.State())
	}
	settle(t, c, fc2)
	for {
		select {
		case err := <-errs:
			if errors.As(err, &se) {
				t.Fatalf("subscription failure reported twice: %v", err)
			}
			continue
		default:
		}
		break
	}
}

// Defect 5 on a Reverb-like server: a bad signature is answered with a
// connection-level pusher:error 4009 and the socket stays open. It is the
// pending subscription's refusal, not a reason to stop the connection.
func TestReverbStyleRefusal(t *testing.T) {
	fs := newFakeServer(t)
	c, fc, _ := connectFake(t, fs, &signer{})
	errs := c.Errors(testCtx(t))
	done := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(testCtx(t), "private-x")
		done <- err
	}()
	fc.expect(pusher.EventSubscribe)
	fc.send(`{"event":"pusher:error","data":"{\"code\":4009,\"message\":\"Connection is unauthorized\"}"}`)
	err := recv(t, done, "subscribe")
	var pe *pusher.ProtocolError
	if !errors.Is(err, pusher.ErrSubscription) || errors.Is(err, network.ErrUnauthorized) || !errors.As(err, &pe) || pe.Code != 4009 {
		t.Fatalf("Subscribe = %v, want a subscription error carrying the 4009", err)
	}
	subscribeFake(t, c, fc, "still-fine")
	if st := c.State(); st.State != network.StateConnected {
		t.Fatalf("state %v after a refused signature", st.State)
	}
	noError(t, errs)
}

// userSigner signs sign-ins for user 1.
type userSigner struct{}

func (userSigner) AuthenticateUser(_ context.Context, socketID string) (pusher.UserAuth, error) {
	data := `{"id":"1"}`
	return pusher.UserAuth{Auth: pusher.SignUser("key", "secret", socketID, data), UserData: data}, nil
}

// A sign-in the server never answers fails after SubscribeTimeout, returned
// to Signin and not reported; a confirmed one sets UserID.
func TestSigninAnswerAndTimeout(t *testing.T) {
	fs := newFakeServer(t)
	clk := clock.NewFake(time.Now())
	c := newClient(t, pusher.Options{Host: fs.host(), Key: "key", UserAuthenticator: userSigner{}, Manager: fakeManager(clk)})
	go func() { _ = c.Connect(testCtx(t)) }()
	fc := fs.accept("1.1")
	errs := c.Errors(testCtx(t))

	done := make(chan error, 1)
	go func() { done <- c.Signin(testCtx(t)) }()
	f := fc.expect(pusher.EventSignin)
	if jsonField(t, f.Payload(), "auth") != pusher.SignUser("key", "secret", "1.1", `{"id":"1"}`) {
		t.Fatalf("signin data %s", f.Payload())
	}
	clk.Advance(pusher.DefaultSubscribeTimeout)
	if err := recv(t, done, "signin"); !errors.Is(err, pusher.ErrSubscribeTimeout) {
		t.Fatalf("Signin = %v, want the timeout", err)
	}
	settle(t, c, fc)
	noError(t, errs)

	go func() { done <- c.Signin(testCtx(t)) }()
	fc.expect(pusher.EventSignin)
	fc.send(`{"event":"pusher:signin_success","data":"{\"user_data\":\"{\\\"id\\\":\\\"1\\\"}\"}"}`)
	if err := recv(t, done, "signin"); err != nil {
		t.Fatalf("Signin = %v", err)
	}
	if id := c.UserID(); id != "1" {
		t.Fatalf("UserID() = %q", id)
	}
	events := c.UserEvents(testCtx(t))
	fc.send(`{"event":"notice","channel":"#server-to-user-1","data":"{\"n\":1}"}`)
	if ev := recv(t, events, "user event"); ev.Event != "notice" || string(ev.Data) != `{"n":1}` {
		t.Fatalf("user event %+v", ev)
	}
}
