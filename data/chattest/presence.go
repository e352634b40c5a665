package chattest

import "time"

// register adds c to its user's connections and queues, in this order and
// before any other frame can reach c: session.ready, then user.status
// online for every contact that is online. On the user's first connection
// its contacts are told it is online. It reports false when the server is
// closed, or when c came through a listener that has since been stopped.
func (s *Server) register(c *conn, run *listenerRun) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || (run != nil && s.listener != run) {
		return false
	}
	u := s.userLocked(c.userID)
	c.enqueue(frame(TypeSessionReady, 0, mustJSON(sessionReadyPayload{
		UserID:              u.id,
		SessionID:           c.sessionID,
		HeartbeatIntervalMS: s.opts.HeartbeatInterval.Milliseconds(),
		MaxFrameBytes:       s.opts.MaxFrameBytes,
		LastSeq:             u.seq,
		Epoch:               s.epoch,
	})), true)
	first := len(u.conns) == 0
	u.conns[c] = struct{}{}
	for _, id := range s.contactsLocked(u.id) {
		if first {
			s.sendLocked(id, TypeUserStatus, mustJSON(userStatusPayload{UserID: u.id, Status: "online"}))
		}
		if o := s.users[id]; o != nil && len(o.conns) > 0 {
			c.enqueue(frame(TypeUserStatus, 0, mustJSON(userStatusPayload{UserID: id, Status: "online"})), true)
		}
	}
	return true
}

// unregister removes c; when it was the user's last connection the
// user's contacts are told it is offline, with last_seen.
func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[c.userID]
	if _, ok := u.conns[c]; !ok {
		return
	}
	delete(u.conns, c)
	if len(u.conns) > 0 {
		return
	}
	u.lastSeen = s.now()
	seen := u.lastSeen
	p := mustJSON(userStatusPayload{UserID: u.id, Status: "offline", LastSeen: &seen})
	for _, id := range s.contactsLocked(u.id) {
		s.sendLocked(id, TypeUserStatus, p)
	}
}

// Connections returns how many connections userID has open.
func (s *Server) Connections(userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[userID]; u != nil {
		return len(u.conns)
	}
	return 0
}

// LastSeen returns when userID's last connection closed (zero if never).
func (s *Server) LastSeen(userID string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[userID]; u != nil {
		return u.lastSeen
	}
	return time.Time{}
}

// LastSeq returns the last seq issued to userID (0 if none).
func (s *Server) LastSeq(userID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[userID]; u != nil {
		return u.seq
	}
	return 0
}
