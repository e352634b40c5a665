package chattest

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/chatwire/chatwire/core/clock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is the fake clock's start; every server timestamp in tests derives from it.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// waitLimit guards reads so a broken server fails a test instead of hanging it.
const waitLimit = 5 * time.Second

// newTestServer starts a server on a fake clock and closes it at cleanup.
func newTestServer(t *testing.T, opts Options) (*Server, *clock.Fake) {
	t.Helper()
	fc := clock.NewFake(t0)
	if opts.Clock == nil {
		opts.Clock = fc
	}
	srv := NewServer(opts)
	t.Cleanup(srv.Close)
	return srv, fc
}

// client is a raw gorilla connection used from the test goroutine only.
type client struct {
	t     *testing.T
	ws    *websocket.Conn
	ready sessionReadyPayload
}

// connect dials as userID with a Bearer header and reads session.ready.
func connect(t *testing.T, srv *Server, userID string) *client {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + srv.IssueToken(userID)}}
	c := dialWith(t, srv.URL+"/chat", h)
	f := c.next()
	if f.Type != TypeSessionReady {
		t.Fatalf("first frame is %q, want session.ready", f.Type)
	}
	c.ready = payloadOf[sessionReadyPayload](t, f)
	return c
}

func dialWith(t *testing.T, url string, h http.Header) *client {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err != nil {
		st := 0
		if resp != nil {
			st = resp.StatusCode
		}
		t.Fatalf("dial: %v (status %d)", err, st)
	}
	c := &client{t: t, ws: ws}
	t.Cleanup(func() { _ = ws.Close() })
	return c
}

// dialStatus dials and returns the HTTP status of the answer (101 on success).
func dialStatus(t *testing.T, url string, h http.Header) int {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err == nil {
		_ = ws.Close()
		return http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("dial: %v (no response)", err)
	}
	return resp.StatusCode
}

// next reads the next frame, whatever it is.
func (c *client) next() Frame {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(waitLimit))
	mt, b, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if mt != websocket.TextMessage {
		c.t.Fatalf("message type %d, want text", mt)
	}
	var f Frame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Fatalf("frame %s: %v", b, err)
	}
	return f
}

// expect reads the next frame that is not a user.status (unless typ is
// user.status) and checks its type.
func (c *client) expect(typ string) Frame {
	c.t.Helper()
	for {
		f := c.next()
		if f.Type == TypeUserStatus && typ != TypeUserStatus {
			continue
		}
		if f.Type != typ {
			c.t.Fatalf("got %s frame %s, want %s", f.Type, f.Payload, typ)
		}
		return f
	}
}

func (c *client) send(typ string, payload any) {
	c.t.Helper()
	b, err := json.Marshal(map[string]any{"type": typ, "payload": payload})
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(b)
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// barrier sends a ping and returns the frames (user.status included) that
// arrive before the pong: everything the server queued for this connection
// before it handled the ping.
func (c *client) barrier() []Frame {
	c.t.Helper()
	c.send(TypePing, map[string]any{})
	var out []Frame
	for {
		f := c.next()
		if f.Type == TypePong {
			return out
		}
		out = append(out, f)
	}
}

// quiet checks that nothing but user.status frames arrive before a ping's pong.
func (c *client) quiet() {
	c.t.Helper()
	for _, f := range c.barrier() {
		if f.Type != TypeUserStatus {
			c.t.Fatalf("unexpected %s frame %s", f.Type, f.Payload)
		}
	}
}

// closeCode reads until the connection ends and returns the close code
// (1006 when it ended without a close frame) and reason.
func (c *client) closeCode() (int, string) {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(waitLimit))
	for {
		_, _, err := c.ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Text
		}
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatalf("connection still open after %v", waitLimit)
		}
		return websocket.CloseAbnormalClosure, ""
	}
}

func payloadOf[T any](t *testing.T, f Frame) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(f.Payload, &v); err != nil {
		t.Fatalf("%s payload %s: %v", f.Type, f.Payload, err)
	}
	return v
}

// fields decodes a payload into a map, to check the exact JSON field names.
func fields(t *testing.T, f Frame) map[string]any {
	t.Helper()
	return payloadOf[map[string]any](t, f)
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// waitFor polls cond until it holds (a state change on another goroutine).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
