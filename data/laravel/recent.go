package laravel

// recentSet remembers the last max keys it was given. It starts empty and
// grows with use: a connection that sees few events holds few keys. Not
// safe for concurrent use: the data source guards it.
type recentSet struct {
	max  int
	keys map[string]struct{}
	ring []string // keys in arrival order; a ring once it holds max
	next int      // the oldest key's index once the ring is full
}

func (r *recentSet) has(k string) bool {
	_, ok := r.keys[k]
	return ok
}

// add records k and reports whether it was new.
func (r *recentSet) add(k string) bool {
	if _, ok := r.keys[k]; ok {
		return false
	}
	if r.keys == nil {
		r.keys = make(map[string]struct{})
	}
	if len(r.ring) < r.max {
		r.ring = append(r.ring, k)
	} else {
		delete(r.keys, r.ring[r.next])
		r.ring[r.next] = k
		r.next = (r.next + 1) % len(r.ring)
	}
	r.keys[k] = struct{}{}
	return true
}
