// Package recent is a bounded set of recently seen keys, for
// de-duplicating ids: when the set is full, the oldest key leaves to make
// room for a new one. It grows with use, up to its limit: a set that sees
// ten keys holds ten, whatever the limit.
//
// The set keeps a 128-bit hash of each key, not the key: an id is often a
// substring of the frame it came in, and keeping the id would keep the
// whole frame alive (4,096 frames of a busy connection, over a MiB). Two
// different keys are taken for one with a chance of about n²/2¹²⁹ for n
// keys held (10⁻³¹ for 4,096): never, in practice.
package recent

import "hash/maphash"

// DefaultLimit is the limit New uses for a limit of zero or less.
const DefaultLimit = 4096

// Set remembers the last Limit distinct keys added. It is not safe for
// concurrent use: its owner guards it.
type Set struct {
	limit   int
	members map[digest]struct{}
	order   []digest // the keys, oldest at next once the set is full
	next    int      // where the next key goes once len(order) == limit
}

// digest is a key's 128-bit hash: two 64-bit hashes with seeds of their
// own, made once per process.
type digest [2]uint64

var seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func digestOf(key string) digest {
	return digest{maphash.String(seeds[0], key), maphash.String(seeds[1], key)}
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
	d := digestOf(key)
	if _, dup := s.members[d]; dup {
		return false
	}
	if s.members == nil {
		s.members = make(map[digest]struct{})
	}
	if len(s.order) < s.limit {
		s.order = append(s.order, d)
	} else {
		delete(s.members, s.order[s.next])
		s.order[s.next] = d
		s.next = (s.next + 1) % s.limit
	}
	s.members[d] = struct{}{}
	return true
}

// Has reports whether key is in the set.
func (s *Set) Has(key string) bool {
	_, ok := s.members[digestOf(key)]
	return ok
}

// Len returns how many keys the set holds.
func (s *Set) Len() int { return len(s.members) }
