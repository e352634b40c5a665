package laravel

// recentSet remembers the last n keys it was given. Not safe for
// concurrent use: the data source guards it.
type recentSet struct {
	keys map[string]struct{}
	ring []string
	next int
}

func newRecentSet(n int) *recentSet {
	return &recentSet{keys: make(map[string]struct{}, n), ring: make([]string, n)}
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
	if old := r.ring[r.next]; old != "" {
		delete(r.keys, old)
	}
	r.ring[r.next] = k
	r.next = (r.next + 1) % len(r.ring)
	r.keys[k] = struct{}{}
	return true
}
