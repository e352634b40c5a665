package domain

import "time"

// ConnectionStatus is where the connection is.
type ConnectionStatus int

const (
	Disconnected ConnectionStatus = iota
	Connecting
	Connected
	Reconnecting
	// Failed: the SDK stopped retrying; Err says why (a dialog, not a toast).
	Failed
	// Closed: Close was called.
	Closed
)

func (s ConnectionStatus) String() string {
	switch s {
	case Disconnected:
		return "disconnected"
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Reconnecting:
		return "reconnecting"
	case Failed:
		return "failed"
	case Closed:
		return "closed"
	}
	return "unknown"
}

// SyncStatus is how far the catch-up after a (re)connect has got.
type SyncStatus int

const (
	// SyncNone: no catch-up has been asked for on this connection.
	SyncNone SyncStatus = iota
	// Syncing: the server is replaying what was missed.
	Syncing
	// SyncComplete: everything missed has been replayed.
	SyncComplete
	// SyncIncomplete: the server's history no longer reached back far
	// enough; the app should refetch history over its HTTP API.
	SyncIncomplete
)

func (s SyncStatus) String() string {
	switch s {
	case SyncNone:
		return "none"
	case Syncing:
		return "syncing"
	case SyncComplete:
		return "complete"
	case SyncIncomplete:
		return "incomplete"
	}
	return "unknown"
}

// ConnectionState is a snapshot of the connection.
type ConnectionState struct {
	Status ConnectionStatus
	// Attempt counts the attempts of the current reconnect cycle (0 when connected).
	Attempt int
	// NextRetryAt is when the next attempt starts (Reconnecting only).
	NextRetryAt time.Time
	// Err is why the connection dropped or failed, if it did.
	Err error
	// Sync is the catch-up status of the current connection.
	Sync SyncStatus
	// UserID and SessionID are what the server said at session start.
	UserID    string
	SessionID string
	At        time.Time
}
