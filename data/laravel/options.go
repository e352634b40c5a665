package laravel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/pusher"
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

// TokenSource returns a fresh bearer token. It is asked when the
// authorization endpoint or the HTTP API refuses the current token (401 or
// 403), once per refusal. It must be safe for concurrent use.
type TokenSource func(ctx context.Context) (string, error)

// Options configure a DataSource. They are copied by New and never
// modified; zero values take the documented defaults.
type Options struct {
	// Pusher configures the protocol client: Host ("127.0.0.1:6001" for
	// Soketi, "127.0.0.1:8080" for Reverb, "ws-eu.pusher.com" for Pusher,
	// with TLS) and Key are required. A nil Pusher.Authorizer means an
	// HTTPAuthorizer on AuthEndpoint with the session's bearer token. A nil
	// Pusher.Logger means Logger; a nil Pusher.Manager.Clock means Clock; a
	// zero Pusher.Buffer means 1024 (the pump reads the client's frames
	// through it and is cut off only if it falls that far behind).
	Pusher pusher.Options
	// AuthEndpoint is Laravel's channel authorization URL, for example
	// "https://app.example/broadcasting/auth". Required unless
	// Pusher.Authorizer is set.
	AuthEndpoint string
	// TokenSource refreshes the bearer token after a 401 or 403 from the
	// auth endpoint or the HTTP API; nil keeps the token given to Connect.
	TokenSource TokenSource

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

// withDefaults returns a copy of o with defaults filled in, or an error for
// a configuration that cannot work.
func (o Options) withDefaults() (Options, error) {
	if o.Pusher.Host == "" || o.Pusher.Key == "" {
		return o, errors.New("laravel: options: Pusher.Host and Pusher.Key are required")
	}
	if o.Pusher.Authorizer == nil && o.AuthEndpoint == "" {
		return o, errors.New("laravel: options: AuthEndpoint or Pusher.Authorizer is required")
	}
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
		o.Events = DefaultEvents()
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
	if o.Pusher.Logger == nil {
		o.Pusher.Logger = o.Logger
	}
	if o.Pusher.Manager.Clock == nil {
		o.Pusher.Manager.Clock = o.Clock
	}
	if o.Pusher.Buffer <= 0 {
		// The pump reads the client's frames without ever waiting, but a
		// burst must not cut it off.
		o.Pusher.Buffer = 1024
	}
	return o, nil
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
