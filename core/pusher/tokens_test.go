package pusher_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/chatwire/chatwire/core/pusher"
)

func TestTokenRefreshIsSharedByConcurrentRefusals(t *testing.T) {
	var asked atomic.Int32
	ts := pusher.NewTokens("old", func(context.Context) (string, error) {
		asked.Add(1)
		return "fresh", nil
	})
	ctx := testCtx(t)
	done := make(chan string)
	for range 8 {
		go func() {
			tok, _ := ts.Get(ctx, "old")
			done <- tok
		}()
	}
	for range 8 {
		if tok := <-done; tok != "fresh" {
			t.Fatalf("token = %q", tok)
		}
	}
	if n := asked.Load(); n != 1 {
		t.Fatalf("source asked %d times", n)
	}
	if tok, _ := ts.Get(ctx, ""); tok != "fresh" {
		t.Fatalf("first try token = %q", tok)
	}
	if tok, _ := ts.Get(ctx, "unrelated"); tok != "fresh" || asked.Load() != 1 {
		t.Fatalf("a refused token that is not current refreshed: %q", tok)
	}
}

func TestTokensAskForTheFirstTokenAndKeepASetOne(t *testing.T) {
	var asked atomic.Int32
	ts := pusher.NewTokens("", func(context.Context) (string, error) {
		asked.Add(1)
		return "first", nil
	})
	ctx := testCtx(t)
	if tok, err := ts.Get(ctx, ""); tok != "first" || err != nil || asked.Load() != 1 {
		t.Fatalf("Get = %q, %v after %d asks; want the source's first token", tok, err, asked.Load())
	}
	ts.Set("given")
	if tok, _ := ts.Get(ctx, ""); tok != "given" || asked.Load() != 1 {
		t.Fatalf("Get = %q after Set, source asked %d times", tok, asked.Load())
	}
	static := pusher.NewTokens("static", nil)
	if tok, _ := static.Get(ctx, "static"); tok != "static" {
		t.Fatalf("a token without a source = %q", tok)
	}
}
