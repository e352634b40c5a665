// Package laravel is the domain.ChatWebSocketDataSource for Laravel-style
// backends that broadcast over the Pusher Channels protocol: Laravel Reverb,
// Soketi or Pusher itself. It runs over core/pusher's Client, which owns the
// socket, the heartbeat, reconnects and resubscription; this package adds
// the application conventions of Laravel broadcasting and Laravel Echo.
// (It is not called "pusher" so as not to shadow core/pusher, which it
// imports, and because what it adds is Laravel's conventions.)
//
// # Wiring
//
// The app's backend signs channel subscriptions at POST /broadcasting/auth
// (Laravel's Broadcast::routes() with a bearer-token guard such as
// Sanctum) and stores messages through its JSON API:
//
//	src, err := laravel.New(laravel.Options{
//		Host:          "127.0.0.1:8080", // Reverb; TLS: true behind https
//		Key:           "reverb-key",
//		AuthEndpoint:  "https://app.example/broadcasting/auth",
//		API:           laravel.HTTPBackendOptions{BaseURL: "https://app.example"},
//		UserID:        "42",
//		Conversations: []string{"7", "9"},
//	})
//	...
//	err = src.Connect(ctx, accessToken)
//
// For Soketi use its host and app key; for Pusher "ws-{cluster}.pusher.com"
// with TLS. For a cluster (Soketi nodes over NATS or Redis, Reverb nodes
// over Redis) list every node in Hosts: each data source starts at a node
// of its own and moves to another after a failed attempt or a lost
// connection, and presence stays true across a node failure
// (ConnectionOptions.PresenceGrace and PresenceRefresh). Whispers (typing, client-read, client-call.*) need client
// events enabled on the server: Soketi's enableClientMessages, Pusher's
// "Enable client events" app setting; Reverb relays them.
//
// On the Laravel side the defaults expect, in routes/channels.php (with
// Broadcast::routes(['middleware' => ['auth:sanctum']]) for bearer tokens):
//
//	Broadcast::channel('conversation.{id}', fn ($user, $id) => $user->conversations()->whereKey($id)->exists());
//	Broadcast::channel('user.{id}', fn ($user, $id) => (string) $user->id === (string) $id);
//	Broadcast::channel('online', fn ($user) => ['id' => $user->id, 'name' => $user->name]);
//
// and events such as
//
//	class MessageSent implements ShouldBroadcast {
//	    public function __construct(public Message $message) {}
//	    public function broadcastOn() { return new PrivateChannel('conversation.'.$this->message->conversation_id); }
//	}
//
// dispatched with broadcast(new MessageSent($message))->toOthers() from the
// controller behind POST /api/conversations/{id}/messages. The access token is sent as "Authorization: Bearer" to the auth
// endpoint and the HTTP API; Options.TokenSource (a domain.TokenSource)
// refreshes it after a 401, 403 or 419 (and gives the first one when
// Connect is given ""). Options.Connection holds the
// knobs of the connection (heartbeat, pong timeout, reconnect delays,
// attempts, subscription timeout, read limit).
//
// # Channels
//
// Conversations use private channels named by Options.ConversationChannel
// (default "private-conversation.{id}", Echo.private("conversation.{id}")),
// joined at Connect from Options.Conversations and changed with Join and
// Leave. The user's own channel is "private-user.{id}" and presence is
// reported from "presence-online" (Echo.join("online")). Presence members
// map onto UserStatuses: the member list on (re)subscription makes each
// new member online and each vanished one offline, member_added is online
// and member_removed offline with LastSeen set to now; a reconnect reports
// only the difference.
//
// # Any channel, any event: Echo's vocabulary
//
// Beyond the conversation, user and presence channels, Channel, Private,
// EncryptedPrivate and JoinPresence name any channel as Laravel Echo does,
// and Listen, ListenForWhisper, ListenToAll, Notification, Whisper, Here,
// Joining, Leaving and LeaveChannel work as Echo's listen, listenForWhisper,
// listenToAll, notification, whisper, here, joining, leaving and leave.
// Several presence channels may be joined at once. A ChannelEvent carries
// the payload as JSON and, where a decoder of Options.Events knows the
// event, its typed form (which also reaches the typed streams). With
// Options.UserAuthEndpoint, Connect signs the user in and UserEvents
// carries what the backend sends to the user.
//
// # Events
//
// Options.Events maps event names to Decoders; DefaultEvents covers the
// original app's events (MessageSent, UserIsTyping, MessagesRead),
// conversation and call events, their broadcastAs forms and the whispers.
// A key matches wire names the way Echo's listen() does:
//
//   - ".message.sent" (leading dot) or "\App\Events\MessageSent" (leading
//     backslash) matches the name as broadcast, without the prefix:
//     "message.sent", "App\Events\MessageSent".
//   - "App\Events\MessageSent" (a class name) matches exactly that name.
//   - A bare name such as "MessageSent" matches Echo's namespaced form
//     (Options.Namespace, default "App.Events": "App\Events\MessageSent"),
//     the bare name itself, and, when nothing matched exactly, any class
//     whose last segment it is ("Domain\Chat\Events\MessageSent").
//
// Exact matches win over the last-segment rule; New refuses two keys that
// match the same name. Events without a decoder, and events on channels
// not joined, reach RawMessages only; RawMessages carries every frame.
//
// Laravel sends an event's public properties as a JSON object. Every
// default decoder accepts its object wrapped in that property
// ({"message": {...}} for a public $message) or flat, snake_case, ids as
// strings or numbers; see DecodeMessage and the other decoders for the
// fields. A payload a decoder refuses is reported on Errors as a
// domain.ClassDecode error and the session goes on.
//
// # Sending
//
// Pusher clients cannot publish server events. SendMessage goes through a
// MessageSender (by default an HTTPBackend posting to
// /api/conversations/{id}/messages with X-Socket-ID, so that Laravel's
// toOthers() works as with Echo) and delivers the stored message on
// Messages; the broadcast copy, before or after, is dropped by id (a
// message is its id; one without an id is its sender and client id). MarkRead goes through a ReadMarker (HTTP by default) or, with
// Options.ReadWhisper, as a "client-read" whisper. SendTyping is Echo's
// whisper: "client-typing" with {"user_id","id","name","typing"} on the
// conversation channel, never queued. SendCallSignal whispers
// "client-call.<kind>". Client events are limited to 10 per second.
//
// # Reconnects
//
// core/pusher resubscribes every channel after a reconnect. Pusher replays
// nothing that was broadcast meanwhile, so the state after a reconnect has
// Sync domain.SyncIncomplete (the app should refetch recent history over
// HTTP); messages are de-duplicated by id, so nothing reaches a consumer
// twice. A refused subscription is a domain.ClassSubscription error,
// returned by the call that waited for it (Connect, Join, Subscribe) or
// else reported on Errors, once; it is fatal only when the auth endpoint
// answered 401 or 419 (the user's session is gone), never for the
// server's refusal of a signature.
//
// # Delivery
//
// The data source maps the protocol client's frames on the client's own
// routing goroutine (it is the client's pusher.Handler), losslessly: while
// a subscriber is behind the client waits, and TCP flow control holds the
// server back, so a burst never opens a gap between the socket and the
// typed streams.
// RawMessages carries each frame's bytes as received.
//
// Concurrency: see DataSource. Logging goes through Options.Logger only;
// tokens and auth signatures never appear.
package laravel
