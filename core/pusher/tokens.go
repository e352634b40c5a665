package pusher

import (
	"context"
	"sync"
)

// Tokens holds a session's bearer token for the auth endpoint (and for an
// HTTP API beside it): the current token, replaced by a fresh one from
// refresh when a server refuses it. Concurrent refusals of the same token
// share one refresh and its result. It is safe for concurrent use.
//
// refresh has the shape of domain.TokenSource, the SDK's one token type;
// pass one as it is.
type Tokens struct {
	refresh func(context.Context) (string, error)

	mu       sync.Mutex
	token    string
	inFlight *tokenRefresh // the refresh under way, if any
}

// tokenRefresh is one call of refresh, shared by every caller that needs
// it; token and err are set before done closes.
type tokenRefresh struct {
	done  chan struct{}
	token string
	err   error
}

// NewTokens returns Tokens holding token. refresh is asked for a fresh
// token when a server refuses the current one, and for the first one when
// token is ""; nil means the token is never refreshed.
func NewTokens(token string, refresh func(context.Context) (string, error)) *Tokens {
	return &Tokens{token: token, refresh: refresh}
}

// Set replaces the current token (a new session's).
func (t *Tokens) Set(token string) {
	t.mu.Lock()
	t.token = token
	t.mu.Unlock()
}

// Current returns the current token without asking refresh.
func (t *Tokens) Current() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.token
}

// Get returns the token to send. refused is "" on a first try and the
// token a server refused (401, 403 or 419) on a retry: if that is still the
// current token (or there is none yet), refresh is asked for a fresh one.
// Callers that need a refresh while one is under way wait for it and share
// its token or error; each stops waiting when its own ctx ends.
func (t *Tokens) Get(ctx context.Context, refused string) (string, error) {
	t.mu.Lock()
	cur := t.token
	if t.refresh == nil || (cur != "" && refused != cur) {
		t.mu.Unlock()
		return cur, nil
	}
	r := t.inFlight
	if r == nil {
		r = &tokenRefresh{done: make(chan struct{})}
		t.inFlight = r
		t.mu.Unlock()
		t.run(ctx, r, cur)
	} else {
		t.mu.Unlock()
	}
	select {
	case <-r.done:
		return r.token, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// run asks refresh on behalf of every caller of r. A token Set meanwhile
// is kept: it is newer than the refusal.
func (t *Tokens) run(ctx context.Context, r *tokenRefresh, refused string) {
	fresh, err := t.refresh(ctx)
	t.mu.Lock()
	defer t.mu.Unlock()
	if err == nil && t.token == refused {
		t.token = fresh
	}
	r.token, r.err = t.token, err
	if err != nil {
		r.token = ""
	}
	t.inFlight = nil
	close(r.done)
}
