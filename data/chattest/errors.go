package chattest

import "errors"

// Errors returned by Server methods. Test them with errors.Is.
var (
	// ErrClosed: the server has been closed.
	ErrClosed = errors.New("chattest: server closed")
	// ErrNotFound: no such conversation, member, message or call.
	ErrNotFound = errors.New("chattest: not found")
	// ErrExists: the conversation or member already exists.
	ErrExists = errors.New("chattest: already exists")
	// ErrInvalid: an argument breaks a protocol rule (empty id, no content...).
	ErrInvalid = errors.New("chattest: invalid argument")
)
