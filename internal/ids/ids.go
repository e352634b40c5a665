// Package ids makes the random ids chatwire generates: the client id of a
// message and the id of a call.
package ids

import "github.com/google/uuid"

// New returns a random (version 4) UUID in its 36-character text form.
// Safe for concurrent use.
func New() string { return uuid.NewString() }
