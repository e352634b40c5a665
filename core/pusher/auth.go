package pusher

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Auth is an authorization for one channel and socket, as a backend's auth
// endpoint returns it.
type Auth struct {
	// Auth is "key:signature". It is a secret: never logged.
	Auth string `json:"auth"`
	// ChannelData is the presence member JSON ({"user_id":...,"user_info":...})
	// the signature covers; empty for private channels.
	ChannelData string `json:"channel_data,omitempty"`
	// SharedSecret is a private-encrypted- channel's key, base64 of 32
	// bytes. It is a secret: never logged.
	SharedSecret string `json:"shared_secret,omitempty"`
}

// String hides the signature, so an Auth printed by mistake leaks nothing.
func (a Auth) String() string { return "pusher.Auth{redacted}" }

// GoString hides the signature from %#v too.
func (a Auth) GoString() string { return a.String() }

// Authorizer signs a channel subscription for a socket id, usually by asking
// the application's backend. Implementations must be safe for concurrent
// use and honour ctx; the Client cancels ctx when the connection the socket
// id belongs to ends.
type Authorizer interface {
	Authorize(ctx context.Context, socketID, channel string) (Auth, error)
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx context.Context, socketID, channel string) (Auth, error)

// Authorize calls f.
func (f AuthorizerFunc) Authorize(ctx context.Context, socketID, channel string) (Auth, error) {
	return f(ctx, socketID, channel)
}

// SignChannel computes the auth string a backend returns for a private or
// presence channel: key + ":" + hex(HMAC-SHA256(secret, socketID + ":" +
// channel [+ ":" + channelData])). channelData is empty for private
// channels. Backends and tests use it; clients never hold the secret.
func SignChannel(key, secret, socketID, channel, channelData string) string {
	msg := socketID + ":" + channel
	if channelData != "" {
		msg += ":" + channelData
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(msg))
	return key + ":" + hex.EncodeToString(mac.Sum(nil))
}
