// Package stream fans values out from one publisher to many subscribers.
//
// Each subscriber has a buffer: how many values may wait for it. One of two
// policies decides what Publish does when that buffer is full:
//
//   - Block (lossless; the policy of every application-facing stream of the
//     data sources): the publisher waits for room. A subscriber that keeps
//     reading is never cut off, whatever the burst: a publisher that is a
//     socket reader stops reading, and TCP flow control slows the server.
//     Only a subscriber that takes nothing for Options.StallTimeout while
//     values wait for it is cut off: its channel closes after what the
//     channel holds, and OnEvict receives ErrSlowConsumer.
//   - Evict: the subscriber's channel is closed after the values its
//     channel holds and OnEvict receives ErrSlowConsumer; the publisher never
//     waits. For streams whose publisher must never wait (one that holds a
//     lock other goroutines need), at the cost of cutting off a subscriber
//     that a burst outruns.
//
// Memory grows with use. A subscriber's channel is made when it subscribes,
// with at most ChannelSlots slots; the rest of a larger buffer is a queue
// that grows while the subscriber is behind, fed into the channel by a
// goroutine that runs only while the queue holds values, and released once
// it has caught up (a queue of up to 64 slots is kept for the next burst:
// a flood empties and refills it thousands of times a second).
//
// Nothing is dropped silently: a subscriber that is cut off sees its channel
// end and is told why. A subscription ends when its context is done, when
// the broadcaster is closed, or when it is cut off; its channel is then
// closed and values still queued beyond it are dropped. StopWaiting releases
// waiting publishers when the owner begins to close. After Close returns no
// value is sent on any channel and no goroutine of the broadcaster runs.
package stream
