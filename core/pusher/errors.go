package pusher

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/chatwire/chatwire/core/network"
)

// Errors of this package. Test them with errors.Is; the typed errors below
// match them where they mean the same.
var (
	// ErrClosed: the Client has been closed. It is network.ErrClosed, so
	// either sentinel matches.
	ErrClosed = network.ErrClosed
	// ErrInvalidChannel: the channel name breaks the protocol's rules.
	ErrInvalidChannel = errors.New("pusher: invalid channel name")
	// ErrEncryptedChannel: an authorization for a private-encrypted-
	// channel came without a usable shared secret.
	ErrEncryptedChannel = errors.New("pusher: encrypted channel without a shared secret")
	// ErrNoAuthorizer: a private or presence channel needs Options.Authorizer.
	ErrNoAuthorizer = errors.New("pusher: private and presence channels need an authorizer")
	// ErrInvalidEvent: a client event name must start with "client-".
	ErrInvalidEvent = errors.New(`pusher: client event names must start with "client-"`)
	// ErrClientEventChannel: client events go only on private and presence
	// channels (not on public or encrypted ones).
	ErrClientEventChannel = errors.New("pusher: client events need a private or presence channel")
	// ErrRateLimited: more than the allowed client events per second; the
	// event was not sent and is not queued.
	ErrRateLimited = errors.New("pusher: client event rate limit exceeded")
	// ErrNotSubscribed: the channel is not subscribed (yet, or any more).
	ErrNotSubscribed = errors.New("pusher: channel not subscribed")
	// ErrSubscription: a subscription was refused or could not be
	// authorized. *SubscriptionError matches it.
	ErrSubscription = errors.New("pusher: subscription failed")
	// ErrSubscribeTimeout: the server did not answer a subscribe frame
	// within Options.SubscribeTimeout.
	ErrSubscribeTimeout = errors.New("pusher: subscription unanswered")
	// ErrSocketGone: a frame made for one socket (signed with its socket
	// id, or about a subscription on it) was not sent because that socket
	// has gone; it is never sent on the next one. It matches
	// network.ErrNotConnected.
	ErrSocketGone = fmt.Errorf("pusher: the frame's socket is gone: %w", network.ErrNotConnected)
)

// ChannelNameError is a channel name Subscribe or Trigger refused.
type ChannelNameError struct {
	Name   string
	Reason string
	// Err is ErrInvalidChannel or ErrEncryptedChannel.
	Err error
}

func (e *ChannelNameError) Error() string {
	return fmt.Sprintf("pusher: channel %q: %s", e.Name, e.Reason)
}

func (e *ChannelNameError) Unwrap() error { return e.Err }

// SubscriptionError is a failed subscription: the authorizer failed, the
// server answered pusher:subscription_error on the channel, or a
// connection-level pusher:error that concerned it.
type SubscriptionError struct {
	Channel string
	// Type is the server's error type ("AuthError"), if it sent one.
	Type string
	// Status is the HTTP-like status the server or auth endpoint gave
	// (401, 403, 500...), or 0.
	Status int
	// Message is the server's explanation, if any.
	Message string
	// Err is the underlying cause (an *AuthError, a *ProtocolError), if any.
	Err error
}

func (e *SubscriptionError) Error() string {
	msg := "pusher: subscribe " + e.Channel + ": failed"
	if e.Type != "" {
		msg += ": " + e.Type
	}
	if e.Status != 0 {
		msg += " (status " + strconv.Itoa(e.Status) + ")"
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *SubscriptionError) Unwrap() error { return e.Err }

// Is matches ErrSubscription. A server's refusal never matches
// network.ErrUnauthorized, whatever status it gives (Soketi says 401 for a
// bad signature): the user's session is fine, the channel is not theirs.
// Only the auth endpoint's own 401 or 419, through Err (an *AuthError),
// means the session is gone.
func (e *SubscriptionError) Is(target error) bool { return target == ErrSubscription }

// ProtocolError is a pusher:error frame from the server. Code is 0 when the
// server sent "code": null (some servers report auth failures that way).
// Classify reads its code like a close code.
type ProtocolError struct {
	Code    int
	Message string
}

func (e *ProtocolError) Error() string {
	if e.Code == 0 {
		return "pusher: server error: " + e.Message
	}
	return fmt.Sprintf("pusher: server error %d: %s", e.Code, e.Message)
}

// AuthError is an authorization endpoint's refusal or failure.
type AuthError struct {
	// StatusCode is the HTTP status, or 0 when no response arrived.
	StatusCode int
	// Err is the transport or decoding error, if any.
	Err error
}

func (e *AuthError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("pusher: auth endpoint answered HTTP %d", e.StatusCode)
	}
	return fmt.Sprintf("pusher: auth endpoint: %v", e.Err)
}

func (e *AuthError) Unwrap() error { return e.Err }

// Is matches network.ErrUnauthorized for HTTP 401 and 419 (Laravel's
// "session expired"): the user must sign in again. A 403 refuses this one
// channel and matches nothing more than ErrSubscription does.
func (e *AuthError) Is(target error) bool {
	return target == network.ErrUnauthorized && (e.StatusCode == 401 || e.StatusCode == 419)
}

// signaturePattern matches an HMAC-SHA256 hex digest, optionally with its
// "key:" prefix.
var signaturePattern = regexp.MustCompile(`(?i)([a-z0-9_-]+:)?[0-9a-f]{64}`)

// redact removes auth signatures from a server's message: some servers
// echo the expected or received signature in their errors.
func redact(msg string) string {
	return signaturePattern.ReplaceAllString(msg, "[redacted]")
}
