// Package pusher is a client for the Pusher Channels protocol 7, as served by
// Pusher, Soketi and Laravel Reverb. It runs over a network.ConnectionManager,
// which owns the socket, heartbeat and reconnects; this package adds the
// protocol: the connection_established handshake and socket id, pusher:ping
// and pusher:pong, public, private-, presence-, private-encrypted- (NaCl
// secretbox) and cache- channel subscriptions with authorization through an
// Authorizer, presence member lists, subscription counts, client events
// (whispers), user sign-in (pusher:signin) with events sent to the user,
// and the classification of pusher:error and close codes, with or without
// a close.
//
// What a call waited for is visible when it returns: after Connect the
// socket id is known, after Subscribe the channel's members. A failure is
// returned by the call that waited for it or, when none did, reported on
// Errors, never both. Frames is lossless: the routing goroutine waits for
// its subscriber, which holds the socket back, and each frame keeps the
// bytes it arrived as. An owner that maps frames into streams of its own
// (data/laravel) sets Options.Handler instead: it takes every frame and
// state change on the routing goroutine, with no goroutine or hand-off of
// its own.
//
// A Client keeps its subscriptions across reconnects: after every reconnect
// it authorizes each channel again for the new socket id and resubscribes.
// Given the nodes of a cluster (Options.Hosts), it walks them in an order of
// its own and moves to the next after every failure, so the clients of a
// failed node spread over the others. Presence member lists stay true across
// node failures: a member who leaves stays listed for a grace period that
// their return cancels, and lists are fetched again periodically and
// whenever a node seems lost (Options.PresenceGrace, PresenceRefresh).
//
// Concurrency: a Client runs one goroutine that reads the manager's frames
// and state changes and routes them, plus one short-lived goroutine per
// subscription or sign-in attempt in flight (it authorizes, sends the
// frame and waits for the answer up to Options.SubscribeTimeout). Every exported method is safe for
// concurrent use. Streams are channels scoped by a context; they close when
// the context ends, the channel is unsubscribed or the Client closes. After
// Close returns nothing more is sent on any stream.
//
// Secrets: auth signatures and bearer tokens never appear in logs or error
// strings.
package pusher
