package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/laravel"
	"github.com/chatwire/chatwire/domain"
)

// backend builds the data source connect talks through. It is connect's
// extension point for other protocols: envelopeBackend (--url) and
// pusherBackend (--pusher-key) are chosen by chooseBackend; the client
// loop, the notifiers and the transcript only see a
// domain.ChatWebSocketDataSource and do not change.
type backend func(o connectOptions) (domain.ChatWebSocketDataSource, error)

// pusherOptions are connect's flags for a Pusher Channels backend (Laravel
// Reverb, Soketi or Pusher, with a Laravel app behind it).
type pusherOptions struct {
	// Key is the app key. Non-empty selects pusherBackend.
	Key string
	// Host is the WebSocket server's "host:port" (or a host name alone,
	// such as Pusher's "ws-eu.pusher.com" with TLS). Required with Key.
	Host string
	// TLS dials wss instead of ws. Without it a server that asks for TLS
	// (close code 4000) is redialled with wss.
	TLS bool
	// AuthEndpoint is Laravel's POST /broadcasting/auth URL. Required with Key.
	AuthEndpoint string
	// API is the Laravel app's base URL for sending messages and marking
	// read. Empty means sending fails with errNoAPI (typing still works).
	API string
	// UserID names the user's channels and signs whispers. Required with Key.
	UserID string
}

// pusherOnlyFlags are the flags that only make sense with --pusher-key.
var pusherOnlyFlags = []string{"host", "tls", "auth-endpoint", "api", "user"}

// errNoAPI is why a message cannot be sent over a Pusher backend without
// --api: Pusher clients cannot publish server events, the app's HTTP API
// stores and broadcasts them. It matches domain.ErrUnsupported too.
var errNoAPI = fmt.Errorf("%w: sending messages needs --api (the app's base URL): "+
	"Pusher clients cannot publish server events; /typing still works", domain.ErrUnsupported)

// chooseBackend checks the flags that select a backend (set holds the
// names of the flags given) and sets o.Backend. Its errors are usage errors.
func chooseBackend(o *connectOptions, set map[string]bool) error {
	if o.Pusher.Key == "" {
		for _, name := range pusherOnlyFlags {
			if set[name] {
				return fmt.Errorf("--%s needs --pusher-key", name)
			}
		}
		if set["pusher-key"] {
			return errors.New("--pusher-key must not be empty")
		}
		_, err := baseURL(o.URL)
		return err
	}
	p := o.Pusher
	switch {
	case set["url"]:
		return errors.New("--url and --pusher-key are two backends: give one of them")
	case set["since"]:
		return errors.New("--since is not supported with --pusher-key (Pusher replays nothing)")
	case set["store"]:
		return errors.New("--store is not supported with --pusher-key (only the envelope backend keeps a store)")
	case p.Host == "":
		return errors.New("--host is required with --pusher-key")
	case p.AuthEndpoint == "":
		return errors.New("--auth-endpoint is required with --pusher-key")
	case p.UserID == "":
		return errors.New("--user is required with --pusher-key")
	}
	if err := checkHost(p.Host); err != nil {
		return err
	}
	if err := checkHTTPURL("--auth-endpoint", p.AuthEndpoint); err != nil {
		return err
	}
	if p.API != "" {
		if err := checkHTTPURL("--api", p.API); err != nil {
			return err
		}
	}
	if _, err := pusher.ChannelKind(channelName(laravel.DefaultUserChannel, p.UserID)); err != nil {
		return fmt.Errorf("--user %q cannot name a channel: %w", p.UserID, err)
	}
	if _, err := pusher.ChannelKind(channelName(laravel.DefaultConversationChannel, o.Conversation)); err != nil {
		return fmt.Errorf("--conversation %q cannot name a channel: %w", o.Conversation, err)
	}
	o.Backend = pusherBackend
	return nil
}

// flagsSet returns the names of the flags given on the command line.
func flagsSet(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

func channelName(pattern, id string) string { return strings.ReplaceAll(pattern, "{id}", id) }

// checkHost accepts "host" or "host:port", without a scheme or a path.
func checkHost(host string) error {
	u, err := url.Parse("ws://" + host)
	if err != nil || u.Host != host || u.Hostname() == "" || u.User != nil {
		return fmt.Errorf("%w: --host %q: want host:port, without a scheme or path (add --tls for wss)", errBadURL, host)
	}
	return nil
}

// checkHTTPURL accepts an http:// or https:// URL with a host.
func checkHTTPURL(flagName, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %s %q: want an http:// or https:// URL", errBadURL, flagName, raw)
	}
	return nil
}

// pusherBackend is a Pusher Channels server with a Laravel app behind it
// (data/laravel): it joins o.Conversation's private channel, the user's
// own channel and the presence channel, authorized at --auth-endpoint with
// the token; messages go through --api when given.
func pusherBackend(o connectOptions) (domain.ChatWebSocketDataSource, error) {
	p := o.Pusher
	opts := laravel.Options{
		Host:          p.Host,
		Key:           p.Key,
		TLS:           p.TLS,
		Connection:    laravel.ConnectionOptions{ReconnectDelay: o.ReconnectDelay},
		AuthEndpoint:  p.AuthEndpoint,
		UserID:        p.UserID,
		Conversations: []string{o.Conversation},
		Logger:        o.Logger,
	}
	if p.API != "" {
		opts.API = laravel.HTTPBackendOptions{BaseURL: p.API}
	} else {
		opts.Sender = laravel.MessageSenderFunc(func(context.Context, domain.MessageDraft) (domain.Message, error) {
			return domain.Message{}, errNoAPI
		})
		opts.ReadWhisper = true // no API to record reads: tell the others directly
	}
	src, err := laravel.New(opts)
	if err != nil {
		return nil, err
	}
	return src, nil
}

// target describes where connect connects, for the transcript (never
// with the token).
func (o connectOptions) target() string {
	if o.Pusher.Key == "" {
		return o.URL
	}
	scheme := "ws"
	if o.Pusher.TLS {
		scheme = "wss"
	}
	return fmt.Sprintf("pusher app %s at %s://%s as user %s", o.Pusher.Key, scheme, o.Pusher.Host, o.Pusher.UserID)
}

// envelopeBackend is the chat envelope protocol (data.New) at o.URL.
func envelopeBackend(o connectOptions) (domain.ChatWebSocketDataSource, error) {
	base, err := baseURL(o.URL)
	if err != nil {
		return nil, err
	}
	opts := data.Options{
		BaseURL:     base,
		TokenSource: o.tokenSource(),
		Connection:  data.ConnectionOptions{ReconnectDelay: o.ReconnectDelay},
		Resume:      domain.Position{Seq: o.ResumeFromSeq},
		Logger:      o.Logger,
	}
	if o.StorePath != "" {
		return newStoredSource(opts, o.StorePath)
	}
	return data.New(opts)
}

// baseURL checks a ws:// or wss:// URL and returns it without a trailing
// "/chat" (the data source appends it).
func baseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// Not err itself: a *url.Error quotes the whole URL, credentials included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("%w: %v", errBadURL, err)
	}
	if u.User != nil {
		// Gorilla refuses such a URL on every dial, so connect would retry
		// forever, and the transcript would print the password.
		return "", fmt.Errorf("%w: no user or password in the url (pass the token with --token)", errBadURL)
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
func (o connectOptions) tokenSource() domain.TokenSource {
	tok := o.Token
	return func(context.Context) (string, error) { return tok, nil }
}
