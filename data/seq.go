package data

// seqTracker remembers which replayable events (by seq) and messages (by id)
// were processed, so that a replay merged with live frames reaches each
// consumer once. Only the pump goroutine uses it.
//
// Outside a sync, events arrive in seq order on one connection, so anything
// at or below the highest seq processed is a duplicate. During a sync the
// replay (seq > since) interleaves with live frames, so the seqs processed
// since the sync began are remembered until sync.done.
type seqTracker struct {
	high      int64              // highest seq processed
	announced int64              // the last_seq of the current session.ready
	syncing   bool               // a sync is outstanding (survives a drop mid-sync)
	since     int64              // the since of the outstanding sync
	seen      map[int64]struct{} // seqs above since processed during the sync

	ids recentSet // ids of recent messages, for servers that re-echo without seq
}

// maxSeqJump bounds how far past the highest processed seq a frame may be.
// A server issues seqs one by one; a frame far beyond is corrupt, and
// recording it would make every later event look like a replay.
const maxSeqJump = 1 << 20

// plausible reports whether seq may be recorded: none, or not absurdly far
// ahead of what was processed or announced by session.ready.
func (t *seqTracker) plausible(seq int64) bool {
	return seq <= 0 || seq-max(t.high, t.announced) <= maxSeqJump
}

// announce records the server's last_seq from session.ready.
func (t *seqTracker) announce(lastSeq int64) { t.announced = lastSeq }

// accept reports whether seq is new, and records it.
func (t *seqTracker) accept(seq int64) bool {
	if seq <= 0 {
		return true
	}
	if t.syncing {
		if seq <= t.since {
			return false
		}
		if _, dup := t.seen[seq]; dup {
			return false
		}
		t.seen[seq] = struct{}{}
	} else if seq <= t.high {
		return false
	}
	t.high = max(t.high, seq)
	return true
}

// beginSync returns the since of the sync to send. A sync interrupted by a
// drop is asked for again from its original since, so nothing between that
// since and the live frames processed meanwhile is skipped.
func (t *seqTracker) beginSync() int64 {
	if !t.syncing {
		t.syncing = true
		t.since = t.high
		t.seen = make(map[int64]struct{})
	}
	return t.since
}

// endSync closes the outstanding sync.
func (t *seqTracker) endSync() {
	t.syncing = false
	t.seen = nil
}

// reset starts over from a server's sequence, after the server lost its
// history (its last_seq went backwards).
func (t *seqTracker) reset(high int64) {
	t.high = high
	t.endSync()
}

// recentSet is a bounded set of strings: the oldest entry leaves when a new
// one arrives at capacity.
type recentSet struct {
	members map[string]struct{}
	ring    []string
	next    int
}

const recentMessageIDs = 4096

// add records s and reports whether it was new.
func (r *recentSet) add(s string) bool {
	if s == "" {
		return true
	}
	if r.members == nil {
		r.members = make(map[string]struct{}, recentMessageIDs)
		r.ring = make([]string, recentMessageIDs)
	}
	if _, dup := r.members[s]; dup {
		return false
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.members, old)
	}
	r.ring[r.next] = s
	r.next = (r.next + 1) % len(r.ring)
	r.members[s] = struct{}{}
	return true
}
