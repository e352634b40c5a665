package data_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// The port's Connect with an empty token asks the token source for the
// first token too: an app gives its TokenSource once, to the data source,
// and no attempt is made with an empty token.
func TestConnectWithAnEmptyTokenAsksTheTokenSource(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	var mu sync.Mutex
	var presented []string
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		presented = append(presented, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		mu.Unlock()
		srv.Handler().ServeHTTP(w, r)
	}))
	defer front.Close()
	var asked atomic.Int32
	token := srv.IssueToken("alice")
	src := newSource(t, srv, "alice", func(o *data.Options) {
		o.BaseURL = "ws://" + strings.TrimPrefix(front.URL, "http://")
		o.TokenSource = func(context.Context) (string, error) { asked.Add(1); return token, nil }
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := src.Connect(ctx, ""); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if st := src.ConnectionState(); st.Status != domain.Connected || st.UserID != "alice" {
		t.Fatalf("state %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if asked.Load() != 1 || len(presented) != 1 || presented[0] != token {
		t.Fatalf("Authorization of each attempt %q, token source asked %d times: want one attempt with the source's token",
			presented, asked.Load())
	}
}
