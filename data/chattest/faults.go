package chattest

import (
	"net/http"
	"time"

	"github.com/google/uuid"
)

// DropAll closes every connection's TCP socket without a close frame, as a
// network failure would (clients read 1006), and returns once they are
// cleaned up. The listener stays up: clients may reconnect at once.
func (s *Server) DropAll() {
	s.mu.Lock()
	conns := s.allConnsLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.abort()
	}
	for _, c := range conns {
		<-c.finished
	}
}

// CloseAll sends every connection a close frame with code and reason
// (after the frames already queued) and ends it. It does not wait.
func (s *Server) CloseAll(code int, reason string) {
	s.mu.Lock()
	conns := s.allConnsLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.requestClose(code, reason)
	}
}

// Stall makes the server go silent for d on its clock: TCP connections stay
// open, but nothing is read or written (no pongs, no events, no close
// frames) and new upgrades wait. Events produced meanwhile queue up, and
// are written when the stall ends unless a queue overflows (close 4008). A
// Stall during a stall restarts the period. Close ends a stall at once.
func (s *Server) Stall(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.stallCh == nil {
		s.stallCh = make(chan struct{})
	}
	if s.stallStop != nil {
		s.stallStop()
	}
	ch := s.stallCh
	s.stallStop = s.clk.AfterFunc(d, func() { s.endStall(ch) })
}

// endStall ends the stall ch, unless another one has replaced it.
func (s *Server) endStall(ch chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stallCh == ch {
		close(ch)
		s.stallCh, s.stallStop = nil, nil
	}
}

// Stalled reports whether the server is stalled.
func (s *Server) Stalled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stallCh != nil
}

// Inject writes raw, which need not be valid JSON, as one text frame to
// every connection of userID (of every user when userID is ""), after the
// frames already queued. It returns how many connections it was queued on.
func (s *Server) Inject(userID string, raw []byte) int {
	b := append([]byte(nil), raw...)
	s.mu.Lock()
	defer s.mu.Unlock()
	var conns []*conn
	if userID == "" {
		conns = s.allConnsLocked()
	} else if u := s.users[userID]; u != nil {
		for c := range u.conns {
			conns = append(conns, c)
		}
	}
	n := 0
	for _, c := range conns {
		if c.enqueue(b, false) {
			n++
		}
	}
	return n
}

// RefuseUpgrades makes the next n requests to the endpoint fail with HTTP
// status (zero means 503) before authentication and upgrade. It replaces
// any refusal still pending; n <= 0 cancels it.
func (s *Server) RefuseUpgrades(n, status int) {
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseN, s.refuseSt = max(n, 0), status
}

// takeRefusal consumes one pending refusal and returns its status, or 0.
func (s *Server) takeRefusal() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuseN == 0 {
		return 0
	}
	s.refuseN--
	return s.refuseSt
}

// WipeHistory loses what the server's history store held, as a server
// restarted on an empty or restored store would: every user's seq
// numbering starts over in a new epoch, replay histories, messages, read
// markers and the client_id de-duplication are gone (conversations and
// their members stay), and every connection is dropped, so clients
// reconnect into the new epoch. It returns the new epoch.
func (s *Server) WipeHistory() string {
	s.mu.Lock()
	s.epoch = uuid.NewString()
	epoch := s.epoch
	for _, u := range s.users {
		u.seq, u.history, u.evicted = 0, nil, 0
		clear(u.sent)
	}
	for _, cv := range s.convs {
		cv.messages, cv.byID = nil, make(map[string]int)
		for m := range cv.read {
			cv.read[m] = -1
		}
	}
	s.mu.Unlock()
	s.DropAll()
	return epoch
}

// Epoch returns the name of the server's current seq numbering.
func (s *Server) Epoch() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.epoch
}
