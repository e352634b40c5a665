package pusher

import (
	"context"
	"sync"
)

// Tokens holds a session's bearer token for the auth endpoint (and for an
// HTTP API beside it): the current token, replaced by a fresh one from
// refresh when a server refuses it. Concurrent refusals of the same token
// ask refresh once. It is safe for concurrent use.
//
// refresh has the shape of domain.TokenSource, the SDK's one token type;
// pass one as it is.
type Tokens struct {
	refresh   func(context.Context) (string, error)
	refreshMu sync.Mutex // serializes refreshes
	mu        sync.Mutex
	token     string
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
// current token, refresh is asked for a fresh one; if another caller has
// refreshed it meanwhile, that fresh token is returned. An empty current
// token is refreshed too.
func (t *Tokens) Get(ctx context.Context, refused string) (string, error) {
	cur := t.Current()
	if t.refresh == nil || (cur != "" && refused != cur) {
		return cur, nil
	}
	t.refreshMu.Lock()
	defer t.refreshMu.Unlock()
	if cur = t.Current(); cur != "" && cur != refused {
		return cur, nil // refreshed meanwhile
	}
	fresh, err := t.refresh(ctx)
	if err != nil {
		return "", err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token == cur { // not Set meanwhile
		t.token = fresh
	}
	return t.token, nil
}
