package pusher

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/chatwire/chatwire/core/stream"
)

// User authentication: pusher:signin with a signature from the backend
// (Laravel: POST /broadcasting/user-auth), answered by
// pusher:signin_success. A signed-in connection receives the events the
// backend sends to the user (on the server's "#server-to-user-{id}"
// channel), and the server can terminate the user's connections.

// ServerToUserPrefix starts the channel name of events sent to a user.
const ServerToUserPrefix = "#server-to-user-"

// UserAuth is a backend's signature of a user sign-in for one socket.
type UserAuth struct {
	// Auth is "key:signature". It is a secret: never logged.
	Auth string `json:"auth"`
	// UserData is the user JSON the signature covers; it must hold "id".
	UserData string `json:"user_data"`
}

// String hides the signature.
func (a UserAuth) String() string { return "pusher.UserAuth{redacted}" }

// GoString hides the signature from %#v too.
func (a UserAuth) GoString() string { return a.String() }

// UserAuthenticator signs a user sign-in for a socket id, usually by
// asking the application's backend. Implementations must be safe for
// concurrent use and honour ctx.
type UserAuthenticator interface {
	AuthenticateUser(ctx context.Context, socketID string) (UserAuth, error)
}

// SignUser computes the auth string of a user sign-in: key + ":" +
// hex(HMAC-SHA256(secret, socketID + "::user::" + userData)). Backends
// and tests use it; clients never hold the secret.
func SignUser(key, secret, socketID, userData string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(socketID + "::user::" + userData))
	return key + ":" + hex.EncodeToString(mac.Sum(nil))
}

// ErrNoUserAuthenticator: Signin needs Options.UserAuthenticator.
var ErrNoUserAuthenticator = errors.New("pusher: signin needs a user authenticator")

// SigninError is a failed sign-in: the authenticator failed, or the
// server did not confirm it within Options.SubscribeTimeout. A server that
// refuses the signature ends the connection with code 4009 instead
// (reported as the connection's failure).
type SigninError struct {
	Message string
	// Err is the cause (an *AuthError, ErrSubscribeTimeout...), if any.
	Err error
}

func (e *SigninError) Error() string {
	msg := "pusher: signin failed"
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *SigninError) Unwrap() error { return e.Err }

// signin is the Client's sign-in state, guarded by Client.mu.
type signin struct {
	wanted  bool
	running bool // an attempt awaits its answer
	done    bool // signed in on the current connection
	userID  string
	err     error
	waiters int
	failSeq uint64
	changed chan struct{}
	events  *stream.Broadcaster[Event]
}

func (s *signin) changedLocked() {
	if s.changed != nil {
		close(s.changed)
	}
	s.changed = make(chan struct{})
}

// Signin signs the user in on the current connection and again after
// every reconnect, and waits until the server confirms it, it fails, or
// ctx ends. A failure it returns is not also reported on Errors; a failed
// sign-in after a reconnect is reported there.
func (c *Client) Signin(ctx context.Context) error {
	if c.opts.UserAuthenticator == nil {
		return ErrNoUserAuthenticator
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	s := &c.user
	if s.changed == nil {
		s.changedLocked()
	}
	s.wanted = true
	if c.conn != nil && !s.done && !s.running {
		c.startSigninLocked()
	}
	s.waiters++
	start := s.failSeq
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		s.waiters--
		c.mu.Unlock()
	}()
	for {
		c.mu.Lock()
		done, failSeq, err, changed := s.done, s.failSeq, s.err, s.changed
		c.mu.Unlock()
		switch {
		case failSeq != start:
			return err
		case done:
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.closing:
			return ErrClosed
		}
	}
}

// UserID returns the signed-in user's id, or "" while not signed in.
func (c *Client) UserID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.user.done {
		return ""
	}
	return c.user.userID
}

// UserEvents returns the events the backend sends to the signed-in user,
// from now on, across reconnects.
func (c *Client) UserEvents(ctx context.Context) <-chan Event {
	return c.user.events.Subscribe(ctx)
}

// startSigninLocked starts a sign-in attempt on the current connection.
// The caller holds c.mu.
func (c *Client) startSigninLocked() {
	conn := c.conn
	if c.closed || conn == nil || !c.user.wanted {
		return
	}
	c.user.done = false
	c.user.running = true
	c.wg.Add(1)
	go c.signinAttempt(conn)
}

func (c *Client) signinAttempt(conn *connection) {
	defer c.wg.Done()
	ctx := chanContext{conn.done}
	ua, err := c.opts.UserAuthenticator.AuthenticateUser(ctx, conn.socketID)
	if err != nil {
		if ctx.Err() == nil {
			c.signinFailed(conn, &SigninError{Message: "user authentication failed", Err: err})
		}
		return
	}
	data, _ := json.Marshal(ua)
	frame, _ := EncodeFrame(Frame{Event: EventSignin, Data: data})
	expired := make(chan struct{})
	stop := c.clock.AfterFunc(c.opts.SubscribeTimeout, func() { close(expired) })
	defer stop()
	if err := c.sendOn(ctx, conn, frame); err != nil {
		return // the socket is going away; the next connection signs in
	}
	for {
		c.mu.Lock()
		open := c.conn == conn && !c.user.done
		changed := c.user.changed
		c.mu.Unlock()
		if !open {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return
		case <-expired:
			c.signinFailed(conn, &SigninError{Message: "no answer", Err: fmt.Errorf("%w after %v", ErrSubscribeTimeout, c.opts.SubscribeTimeout)})
			return
		}
	}
}

// signinFailed ends an attempt on conn with err: returned to the waiting
// Signin calls, or reported when there are none.
func (c *Client) signinFailed(conn *connection, err error) {
	c.mu.Lock()
	if c.conn != conn || c.user.done {
		c.mu.Unlock()
		return
	}
	c.user.running = false
	c.user.failSeq++
	c.user.err = err
	c.user.changedLocked()
	report := c.user.waiters == 0
	c.mu.Unlock()
	if report {
		c.report(err)
	}
}

// onSigninSuccess records the user the server signed in.
func (c *Client) onSigninSuccess(f Frame) {
	var d struct {
		UserData string `json:"user_data"`
	}
	var user struct {
		ID json.RawMessage `json:"id"`
	}
	id := ""
	if decodeData(f, &d) == nil && json.Unmarshal([]byte(d.UserData), &user) == nil {
		id, _ = flexID(user.ID)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fromCurrentLocked() || !c.user.wanted {
		return
	}
	c.user.done = true
	c.user.running = false
	c.user.userID = id
	c.user.changedLocked()
}

// onUserEvent passes on an event sent to the signed-in user.
func (c *Client) onUserEvent(f Frame) {
	c.user.events.Publish(Event{Event: f.Event, Channel: f.Channel, Data: f.Payload(), UserID: f.UserID})
}

// isUserChannel reports whether a frame's channel is the server-to-user one.
func isUserChannel(channel string) bool { return strings.HasPrefix(channel, ServerToUserPrefix) }
