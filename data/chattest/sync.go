package chattest

// handleSync replays the user's history newer than since to this
// connection, in seq order, then sends sync.done. complete is false when
// events after since have left the history, or when since is higher than
// any seq the server has issued to the user. A sync naming another epoch
// than the current one gets everything the history holds, complete:false:
// its since means nothing in this numbering. A sync without epoch is taken
// to be in the current one.
func handleSync(s *Server, c *conn, _ string, payload []byte) (string, *protoErr) {
	var in inSync
	if pe := decode(payload, &in); pe != nil {
		return "", pe
	}
	var since int64
	if in.Since != nil {
		since = *in.Since
	}
	if since < 0 {
		return "", perr(CodeInvalidPayload, "since must not be negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(c.userID)
	foreign := in.Epoch != nil && *in.Epoch != "" && *in.Epoch != s.epoch
	if foreign {
		since = 0
	}
	done := syncDonePayload{Complete: !foreign && since <= u.seq && since >= u.evicted}
	if since <= u.seq {
		for _, e := range u.history {
			if e.seq > since && c.enqueue(e.frame, true) {
				done.Replayed++
			}
		}
	}
	c.enqueue(frame(TypeSyncDone, 0, mustJSON(done)), true)
	return "", nil
}
