// Package recent is a bounded set of recently seen keys, for
// de-duplicating ids: when the set is full, the oldest key leaves to make
// room for a new one. It grows with use, up to its limit: a set that sees
// ten keys holds ten, whatever the limit.
package recent

// DefaultLimit is the limit New uses for a limit of zero or less.
const DefaultLimit = 4096

// Set remembers the last Limit distinct keys added. It is not safe for
// concurrent use: its owner guards it.
type Set struct {
	limit   int
	members map[string]struct{}
	order   []string // the keys, oldest at next once the set is full
	next    int      // where the next key goes once len(order) == limit
}

// New returns an empty set that keeps at most limit keys (DefaultLimit
// when limit <= 0). Nothing is allocated until the first key.
func New(limit int) *Set {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Set{limit: limit}
}

// Add records key and reports whether it was new. The empty key names
// nothing: it is never recorded and always new.
func (s *Set) Add(key string) bool {
	if key == "" {
		return true
	}
	if _, dup := s.members[key]; dup {
		return false
	}
	if s.members == nil {
		s.members = make(map[string]struct{})
	}
	if len(s.order) < s.limit {
		s.order = append(s.order, key)
	} else {
		delete(s.members, s.order[s.next])
		s.order[s.next] = key
		s.next = (s.next + 1) % s.limit
	}
	s.members[key] = struct{}{}
	return true
}

// Has reports whether key is in the set.
func (s *Set) Has(key string) bool {
	_, ok := s.members[key]
	return ok
}

// Len returns how many keys the set holds.
func (s *Set) Len() int { return len(s.members) }
