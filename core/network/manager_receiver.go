package network

// Receiver takes a manager's events on its loop goroutine: the owner of a
// protocol session that must see every frame in turn, with the state
// changes between them, and needs no goroutine of its own for it.
//
// The manager calls each method on its loop goroutine, one call at a time,
// in the order the events happen; the Handshake runs on that goroutine
// too, so a Receiver and a Handshake share their state without a lock.
// While a call runs the loop reads no frame, sends no heartbeat and makes
// no decision: a Receiver may hold back the connection (back-pressure to
// the socket) but must not wait for anything the loop does.
type Receiver interface {
	// Frame takes one inbound frame, the handshake's frames included.
	Frame(Frame)
	// State takes every state change the loop makes: StateConnecting when
	// a loop starts, StateConnected, StateReconnecting and StateFailed.
	// StateClosed, which Close makes once the loop has stopped, is not
	// passed on.
	State(StateChange)
}

// Post runs f on the loop goroutine the next time the loop waits (for a
// frame, a dial, a heartbeat or the reconnect delay), after the event it
// is handling, and reports true; or reports false, f never to run, when
// no loop runs (before Connect, after StateFailed, after Close) or the
// loop it found ends before taking f. It waits until the loop takes f or
// ends: as long as the loop's current call takes (a Receiver held up by a
// stalled subscriber holds it up too). f must not wait for the loop. With
// a Receiver, f runs like its calls, never beside one or beside the
// Handshake; without one the Handshake runs apart and may run beside f.
func (m *ConnectionManager) Post(f func()) bool {
	m.mu.Lock()
	stopped := m.loopDone
	m.mu.Unlock()
	if stopped == nil {
		return false
	}
	select {
	case m.posts <- f:
		return true
	case <-stopped:
		return false
	}
}

// notify passes a state change the loop made to the Receiver.
func (m *ConnectionManager) notify(sc StateChange) {
	if r := m.opts.Receiver; r != nil {
		r.State(sc)
	}
}

// receive delivers one inbound frame: to the Receiver if there is one,
// else on Frames. Loop goroutine only.
func (m *ConnectionManager) receive(f Frame) {
	if r := m.opts.Receiver; r != nil {
		r.Frame(f)
		return
	}
	m.frames.Publish(f)
}
