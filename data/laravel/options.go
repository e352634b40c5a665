package laravel

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/domain"
)

// Channel name defaults, in the style of Laravel Echo's Echo.private() and
// Echo.join() names. "{id}" stands for a conversation or user id.
const (
	DefaultConversationChannel = "private-conversation.{id}"
	DefaultUserChannel         = "private-user.{id}"
	DefaultPresenceChannel     = "presence-online"
	// DefaultNamespace is Laravel Echo's default event namespace.
	DefaultNamespace = "App.Events"
	// DefaultTypingEvent is the client event of Echo's whisper('typing').
	DefaultTypingEvent = "client-typing"
	// DefaultReadEvent is the client event MarkRead sends when
	// Options.ReadWhisper is set.
	DefaultReadEvent = "client-read"
	// CallEventPrefix starts the client events of SendCallSignal:
	// "client-call.invite", "client-call.offer"...
	CallEventPrefix = "client-call."
	// DefaultHistorySize is how many typed events History keeps.
	DefaultHistorySize = 100
)

// Options configure a DataSource. They are copied by New and never
// modified; zero values take the documented defaults.
type Options struct {
	// Host is the WebSocket server's "host:port": "127.0.0.1:6001" for
	// Soketi, "127.0.0.1:8080" for Reverb, "ws-eu.pusher.com:443" for
	// Pusher (with TLS). Required unless Hosts is set.
	Host string
	// Hosts lists more nodes ("host:port") of the same cluster (Soketi
	// nodes over NATS or Redis, Reverb nodes over Redis). The data source
	// walks Host and Hosts in an order of its own, shuffled at New: it
	// starts with the first and moves on to the next after a failed
	// attempt or a lost connection (a draining node's 4200 included), with
	// the usual backoff and jitter; so clients spread over the nodes, and
	// those of a failed node over the others. The socket id,
	// subscriptions, presence and sign-in are set up again on the new node
	// as after any reconnect.
	Hosts []string
	// Key is the app key (Reverb's REVERB_APP_KEY, Pusher's key). Required.
	Key string
	// TLS dials wss instead of ws. A server that refuses plain ws with
	// code 4000 is dialled again with wss either way.
	TLS bool
	// Header is sent with every connection attempt (cookies, Origin...).
	Header http.Header

	// AuthEndpoint is Laravel's channel authorization URL, for example
	// "https://app.example/broadcasting/auth". Required unless Authorizer
	// is set.
	AuthEndpoint string
	// UserAuthEndpoint is Laravel's user authentication URL
	// ("https://app.example/broadcasting/user-auth"). When set, Connect
	// signs the user in (pusher:signin), and UserEvents carries what the
	// backend sends to the user.
	UserAuthEndpoint string
	// Authorizer signs channel subscriptions instead of an HTTP request to
	// AuthEndpoint (for a backend that is not reached over HTTP).
	Authorizer pusher.Authorizer
	// TokenSource refreshes the bearer token after a 401, 403 or 419 from
	// the auth endpoint or the HTTP API, and gives the first one when
	// Connect is given ""; nil keeps the token given to Connect.
	TokenSource domain.TokenSource

	// Connection tunes heartbeat, reconnects, subscriptions and the read
	// limit.
	Connection ConnectionOptions
	// Transport returns a fresh WebSocketClient per connection attempt; nil
	// means network.NewGorillaClient with Connection.ReadLimit.
	Transport func() network.WebSocketClient

	// UserID is this user's id: it names the user channel, and it is the
	// sender of typing and read whispers. Required unless
	// DisableUserChannel is set and no whisper is sent.
	UserID string
	// UserName goes into typing whispers as "name" (Echo apps show it).
	UserName string

	// Conversations are the conversation ids to join at Connect; Join and
	// Leave change the set at run time.
	Conversations []string
	// ConversationChannel names a conversation's channel; "{id}" is the
	// conversation id. Empty means DefaultConversationChannel.
	ConversationChannel string
	// UserChannel names this user's own channel; "{id}" is UserID. Empty
	// means DefaultUserChannel.
	UserChannel string
	// DisableUserChannel subscribes no user channel.
	DisableUserChannel bool
	// PresenceChannel is the presence channel whose members are reported
	// on UserStatuses. Empty means DefaultPresenceChannel.
	PresenceChannel string
	// DisablePresence subscribes no presence channel.
	DisablePresence bool

	// Events maps broadcast event names to decoders; see the package
	// documentation for the matching rule. Nil means DefaultEvents(); a
	// non-nil map replaces the defaults (start from DefaultEvents() to
	// extend them).
	Events map[string]Decoder
	// Namespace is Echo's event namespace for bare names, dot-separated.
	// Empty means DefaultNamespace ("App.Events").
	Namespace string

	// Sender stores messages for SendMessage. Nil means an HTTPBackend
	// built from API when API.BaseURL is set; otherwise SendMessage fails
	// with domain.ErrUnsupported.
	Sender MessageSender
	// ReadMarker records read positions for MarkRead. Nil means the same
	// HTTPBackend as Sender when API.BaseURL is set. Ignored when
	// ReadWhisper is set.
	ReadMarker ReadMarker
	// ReadWhisper makes MarkRead a client event (ReadEvent) on the
	// conversation channel instead of a ReadMarker call.
	ReadWhisper bool
	// API configures the default HTTPBackend. Its Token and SocketID are
	// provided by the data source when nil.
	API HTTPBackendOptions

	// TypingEvent is the client event of SendTyping and of inbound typing
	// whispers. Empty means DefaultTypingEvent ("client-typing").
	TypingEvent string
	// ReadEvent is the client event of read whispers. Empty means
	// DefaultReadEvent ("client-read").
	ReadEvent string
	// DisableCallWhispers makes SendCallSignal fail with
	// domain.ErrUnsupported instead of sending client-call.* events.
	DisableCallWhispers bool

	// StreamBuffer is how many events may wait for a subscriber before the
	// data source waits for it; zero means 1024. Delivery is lossless: only
	// a subscriber that takes nothing for 10s is cut off, and
	// domain.ErrSlowConsumer is reported on Errors.
	StreamBuffer int
	// HistorySize is how many typed events History keeps; zero means
	// DefaultHistorySize.
	HistorySize int
	// Clock stamps events and drives the protocol timers; nil means the
	// wall clock.
	Clock clock.Clock
	// Logger receives debug logs; nil means silent. Tokens and auth
	// signatures never appear.
	Logger *slog.Logger
}

// ConnectionOptions are the knobs of the connection; zero values take the
// defaults. (Client events are never queued and messages go through the
// app's HTTP API, so the Pusher path has no outbox to size.)
type ConnectionOptions struct {
	// HeartbeatInterval is how long the connection may be silent before a
	// pusher:ping; zero means 30s. The server's activity_timeout wins when
	// it is shorter (Soketi 30s, Reverb 30s, Pusher 120s).
	HeartbeatInterval time.Duration
	// PongTimeout is how long after a ping an inbound frame must arrive
	// before the connection counts as dead; zero means 30s, as pusher-js.
	PongTimeout time.Duration
	// HandshakeTimeout bounds dial, upgrade and connection_established;
	// zero means 10s.
	HandshakeTimeout time.Duration
	// ReconnectDelay is the delay before the first reconnect after a drop
	// (plus up to 25% jitter); zero means 5s. Later attempts back off
	// exponentially with full jitter up to MaxReconnectDelay (zero: 60s).
	ReconnectDelay    time.Duration
	MaxReconnectDelay time.Duration
	// MaxAttempts stops reconnecting after this many failed attempts in a
	// row (the state becomes Failed); zero means retry forever.
	MaxAttempts int
	// SubscribeTimeout bounds the server's answer to a subscription; zero
	// means pusher.DefaultSubscribeTimeout (30s).
	SubscribeTimeout time.Duration
	// ReadLimit is the largest inbound frame in bytes for the default
	// transport (ignored with Options.Transport); zero means 1 MiB.
	ReadLimit int64
	// PresenceGrace is how long a member who left the presence channel
	// stays online (UserStatuses, Members) before going offline; coming
	// back meanwhile cancels it, so a member whose node failed and who
	// reconnects to another is not seen leaving. Zero means 1.25 ×
	// ReconnectDelay + HandshakeTimeout (16.25s with the defaults);
	// negative reports a leave at once. See pusher.Options.PresenceGrace.
	PresenceGrace time.Duration
	// PresenceRefresh is how often presence member lists are fetched again
	// (plus up to 25%): a node that dies does not say its members left.
	// A member seen joining again while still listed (they came from a
	// lost node) brings the next fetch forward to within ReconnectDelay
	// plus up to 100%. Zero means 60s; negative turns it off. See
	// pusher.Options.PresenceRefresh.
	PresenceRefresh time.Duration
}

// withDefaults returns a copy of o with defaults filled in, or an error for
// a configuration that cannot work.
func (o Options) withDefaults() (Options, error) {
	if (o.Host == "" && len(o.Hosts) == 0) || o.Key == "" {
		return o, errors.New("laravel: options: Host (or Hosts) and Key are required")
	}
	if o.Authorizer == nil && o.AuthEndpoint == "" {
		return o, errors.New("laravel: options: AuthEndpoint or Authorizer is required")
	}
	c := o.Connection
	for _, d := range []time.Duration{c.HeartbeatInterval, c.PongTimeout, c.HandshakeTimeout, c.ReconnectDelay, c.MaxReconnectDelay, c.SubscribeTimeout} {
		if d < 0 {
			return o, fmt.Errorf("laravel: options: negative duration %v", d)
		}
	}
	if c.MaxAttempts < 0 || c.ReadLimit < 0 || o.StreamBuffer < 0 || o.HistorySize < 0 {
		return o, errors.New("laravel: options: negative size or count")
	}
	o.Header = o.Header.Clone()
	o.Hosts = append([]string(nil), o.Hosts...)
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.ConversationChannel, DefaultConversationChannel)
	def(&o.UserChannel, DefaultUserChannel)
	def(&o.PresenceChannel, DefaultPresenceChannel)
	def(&o.Namespace, DefaultNamespace)
	def(&o.TypingEvent, DefaultTypingEvent)
	def(&o.ReadEvent, DefaultReadEvent)
	if !strings.Contains(o.ConversationChannel, "{id}") {
		return o, fmt.Errorf("laravel: options: conversation channel %q has no {id}", o.ConversationChannel)
	}
	if !o.DisableUserChannel {
		if o.UserID == "" {
			return o, errors.New("laravel: options: UserID is required for the user channel")
		}
		if _, err := pusher.ChannelKind(strings.ReplaceAll(o.UserChannel, "{id}", o.UserID)); err != nil {
			return o, fmt.Errorf("laravel: options: user channel: %w", err)
		}
	}
	if !o.DisablePresence {
		if _, err := pusher.ChannelKind(o.PresenceChannel); err != nil {
			return o, fmt.Errorf("laravel: options: presence channel: %w", err)
		}
	}
	for _, ev := range []string{o.TypingEvent, o.ReadEvent} {
		if !strings.HasPrefix(ev, "client-") {
			return o, fmt.Errorf("laravel: options: whisper event %q must start with \"client-\"", ev)
		}
	}
	if o.Events == nil {
		o.Events = map[string]Decoder{} // the shared default table is used
	} else {
		m := make(map[string]Decoder, len(o.Events))
		for k, v := range o.Events {
			m[k] = v
		}
		o.Events = m
	}
	o.Conversations = append([]string(nil), o.Conversations...)
	if o.HistorySize <= 0 {
		o.HistorySize = DefaultHistorySize
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// pusherOptions assembles the protocol client's options; authorizer signs
// the subscriptions.
func (o *Options) pusherOptions(authorizer pusher.Authorizer, users pusher.UserAuthenticator) pusher.Options {
	c := o.Connection
	newClient := o.Transport
	if newClient == nil {
		readLimit, logger := c.ReadLimit, o.Logger
		newClient = func() network.WebSocketClient {
			return network.NewGorillaClient(network.GorillaOptions{ReadLimit: readLimit, Logger: logger})
		}
	}
	return pusher.Options{
		Host:              o.Host,
		Hosts:             o.Hosts,
		Key:               o.Key,
		TLS:               o.TLS,
		TLSFallback:       true,
		Header:            o.Header,
		Authorizer:        authorizer,
		UserAuthenticator: users,
		SubscribeTimeout:  c.SubscribeTimeout,
		PresenceGrace:     c.PresenceGrace,
		PresenceRefresh:   c.PresenceRefresh,
		Logger:            o.Logger,
		Manager: network.ManagerOptions{
			NewClient:         newClient,
			HandshakeTimeout:  c.HandshakeTimeout,
			HeartbeatInterval: c.HeartbeatInterval,
			PongTimeout:       c.PongTimeout,
			ReconnectDelay:    c.ReconnectDelay,
			MaxReconnectDelay: c.MaxReconnectDelay,
			MaxAttempts:       c.MaxAttempts,
			Clock:             o.Clock,
			Logger:            o.Logger,
		},
	}
}

// conversationChannel returns the channel of a conversation.
func (o *Options) conversationChannel(id string) string {
	return strings.ReplaceAll(o.ConversationChannel, "{id}", id)
}

// conversationOf returns the conversation id a channel name carries, if it
// is a conversation channel.
func (o *Options) conversationOf(channel string) (string, bool) {
	prefix, suffix, _ := strings.Cut(o.ConversationChannel, "{id}")
	if len(channel) <= len(prefix)+len(suffix) || !strings.HasPrefix(channel, prefix) || !strings.HasSuffix(channel, suffix) {
		return "", false
	}
	return channel[len(prefix) : len(channel)-len(suffix)], true
}

// userChannel returns this user's channel.
func (o *Options) userChannel() string {
	return strings.ReplaceAll(o.UserChannel, "{id}", o.UserID)
}
