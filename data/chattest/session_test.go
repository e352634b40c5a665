package chattest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestSessionReady(t *testing.T) {
	srv, _ := newTestServer(t, Options{HeartbeatInterval: 15 * time.Second, MaxFrameBytes: 4096})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))

	a1 := connect(t, srv, "alice")
	f := fields(t, Frame{Payload: mustJSON(a1.ready)})
	for _, k := range []string{"user_id", "session_id", "heartbeat_interval_ms", "max_frame_bytes", "last_seq", "epoch"} {
		if _, ok := f[k]; !ok {
			t.Errorf("session.ready lacks %s", k)
		}
	}
	want := sessionReadyPayload{UserID: "alice", SessionID: a1.ready.SessionID, HeartbeatIntervalMS: 15000, MaxFrameBytes: 4096, LastSeq: 1, Epoch: srv.Epoch()}
	if a1.ready != want || want.Epoch == "" {
		t.Errorf("session.ready = %+v, want %+v", a1.ready, want)
	}
	if a1.ready.SessionID == "" {
		t.Error("empty session_id")
	}
	a2 := connect(t, srv, "alice")
	if a2.ready.SessionID == a1.ready.SessionID {
		t.Error("two connections share a session_id")
	}
	if a2.ready.LastSeq != srv.LastSeq("alice") {
		t.Errorf("last_seq %d, server says %d", a2.ready.LastSeq, srv.LastSeq("alice"))
	}
}

// The first frame is session.ready even when the raw bytes are checked.
func TestSessionReadyIsFirstFrameOnTheWire(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	c := dialWith(t, srv.URL+"/chat?token="+srv.IssueToken("alice"), nil)
	_, b, err := c.ws.ReadMessage()
	mustNil(t, err)
	if !strings.HasPrefix(string(b), `{"type":"session.ready","payload":{"user_id":"alice","session_id":"`) {
		t.Fatalf("first frame %s", b)
	}
}

func TestAuth(t *testing.T) {
	srv, _ := newTestServer(t, Options{
		AllowedOrigins: []string{"https://app.example"},
		Authenticate: func(tok string) (string, bool) {
			id, ok := strings.CutPrefix(tok, "dev-")
			return id, ok
		},
	})
	good := srv.IssueToken("alice")
	old := srv.IssueToken("bob")
	srv.ExpireTokens("bob")
	base := srv.URL + "/chat"
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

	tests := []struct {
		name   string
		url    string
		header http.Header
		want   int
	}{
		{"no token", base, nil, 401},
		{"unknown token", base + "?token=nope", nil, 401},
		{"query token", base + "?token=" + good, nil, 101},
		{"bearer header", base, bearer(good), 101},
		{"bearer scheme is case-insensitive", base, http.Header{"Authorization": {"bearer " + good}}, 101},
		{"header wins over query: bad header, good query", base + "?token=" + good, bearer("nope"), 401},
		{"header wins over query: good header, bad query", base + "?token=nope", bearer(good), 101},
		{"malformed header wins too", base + "?token=" + good, http.Header{"Authorization": {"Basic " + good}}, 401},
		{"expired token", base, bearer(old), 401},
		{"Options.Authenticate", base, bearer("dev-carol"), 101},
		{"Options.Authenticate refuses", base, bearer("xyz"), 401},
		{"allowed origin", base, http.Header{"Authorization": {"Bearer " + good}, "Origin": {"https://app.example"}}, 101},
		{"other origin", base, http.Header{"Authorization": {"Bearer " + good}, "Origin": {"https://evil.example"}}, 403},
		{"wrong path", srv.URL + "/other?token=" + good, nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dialStatus(t, tt.url, tt.header); got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}

	// A 401 happens before the upgrade: it is a plain HTTP answer.
	resp, err := http.Get(strings.Replace(base, "ws://", "http://", 1) + "?token=nope")
	mustNil(t, err)
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("plain GET: status %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}

	// Expiring every token refuses alice too; her open connection stays.
	c := connect(t, srv, "alice")
	srv.ExpireTokens()
	if got := dialStatus(t, base, bearer(good)); got != 401 {
		t.Errorf("after ExpireTokens(): status %d, want 401", got)
	}
	c.quiet()
}

func TestDevAuthenticate(t *testing.T) {
	tests := []struct {
		tok string
		ok  bool
	}{
		{"alice", true},
		{"", false},
		{"has space", false},
		{"tab\t", false},
		{strings.Repeat("x", 129), false},
	}
	for _, tt := range tests {
		id, ok := DevAuthenticate(tt.tok)
		if ok != tt.ok || (ok && id != tt.tok) {
			t.Errorf("DevAuthenticate(%q) = %q, %v", tt.tok, id, ok)
		}
	}
}

// Handler can be mounted on a server of the consumer's own.
func TestHandlerMounted(t *testing.T) {
	srv := NewUnstartedServer(Options{})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer srv.Close()
	c := dialWith(t, "ws"+strings.TrimPrefix(hs.URL, "http")+"/anything?token="+srv.IssueToken("alice"), nil)
	if f := c.next(); f.Type != TypeSessionReady {
		t.Fatalf("first frame %s", f.Type)
	}
	c.quiet()
	_ = c.ws.Close()
}

func TestCloseIsIdempotentAndSaysGoingAway(t *testing.T) {
	srv := NewServer(Options{})
	c := connect(t, srv, "alice")
	done := make(chan struct{})
	go func() {
		srv.Close()
		close(done)
	}()
	if code, _ := c.closeCode(); code != CloseGoingAway {
		t.Errorf("close code %d, want 1001", code)
	}
	<-done
	srv.Close()
	if err := srv.Start(); err != ErrClosed {
		t.Errorf("Start after Close: %v", err)
	}
	if srv.Connections("alice") != 0 {
		t.Error("connection left after Close")
	}
}

// WebSocket-level pings get pongs; a client's close frame is answered with
// the same code and the user goes offline.
func TestControlFrames(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	if m, err := srv.Members("c1"); err != nil || len(m) != 2 || m[0] != "alice" {
		t.Fatalf("Members = %v, %v", m, err)
	}
	if _, err := srv.Members("nope"); !errorsIs(err, ErrNotFound) {
		t.Errorf("Members of a missing conversation: %v", err)
	}
	alice := connect(t, srv, "alice")
	pong := make(chan string, 1)
	alice.ws.SetPongHandler(func(data string) error { pong <- data; return nil })
	mustNil(t, alice.ws.WriteControl(websocket.PingMessage, []byte("hb-1"), time.Now().Add(waitLimit)))
	alice.quiet() // reading is what runs the pong handler
	if got := <-pong; got != "hb-1" {
		t.Errorf("pong %q", got)
	}

	bob := connect(t, srv, "bob")
	alice.expect(TypeUserStatus)
	mustNil(t, bob.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")))
	if code, _ := bob.closeCode(); code != websocket.CloseNormalClosure {
		t.Errorf("close answered with %d", code)
	}
	if s := payloadOf[userStatusPayload](t, alice.expect(TypeUserStatus)); s.Status != "offline" {
		t.Errorf("after bob's close: %+v", s)
	}
}
