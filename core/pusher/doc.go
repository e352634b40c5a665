// Package pusher is a client for the Pusher Channels protocol 7, as served by
// Pusher, Soketi and Laravel Reverb. It runs over a network.ConnectionManager,
// which owns the socket, heartbeat and reconnects; this package adds the
// protocol: the connection_established handshake and socket id, pusher:ping
// and pusher:pong, public, private- and presence- channel subscriptions with
// authorization through an Authorizer, presence member lists, client events
// (whispers) and the classification of pusher:error and close codes.
//
// A Client keeps its subscriptions across reconnects: after every reconnect
// it authorizes each channel again for the new socket id and resubscribes;
// presence member lists are replaced wholesale by the server's new list.
//
// Concurrency: a Client runs one goroutine that reads the manager's frames
// and state changes and routes them, plus one short-lived goroutine per
// subscription attempt in flight (it authorizes the channel, if needed, and
// sends the subscribe frame). Every exported method is safe for
// concurrent use. Streams are channels scoped by a context; they close when
// the context ends, the channel is unsubscribed or the Client closes. After
// Close returns nothing more is sent on any stream.
//
// Secrets: auth signatures and bearer tokens never appear in logs or error
// strings.
package pusher
