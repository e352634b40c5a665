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

// clear empties the ring and releases its memory.
func (r *ring[T]) clear() { *r = ring[T]{} }

func (r *ring[T]) grow() {
	buf := make([]T, max(2*len(r.buf), 8))
	k := copy(buf, r.buf[r.head:])
	copy(buf[k:], r.buf[:r.head])
	r.buf, r.head = buf, 0
}
