package stream

// ring is a FIFO queue that grows as values come and holds no memory while
// empty and cleared. Not safe for concurrent use.
type ring[T any] struct {
	buf  []T
	head int // index of the oldest value
	n    int
}

func (r *ring[T]) len() int { return r.n }

func (r *ring[T]) push(v T) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)%len(r.buf)] = v
	r.n++
}

// peek returns the oldest value; the ring must not be empty.
func (r *ring[T]) peek() T { return r.buf[r.head] }

// pop removes the oldest value; the ring must not be empty.
func (r *ring[T]) pop() {
	var zero T
	r.buf[r.head] = zero // let the value go
	r.head = (r.head + 1) % len(r.buf)
	r.n--
}

// clear empties the ring. A small buffer is kept for the next burst (a
// flood empties and refills a queue thousands of times a second); a large
// one is released.
func (r *ring[T]) clear() {
	if len(r.buf) > keptSlots {
		*r = ring[T]{}
		return
	}
	clear(r.buf)
	r.head, r.n = 0, 0
}

// keptSlots is the largest queue buffer an emptied ring keeps.
const keptSlots = 64

func (r *ring[T]) grow() {
	buf := make([]T, max(2*len(r.buf), 8))
	k := copy(buf, r.buf[r.head:])
	copy(buf[k:], r.buf[:r.head])
	r.buf, r.head = buf, 0
}
