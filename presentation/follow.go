package presentation

import (
	"context"
	"reflect"
	"time"

	"github.com/chatwire/chatwire/domain"
)

// Resync says that a notifier was cut off from one of the data source's
// streams (it left an event untaken longer than the data source allows)
// and followed it again: it subscribed anew and replayed, from the data
// source's History, the events it had missed.
type Resync struct {
	// Notifier is the notifier that was cut off: "connection",
	// "messages", "conversations", "typing", "presence" or "calls".
	Notifier string
	// Stream is the data source's stream: "Messages", "ReadReceipts"...
	Stream string
	// Complete is false when the events missed were no longer all in the
	// data source's History: the notifier's snapshot may lack some of
	// them, and the app should refetch over its HTTP API.
	Complete bool
	At       time.Time
}

// feed is one stream of the data source that a notifier follows.
type feed[T any] struct {
	stream    string                         // the port's method name, for a Resync
	subscribe func(context.Context) <-chan T // a new subscription
	handle    func(T)
	// catchUp returns what was published after last, oldest first, and
	// whether that is everything; it is asked after a cut-off.
	catchUp func(last T) (missed []T, complete bool)
}

// eventFeed is a feed of one of the port's typed entities, which the
// data source keeps in its History.
func eventFeed[T domain.Event](src domain.ChatWebSocketDataSource, stream string,
	subscribe func(context.Context) <-chan T, handle func(T)) feed[T] {
	return feed[T]{stream: stream, subscribe: subscribe, handle: handle,
		catchUp: func(last T) ([]T, bool) { return missedSince(src.History(), last) }}
}

// missedSince returns the events of type T in history after the last one
// equal to last, and whether last was found there (if not, history no
// longer reaches back to it, and all of its events of type T are newer).
func missedSince[T domain.Event](history []domain.Event, last T) ([]T, bool) {
	var all []T
	after := -1
	for _, ev := range history {
		v, ok := ev.(T)
		if !ok {
			continue
		}
		all = append(all, v)
		if reflect.DeepEqual(v, last) {
			after = len(all)
		}
	}
	if after < 0 {
		return all, false
	}
	return all[after:], true
}

// follower is the follow loop's state of one feed.
type follower[T any] struct {
	feed[T]
	ch   <-chan T
	got  bool // the current subscription has delivered a value
	last T    // the last value handled
	// replayed holds the values replayed after a cut-off that the new
	// subscription may deliver again (those published between subscribing
	// and reading History); matching tells whether its head is known yet.
	replayed []T
	matching bool
}

// receive handles v unless it is a second copy of a replayed value.
func (f *follower[T]) receive(v T) {
	f.got = true
	if f.isReplayed(v) {
		return
	}
	f.last = v
	f.handle(v)
}

// isReplayed reports whether v is the next value the new subscription
// shares with the replay. The new subscription's first values are a tail
// of the replay, or none of it.
func (f *follower[T]) isReplayed(v T) bool {
	if len(f.replayed) == 0 {
		return false
	}
	if !f.matching {
		for i, r := range f.replayed {
			if reflect.DeepEqual(r, v) {
				f.replayed, f.matching = f.replayed[i+1:], true
				return true
			}
		}
		f.replayed = nil
		return false
	}
	if reflect.DeepEqual(f.replayed[0], v) {
		f.replayed = f.replayed[1:]
		return true
	}
	f.replayed = nil
	return false
}

// resume follows the stream again after its channel closed, unless that
// was the end: the runner closing, the data source closed (it says Closed
// before it closes its streams), or a subscription that never delivered
// anything (a source that closes its streams without saying so). It
// reports the resync and returns the new channel, or nil.
func (f *follower[T]) resume(ctx context.Context, l *followLoop) <-chan T {
	if ctx.Err() != nil || !f.got || l.src.ConnectionState().Status == domain.Closed {
		return nil
	}
	ch := f.subscribe(ctx) // first, so that nothing published from now on is missed
	missed, complete := f.catchUp(f.last)
	for _, v := range missed {
		f.last = v
		f.handle(v)
	}
	f.got, f.replayed, f.matching = false, missed, false
	if l.onResync != nil {
		l.onResync(Resync{Notifier: l.notifier, Stream: f.stream, Complete: complete, At: l.run.now()})
	}
	return ch
}

// followLoop is what a notifier's follow goroutine needs to know.
type followLoop struct {
	run      *runner
	src      domain.ChatWebSocketDataSource
	notifier string
	onResync func(Resync)
	// start, if set, runs on the caller's goroutine once the streams are
	// subscribed and before any of their values is handled: the notifier
	// starts from the offline cache, and what arrives meanwhile waits.
	start func()
}

// follow hands every value of a and b to their handlers, one at a time, on
// one goroutine the runner owns, until both streams have ended or the
// runner closes. A subscription the data source cuts off is followed again
// (see resume), so a notifier never silently stops following a stream.
// A notifier that follows a single stream passes a zero feed as b.
func follow[A, B any](l followLoop, a feed[A], b feed[B]) {
	ctx, release := l.run.context(0)
	fa := &follower[A]{feed: a}
	fb := &follower[B]{feed: b}
	if a.subscribe != nil {
		fa.ch = a.subscribe(ctx)
	}
	if b.subscribe != nil {
		fb.ch = b.subscribe(ctx)
	}
	if l.start != nil {
		l.start()
	}
	l.run.goFunc(func(done <-chan struct{}) {
		defer release()
		for fa.ch != nil || fb.ch != nil {
			select {
			case <-done:
				return
			case v, ok := <-fa.ch:
				if !ok {
					fa.ch = fa.resume(ctx, &l)
					continue
				}
				fa.receive(v)
			case v, ok := <-fb.ch:
				if !ok {
					fb.ch = fb.resume(ctx, &l)
					continue
				}
				fb.receive(v)
			}
		}
	})
}
