package data

// recentSet is a bounded set of strings that grows with use: once it holds
// recentMessageIDs entries, the oldest leaves when a new one arrives.
type recentSet struct {
	members map[string]struct{}
	ring    []string
	next    int // where the next entry goes once ring is full
}

const recentMessageIDs = 4096

// add records s and reports whether it was new. "" is never recorded.
func (r *recentSet) add(s string) bool {
	if s == "" {
		return true
	}
	if _, dup := r.members[s]; dup {
		return false
	}
	if r.members == nil {
		r.members = make(map[string]struct{})
	}
	if len(r.ring) < recentMessageIDs {
		r.ring = append(r.ring, s)
	} else {
		delete(r.members, r.ring[r.next])
		r.ring[r.next] = s
		r.next = (r.next + 1) % recentMessageIDs
	}
	r.members[s] = struct{}{}
	return true
}

// has reports whether s is in the set.
func (r *recentSet) has(s string) bool {
	_, ok := r.members[s]
	return ok
}
