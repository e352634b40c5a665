package pusher_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/pusher"
)

// slowSource is a token source that counts its calls and answers only when
// the test lets it.
type slowSource struct {
	asked   atomic.Int32
	entered chan struct{} // one value per call
	answer  chan func() (string, error)
}

func newSlowSource() *slowSource {
	return &slowSource{entered: make(chan struct{}, 16), answer: make(chan func() (string, error), 16)}
}

func (s *slowSource) source(ctx context.Context) (string, error) {
	s.asked.Add(1)
	s.entered <- struct{}{}
	select {
	case a := <-s.answer:
		return a()
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// getAll calls Get(ctx, refused) from n goroutines once the source is
// entered by the first of them, and returns their results.
func getAll(t *testing.T, ts *pusher.Tokens, src *slowSource, n int, refused string, answer func() (string, error)) (tokens []string, errs []error) {
	t.Helper()
	type result struct {
		tok string
		err error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			tok, err := ts.Get(testCtx(t), refused)
			results <- result{tok, err}
		}()
	}
	recv(t, src.entered, "the refresh")
	time.Sleep(50 * time.Millisecond) // the others reach Get meanwhile
	src.answer <- answer
	for range n {
		r := recv(t, results, "a token")
		tokens, errs = append(tokens, r.tok), append(errs, r.err)
	}
	return tokens, errs
}

func TestTokenRefreshIsSharedByConcurrentRefusals(t *testing.T) {
	src := newSlowSource()
	ts := pusher.NewTokens("old", src.source)
	tokens, errs := getAll(t, ts, src, 8, "old", func() (string, error) { return "fresh", nil })
	for i := range tokens {
		if tokens[i] != "fresh" || errs[i] != nil {
			t.Fatalf("Get = %q, %v; want the one fresh token", tokens[i], errs[i])
		}
	}
	if n := src.asked.Load(); n != 1 {
		t.Fatalf("source asked %d times, want once", n)
	}
	if tok, _ := ts.Get(testCtx(t), ""); tok != "fresh" {
		t.Fatalf("first try token = %q", tok)
	}
	if tok, _ := ts.Get(testCtx(t), "unrelated"); tok != "fresh" || src.asked.Load() != 1 {
		t.Fatalf("a refused token that is not current refreshed: %q", tok)
	}
}

// A failed refresh is every waiter's answer, asked once; the token stays.
func TestTokenRefreshErrorIsShared(t *testing.T) {
	src := newSlowSource()
	ts := pusher.NewTokens("old", src.source)
	boom := errors.New("token endpoint down")
	tokens, errs := getAll(t, ts, src, 4, "old", func() (string, error) { return "", boom })
	for i := range errs {
		if !errors.Is(errs[i], boom) || tokens[i] != "" {
			t.Fatalf("Get = %q, %v; want the refresh's error", tokens[i], errs[i])
		}
	}
	if n := src.asked.Load(); n != 1 {
		t.Fatalf("source asked %d times, want once", n)
	}
	if cur := ts.Current(); cur != "old" {
		t.Fatalf("current token %q after a failed refresh", cur)
	}
}

// A waiter stops waiting when its own ctx ends; a token Set during the
// refresh is newer than the refusal and is kept.
func TestTokenWaiterHonoursItsContextAndSetWins(t *testing.T) {
	src := newSlowSource()
	ts := pusher.NewTokens("old", src.source)
	first := make(chan string, 1)
	go func() {
		tok, _ := ts.Get(testCtx(t), "old")
		first <- tok
	}()
	recv(t, src.entered, "the refresh")
	ctx, cancel := context.WithCancel(testCtx(t))
	waited := make(chan error, 1)
	go func() {
		_, err := ts.Get(ctx, "old")
		waited <- err
	}()
	cancel()
	if err := recv(t, waited, "the cancelled waiter"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter got %v", err)
	}
	ts.Set("from a new session")
	src.answer <- func() (string, error) { return "fresh", nil }
	if tok := recv(t, first, "the refresher"); tok != "from a new session" {
		t.Fatalf("refresher got %q, want the token Set meanwhile", tok)
	}
	if cur := ts.Current(); cur != "from a new session" {
		t.Fatalf("current token %q", cur)
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
