package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/domain"
)

// backend builds the data source connect talks through. It is connect's
// extension point for other protocols: a Pusher Channels backend (flags such
// as --pusher-key, the data source from data/pusher) is one more backend
// chosen in connectCommand; the client loop, the notifiers and the
// transcript only see a domain.ChatWebSocketDataSource and do not change.
type backend func(o connectOptions) (domain.ChatWebSocketDataSource, error)

// envelopeBackend is the chat envelope protocol (data.New) at o.URL.
func envelopeBackend(o connectOptions) (domain.ChatWebSocketDataSource, error) {
	base, err := baseURL(o.URL)
	if err != nil {
		return nil, err
	}
	return data.New(data.Options{
		BaseURL:       base,
		TokenSource:   o.tokenSource(),
		Connection:    network.ManagerOptions{ReconnectDelay: o.ReconnectDelay},
		ResumeFromSeq: o.ResumeFromSeq,
		Logger:        o.Logger,
	}), nil
}

// baseURL checks a ws:// or wss:// URL and returns it without a trailing
// "/chat" (the data source appends it).
func baseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errBadURL, err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return "", fmt.Errorf("%w: %q: the scheme must be ws or wss", errBadURL, raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("%w: %q has no host", errBadURL, raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: %q: no query or fragment (pass the token with --token)", errBadURL, raw)
	}
	return strings.TrimSuffix(strings.TrimSuffix(raw, "/"), "/chat"), nil
}

// tokenSource hands out the one token connect was given (a terminal
// client has no way to refresh it).
func (o connectOptions) tokenSource() func(context.Context) (string, error) {
	tok := o.Token
	return func(context.Context) (string, error) { return tok, nil }
}
