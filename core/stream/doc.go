// Package stream fans values out from one publisher to many subscribers.
//
// A stalled application subscriber never blocks the publisher (which is
// ultimately a socket reader). Each subscriber owns a bounded buffer and one of
// two written policies decides what happens when that buffer is full:
//
//   - Evict (the default, for application subscribers): the subscriber's
//     channel is closed after the values already buffered, and the
//     broadcaster's OnEvict callback receives ErrSlowConsumer. Nothing is
//     dropped silently: the consumer sees its channel end and is told why.
//   - Block (for internal, lossless pipelines whose consumer never stalls):
//     the publisher waits for room, which pushes back on the socket through
//     TCP flow control instead of dropping.
//
// A subscription ends when its context is done, when the broadcaster is
// closed, or on eviction; its channel is then closed. After Close returns no
// value is sent on any channel.
package stream
