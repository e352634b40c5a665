package domain

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the SDK returns or reports matches at most a
// few of these with errors.Is.
var (
	ErrNotConnected  = errors.New("chatwire: not connected")
	ErrClosed        = errors.New("chatwire: closed")
	ErrUnauthorized  = errors.New("chatwire: unauthorized")
	ErrFrameTooLarge = errors.New("chatwire: frame too large")
	ErrSlowConsumer  = errors.New("chatwire: subscriber too slow, stream closed")
	ErrOutboxFull    = errors.New("chatwire: outbox full")
	ErrSendExpired   = errors.New("chatwire: send expired before it could be written")
	ErrMalformed     = errors.New("chatwire: malformed frame")
	// ErrInvalidDraft: a MessageDraft or CallSignal failed its Validate.
	ErrInvalidDraft = errors.New("chatwire: invalid draft")
	ErrUnsupported  = errors.New("chatwire: not supported by this backend")
)

// ErrorClass says which part of the session an asynchronous error concerns.
type ErrorClass int

const (
	// ClassConnection: the connection dropped, an attempt failed, or the SDK gave up.
	ClassConnection ErrorClass = iota + 1
	// ClassSubscription: a channel subscription or its authorization failed.
	ClassSubscription
	// ClassDecode: an inbound frame could not be decoded; the session goes on.
	ClassDecode
	// ClassSend: a send failed (the server answered with an error, or it expired).
	ClassSend
	// ClassStorage: the durable store failed (disk full, read-only); the
	// session goes on in memory.
	ClassStorage
)

func (c ErrorClass) String() string {
	switch c {
	case ClassConnection:
		return "connection"
	case ClassSubscription:
		return "subscription"
	case ClassDecode:
		return "decode"
	case ClassSend:
		return "send"
	case ClassStorage:
		return "storage"
	}
	return "unknown"
}

// Error is an asynchronous failure as reported on the Errors stream.
type Error struct {
	Class ErrorClass
	// Fatal is true when the SDK has stopped and the user must act (for
	// example, sign in again): show a dialog. Otherwise a toast will do.
	Fatal bool
	Err   error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.Class, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// ServerError is an error frame from the server. Ref is the client id or
// request it answers, when there is one.
type ServerError struct {
	Code    string
	Message string
	Ref     string
}

// Server error codes of the chat envelope protocol.
const (
	CodeBadFrame       = "bad_frame"
	CodeUnknownType    = "unknown_type"
	CodeInvalidPayload = "invalid_payload"
	CodeNotFound       = "not_found"
	CodeForbidden      = "forbidden"
	CodeConflict       = "conflict"
	CodeInvalidState   = "invalid_state"
)

func (e *ServerError) Error() string {
	if e.Message == "" {
		return "chatwire: server error " + e.Code
	}
	return fmt.Sprintf("chatwire: server error %s: %s", e.Code, e.Message)
}

// DecodeError is an inbound frame that could not be decoded.
type DecodeError struct {
	Type string // the frame's type, if it could be read
	Err  error
}

func (e *DecodeError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("chatwire: malformed frame: %v", e.Err)
	}
	return fmt.Sprintf("chatwire: malformed %s frame: %v", e.Type, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Is matches ErrMalformed.
func (e *DecodeError) Is(target error) bool { return target == ErrMalformed }
