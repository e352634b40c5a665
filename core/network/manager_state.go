package network

import (
	"time"
)

// State is where a ConnectionManager is in its life.
type State int

const (
	// StateDisconnected: not started yet.
	StateDisconnected State = iota
	// StateConnecting: the first attempt is under way.
	StateConnecting
	// StateConnected: the socket is open and the handshake done.
	StateConnected
	// StateReconnecting: the connection dropped or an attempt failed; the
	// next attempt follows after StateChange.Delay (zero for an immediate
	// retry). The state stays reconnecting while that attempt runs.
	StateReconnecting
	// StateFailed: the manager stopped retrying (StateChange.Err says why).
	// Connect starts it again.
	StateFailed
	// StateClosed: Close was called. Terminal.
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateDisconnected:
		return "disconnected"
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	case StateReconnecting:
		return "reconnecting"
	case StateFailed:
		return "failed"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// StateChange is one transition of a ConnectionManager.
type StateChange struct {
	State State
	// Attempt counts the attempts of the current (re)connect cycle, from 1;
	// it is 0 once connected. For StateConnecting it is the attempt under
	// way, for StateReconnecting the attempt that follows after Delay.
	Attempt int
	// Delay is the wait before the next attempt (StateReconnecting only).
	Delay time.Duration
	// Err is the cause: why the connection dropped or the manager failed.
	Err error
	// At is when the transition happened, by the manager's clock.
	At time.Time
	// Conn is the number of the latest socket the manager opened (see
	// Frame.Conn), 0 before the first: for StateConnected the new
	// connection, for StateReconnecting after a drop the one that dropped.
	Conn uint64
	// Seq numbers the manager's state changes from 1, so a reader can tell
	// whether it has seen a given change.
	Seq uint64
}
