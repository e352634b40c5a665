package laravel

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chatwire/chatwire/domain"
)

// Event is one channel event as a Decoder sees it.
type Event struct {
	// Name is the event name as it arrived ("App\Events\MessageSent",
	// "message.sent", "client-typing").
	Name    string
	Channel string
	// ConversationID is the id in the channel name when the event came on a
	// conversation channel; "" otherwise.
	ConversationID string
	// UserID is the sender of a client event on a presence channel, as the
	// server stamped it; "" otherwise (private channels do not say).
	UserID string
	// Data is the payload with the protocol's string encoding removed:
	// Laravel sends the event's public properties (or broadcastWith()) as a
	// JSON object. It is not validated beforehand (a decoder's parse
	// does that, so the payload is read once); a decoder may keep it.
	Data json.RawMessage
	// ReceivedAt is when the frame arrived, by Options.Clock.
	ReceivedAt time.Time
}

// Decoder maps one event's payload onto a domain event. The type of what it
// returns chooses the stream: domain.Message, domain.TypingIndicator,
// domain.ReadReceipt, domain.ConversationUpdate, domain.CallEvent or
// domain.UserStatusUpdate. A nil event with a nil error ignores the event
// (it reaches RawMessages only). An error is reported on Errors as a
// domain.ClassDecode *domain.Error and the session goes on.
//
// Decoders run on the protocol client's routing goroutine, one frame at a
// time; they must not block.
type Decoder func(Event) (domain.Event, error)

// DefaultEvents returns a new map of the default event names, which callers
// may modify and pass as Options.Events:
//
//	MessageSent, .message.sent             → DecodeMessage
//	UserIsTyping, .user.typing             → DecodeTyping
//	MessagesRead, .messages.read           → DecodeRead
//	ConversationCreated/Updated/Deleted,
//	.conversation.created/updated/deleted  → ConversationDecoder(action)
//	CallIncoming/Accepted/Rejected/Cancelled/Ended,
//	.call.incoming/accepted/...            → CallDecoder(kind)
//	UserStatusChanged, .user.status        → DecodeUserStatus
//	client-typing                          → DecodeTyping (Echo's whisper)
//	client-read                            → DecodeRead
//	client-call.invite/accept/reject/cancel/end/offer/answer/ice_candidate
//	                                       → CallDecoder(kind)
func DefaultEvents() map[string]Decoder {
	m := map[string]Decoder{
		"MessageSent":       DecodeMessage,
		".message.sent":     DecodeMessage,
		"UserIsTyping":      DecodeTyping,
		".user.typing":      DecodeTyping,
		"MessagesRead":      DecodeRead,
		".messages.read":    DecodeRead,
		"UserStatusChanged": DecodeUserStatus,
		".user.status":      DecodeUserStatus,
		DefaultTypingEvent:  DecodeTyping,
		DefaultReadEvent:    DecodeRead,
	}
	for _, a := range []struct {
		class string
		act   domain.ConversationAction
	}{{"Created", domain.ConversationCreated}, {"Updated", domain.ConversationUpdated}, {"Deleted", domain.ConversationDeleted}} {
		m["Conversation"+a.class] = ConversationDecoder(a.act)
		m[".conversation."+strings.ToLower(a.class)] = ConversationDecoder(a.act)
	}
	for _, k := range []domain.CallEventKind{domain.CallIncoming, domain.CallAccepted, domain.CallRejected, domain.CallCancelled, domain.CallEnded} {
		s := string(k)
		m["Call"+strings.ToUpper(s[:1])+s[1:]] = CallDecoder(k)
		m[".call."+s] = CallDecoder(k)
	}
	for sig, k := range signalKinds {
		m[CallEventPrefix+string(sig)] = CallDecoder(k)
	}
	return m
}

// signalKinds maps what this client sends to what the other side receives.
var signalKinds = map[domain.CallSignalKind]domain.CallEventKind{
	domain.SignalInvite:       domain.CallIncoming,
	domain.SignalAccept:       domain.CallAccepted,
	domain.SignalReject:       domain.CallRejected,
	domain.SignalCancel:       domain.CallCancelled,
	domain.SignalEnd:          domain.CallEnded,
	domain.SignalOffer:        domain.CallOffer,
	domain.SignalAnswer:       domain.CallAnswer,
	domain.SignalICECandidate: domain.CallICECandidate,
}

// defaultTable is the compiled table of the default options, shared by
// every data source that uses them (it is never modified).
var defaultTable = sync.OnceValues(func() (*eventTable, error) {
	o := Options{Events: DefaultEvents(), Namespace: DefaultNamespace, TypingEvent: DefaultTypingEvent, ReadEvent: DefaultReadEvent}
	return compileEvents(&o)
})

// eventTableFor returns the table of o's events: the shared one when o
// uses the defaults (defaults says Options.Events was nil).
func eventTableFor(o *Options, defaults bool) (*eventTable, error) {
	if defaults {
		if o.Namespace == DefaultNamespace && o.TypingEvent == DefaultTypingEvent && o.ReadEvent == DefaultReadEvent {
			return defaultTable()
		}
		o.Events = DefaultEvents()
	}
	return compileEvents(o)
}

// compileEvents adds the whisper events to o.Events (a copy owned by the
// options) and compiles them.
func compileEvents(o *Options) (*eventTable, error) {
	if _, ok := o.Events[o.TypingEvent]; !ok {
		o.Events[o.TypingEvent] = DecodeTyping
	}
	if _, ok := o.Events[o.ReadEvent]; !ok {
		o.Events[o.ReadEvent] = DecodeRead
	}
	return newEventTable(o.Events, o.Namespace)
}

// eventTable matches wire event names to decoders (see the package
// documentation for the rule).
type eventTable struct {
	exact map[string]Decoder
	base  map[string]Decoder // bare keys, matched against a class's basename
}

// newEventTable compiles Options.Events. It fails on a nil decoder and on
// two keys that match the same wire name.
func newEventTable(events map[string]Decoder, namespace string) (*eventTable, error) {
	t := &eventTable{exact: map[string]Decoder{}, base: map[string]Decoder{}}
	owner := map[string]string{}
	keys := make([]string, 0, len(events))
	for k := range events {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic conflict reports
	for _, key := range keys {
		dec := events[key]
		if dec == nil || key == "" || key == "." || key == `\` {
			return nil, fmt.Errorf("laravel: options: event %q: empty name or nil decoder", key)
		}
		for _, wire := range wireNames(key, namespace) {
			if prev, ok := owner[wire]; ok {
				return nil, fmt.Errorf("laravel: options: events %q and %q both match %q", prev, key, wire)
			}
			owner[wire] = key
			t.exact[wire] = dec
		}
		if !strings.ContainsAny(key, `.\`) {
			t.base[key] = dec
		}
	}
	return t, nil
}

// wireNames lists the wire names a key matches exactly.
func wireNames(key, namespace string) []string {
	switch {
	case key[0] == '.' || key[0] == '\\':
		// Echo: a leading dot or backslash means the name as broadcast.
		return []string{key[1:]}
	case strings.Contains(key, `\`):
		return []string{key} // a class name, as Laravel broadcasts it
	}
	echo := strings.ReplaceAll(strings.Trim(namespace, ".")+"."+key, ".", `\`)
	if echo == key {
		return []string{key}
	}
	return []string{echo, key}
}

// lookup returns the decoder of a wire event name.
func (t *eventTable) lookup(name string) (Decoder, bool) {
	if d, ok := t.exact[name]; ok {
		return d, true
	}
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		if d, ok := t.base[name[i+1:]]; ok {
			return d, true
		}
	}
	return nil, false
}
