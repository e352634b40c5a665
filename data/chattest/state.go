package chattest

import (
	"sort"
	"time"
)

// user is everything the server keeps about one user id. Guarded by Server.mu.
type user struct {
	id       string
	conns    map[*conn]struct{}
	seq      int64       // the last seq issued to this user
	history  []histEntry // replayable events, oldest first, at most HistorySize
	evicted  int64       // the highest seq dropped from history (0: none)
	lastSeen time.Time
	sent     map[string]*record // accepted chat.message by client_id, for dedup
}

type histEntry struct {
	seq   int64
	frame []byte
}

// record is a stored message and its encoded chat.message payload.
type record struct {
	msg     Message
	payload []byte
}

// conversation is a conversation and its messages. Guarded by Server.mu.
type conversation struct {
	id        string
	title     string
	members   []string       // in the order they joined
	read      map[string]int // member -> index of the last message read, -1 for none
	messages  []*record
	byID      map[string]int // message id -> index in messages
	updatedAt time.Time
}

func (cv *conversation) isMember(userID string) bool {
	_, ok := cv.read[userID]
	return ok
}

// unread counts the messages from other senders after userID's read marker.
func (cv *conversation) unread(userID string) int {
	n := 0
	for _, r := range cv.messages[cv.read[userID]+1:] {
		if r.msg.SenderID != userID {
			n++
		}
	}
	return n
}

func (cv *conversation) lastMessage() *Message {
	if len(cv.messages) == 0 {
		return nil
	}
	m := cv.messages[len(cv.messages)-1].msg
	return &m
}

// userLocked returns the user with that id, creating it. The caller holds s.mu.
func (s *Server) userLocked(id string) *user {
	u := s.users[id]
	if u == nil {
		u = &user{id: id, conns: make(map[*conn]struct{}), sent: make(map[string]*record)}
		s.users[id] = u
	}
	return u
}

// emitLocked sends a replayable event to one user: it takes the user's next
// seq, keeps the frame in the user's history and queues it on every open
// connection of the user. The caller holds s.mu, which is what keeps each
// connection's frames in seq order.
func (s *Server) emitLocked(userID, typ string, payload []byte) {
	u := s.userLocked(userID)
	u.seq++
	f := frame(typ, u.seq, payload)
	u.history = append(u.history, histEntry{seq: u.seq, frame: f})
	if over := len(u.history) - s.opts.HistorySize; over > 0 {
		u.evicted = u.history[over-1].seq
		u.history = append(u.history[:0:0], u.history[over:]...)
	}
	for c := range u.conns {
		c.enqueue(f, false)
	}
}

// sendLocked sends a volatile event (no seq, not kept) to every open
// connection of userID. The caller holds s.mu.
func (s *Server) sendLocked(userID, typ string, payload []byte) {
	u := s.users[userID]
	if u == nil || len(u.conns) == 0 {
		return
	}
	f := frame(typ, 0, payload)
	for c := range u.conns {
		c.enqueue(f, false)
	}
}

// contactsLocked returns the users who share a conversation with userID,
// sorted. The caller holds s.mu.
func (s *Server) contactsLocked(userID string) []string {
	set := make(map[string]struct{})
	for _, cv := range s.convs {
		if !cv.isMember(userID) {
			continue
		}
		for _, m := range cv.members {
			if m != userID {
				set[m] = struct{}{}
			}
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// allConnsLocked lists every open connection. The caller holds s.mu.
func (s *Server) allConnsLocked() []*conn {
	var out []*conn
	for _, u := range s.users {
		for c := range u.conns {
			out = append(out, c)
		}
	}
	return out
}

// now is the server clock's time in UTC.
func (s *Server) now() time.Time { return s.clk.Now().UTC() }
