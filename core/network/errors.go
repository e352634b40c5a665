package network

import (
	"errors"
	"fmt"
)

// Errors returned by WebSocketClient and ConnectionManager. Test them with
// errors.Is: the typed errors below match them where they mean the same.
var (
	// ErrClosed: the connection or manager has been closed.
	ErrClosed = errors.New("network: closed")
	// ErrNotConnected: a volatile frame was sent while the manager was not
	// connected, or a WebSocketClient was used before Connect.
	ErrNotConnected = errors.New("network: not connected")
	// ErrFrameTooLarge: an inbound frame was over the read limit (the
	// connection is closed with 1009), or the peer closed with 1009/4009.
	ErrFrameTooLarge = errors.New("network: frame too large")
	// ErrUnauthorized: the server refused the token (HTTP 401 or close 4001).
	ErrUnauthorized = errors.New("network: unauthorized")
	// ErrOutboxFull: the outbox is full; the frame was not queued.
	ErrOutboxFull = errors.New("network: outbox full")
	// ErrExpired: the frame waited in the outbox longer than its TTL and was
	// removed unsent.
	ErrExpired = errors.New("network: frame expired in outbox")
)

// WebSocket close codes chatwire gives a meaning to.
const (
	CloseNormal        = 1000
	CloseGoingAway     = 1001
	CloseNoStatus      = 1005 // no code in the close frame
	CloseAbnormal      = 1006 // the connection dropped without a close frame
	CloseMessageTooBig = 1009
	CloseUnauthorized  = 4001
	ClosePolicy        = 4008 // policy violation or rate limit: back off
	CloseFrameTooLarge = 4009
)

// CloseError is why a connection ended: the close code and reason sent by
// the peer, or by us (Local).
type CloseError struct {
	Code   int
	Reason string
	// Local is true when this side closed the connection.
	Local bool
	// Err is the underlying cause, if any (a read error, ErrFrameTooLarge).
	Err error
}

func (e *CloseError) Error() string {
	side := "peer"
	if e.Local {
		side = "local"
	}
	msg := fmt.Sprintf("network: connection closed by %s: code %d", side, e.Code)
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *CloseError) Unwrap() error { return e.Err }

// Is matches ErrFrameTooLarge for codes 1009 and 4009 and ErrUnauthorized for 4001.
func (e *CloseError) Is(target error) bool {
	switch target {
	case ErrFrameTooLarge:
		return e.Code == CloseMessageTooBig || e.Code == CloseFrameTooLarge
	case ErrUnauthorized:
		return e.Code == CloseUnauthorized
	}
	return false
}

// DialError is a failed dial or WebSocket handshake. StatusCode is the HTTP
// status of a refused upgrade, or 0 when no response arrived.
type DialError struct {
	StatusCode int
	Err        error
}

func (e *DialError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("network: dial: upgrade refused with HTTP %d: %v", e.StatusCode, e.Err)
	}
	return fmt.Sprintf("network: dial: %v", e.Err)
}

func (e *DialError) Unwrap() error { return e.Err }

// Is matches ErrUnauthorized for HTTP 401.
func (e *DialError) Is(target error) bool {
	return target == ErrUnauthorized && e.StatusCode == 401
}
