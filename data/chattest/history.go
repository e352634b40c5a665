package chattest

import "encoding/json"

// Replayable is one event the server keeps for a user's next sync.
type Replayable struct {
	Seq  int64
	Type string // "chat.message", "conversation.update"...
	// MessageID is the message's id for a chat.message, else "".
	MessageID string
}

// History returns the events the server would replay to userID, oldest
// first (at most Options.HistorySize; the epoch's older ones are gone).
func (s *Server) History(userID string) []Replayable {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return nil
	}
	out := make([]Replayable, 0, len(u.history))
	for _, h := range u.history {
		var f struct {
			Type    string `json:"type"`
			Payload struct {
				ID string `json:"id"`
			} `json:"payload"`
		}
		_ = json.Unmarshal(h.frame, &f) // the server's own frames
		r := Replayable{Seq: h.seq, Type: f.Type}
		if f.Type == "chat.message" {
			r.MessageID = f.Payload.ID
		}
		out = append(out, r)
	}
	return out
}
