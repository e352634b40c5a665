package domaintest

import (
	"context"
	"sync"
)

// Stream names one of the port's streams, for CutOff and Subscribers.
type Stream string

// The port's streams.
const (
	Messages            Stream = "Messages"
	Typing              Stream = "Typing"
	UserStatuses        Stream = "UserStatuses"
	ConversationUpdates Stream = "ConversationUpdates"
	ReadReceipts        Stream = "ReadReceipts"
	Calls               Stream = "Calls"
	RawMessages         Stream = "RawMessages"
	ConnectionStates    Stream = "ConnectionStates"
	Errors              Stream = "Errors"
)

// subscriberBuffer is each subscription's buffer; publish waits beyond it.
const subscriberBuffer = 64

// stream fans values out to its subscriptions without losing any: publish
// waits for room. publish calls are serialized by the Source.
type stream[T any] struct {
	closed <-chan struct{} // the Source's done

	mu   sync.Mutex
	subs map[*sub[T]]struct{}
}

type sub[T any] struct {
	ch   chan T
	gone chan struct{} // closed when the subscription ends
	stop func() bool   // unregisters the ctx callback

	sendMu sync.Mutex // held while publish sends; end waits for it
	ended  bool       // guarded by sendMu
}

func newStream[T any](closed <-chan struct{}) *stream[T] {
	return &stream[T]{closed: closed, subs: make(map[*sub[T]]struct{})}
}

func (st *stream[T]) subscribe(ctx context.Context) <-chan T {
	s := &sub[T]{ch: make(chan T, subscriberBuffer), gone: make(chan struct{})}
	st.mu.Lock()
	defer st.mu.Unlock()
	select {
	case <-st.closed:
		close(s.ch)
		return s.ch
	default:
	}
	if ctx.Err() != nil {
		close(s.ch)
		return s.ch
	}
	st.subs[s] = struct{}{}
	s.stop = context.AfterFunc(ctx, func() { st.end(s) })
	return s.ch
}

// current returns the subscriptions open now.
func (st *stream[T]) current() []*sub[T] {
	st.mu.Lock()
	defer st.mu.Unlock()
	subs := make([]*sub[T], 0, len(st.subs))
	for s := range st.subs {
		subs = append(subs, s)
	}
	return subs
}

// publish sends v to every subscription, waiting for room in each.
func (st *stream[T]) publish(v T) {
	for _, s := range st.current() {
		s.send(v, st.closed)
	}
}

func (s *sub[T]) send(v T, closed <-chan struct{}) {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if s.ended {
		return
	}
	select {
	case s.ch <- v:
	case <-s.gone:
	case <-closed:
	}
}

// offer sends v to every subscription that has room, without waiting.
func (st *stream[T]) offer(v T) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for s := range st.subs {
		s.sendMu.Lock()
		if !s.ended {
			select {
			case s.ch <- v:
			default:
			}
		}
		s.sendMu.Unlock()
	}
}

// end closes one subscription; a send in flight returns first.
func (st *stream[T]) end(s *sub[T]) {
	st.mu.Lock()
	if _, ok := st.subs[s]; !ok {
		st.mu.Unlock()
		return
	}
	delete(st.subs, s)
	st.mu.Unlock()
	s.stop()
	close(s.gone)
	s.sendMu.Lock()
	s.ended = true
	close(s.ch)
	s.sendMu.Unlock()
}

func (st *stream[T]) closeAll() {
	for _, s := range st.current() {
		st.end(s)
	}
}

func (st *stream[T]) len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.subs)
}
