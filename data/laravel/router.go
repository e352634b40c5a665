package laravel

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/data/internal/connstate"
	"github.com/chatwire/chatwire/domain"
)

// router is the DataSource as the protocol client's pusher.Handler: it
// maps every frame and state change on the client's routing goroutine,
// one at a time and in order, so the data source needs no goroutine of
// its own for them. Delivery stays lossless: while a typed stream's
// subscriber is behind, the routing goroutine waits, so does the
// connection manager feeding it, and TCP flow control holds the server
// back. Errors come from whichever goroutine of the client found them.
type router struct{ s *DataSource }

func (r router) Frame(f pusher.Frame)         { r.s.handleFrame(f) }
func (r router) State(sc network.StateChange) { r.s.handleState(sc) }
func (r router) Error(err error)              { r.s.hub.Report(classify(err)) }

// handleFrame maps one inbound frame. It runs on the client's routing
// goroutine only.
func (s *DataSource) handleFrame(f pusher.Frame) {
	now := s.clock.Now()
	if f.Synthetic {
		// Made by the protocol client (a grace period that ended): it
		// changes the members, it was not received.
		if f.Channel == s.opts.PresenceChannel && !s.opts.DisablePresence {
			s.onPresence(f, now)
		}
		s.dispatchMembers(f)
		return
	}
	s.hub.PublishRaw(domain.RawFrame{Type: f.Event, Data: f.Raw, ReceivedAt: now})
	switch f.Event {
	case pusher.EventConnectionEstablished:
		return // the state change carries the socket id
	case pusher.EventSubscriptionSucceeded, pusher.EventMemberAdded, pusher.EventMemberRemoved:
		if f.Channel == s.opts.PresenceChannel && !s.opts.DisablePresence {
			s.onPresence(f, now)
		}
		s.dispatchMembers(f)
		return
	case pusher.EventCacheMiss:
		s.dispatch(f, nil, nil, now)
		return
	case pusher.EventSubscriptionCount:
		f.Event = pusher.EventSubscriptionCountChanged
		s.dispatch(f, nil, nil, now)
		return
	}
	if f.Channel == "" || strings.HasPrefix(f.Event, "pusher:") || strings.HasPrefix(f.Event, "pusher_internal:") {
		return
	}
	if f.Encrypted && f.Data == nil {
		return // undecryptable: the protocol client reported it
	}
	toUser := strings.HasPrefix(f.Channel, pusher.ServerToUserPrefix)
	s.mu.Lock()
	wanted := s.wanted[f.Channel] || toUser
	s.mu.Unlock()
	if !wanted {
		return
	}
	data := payloadOf(f.Data)
	dec, ok := s.events.lookup(f.Event)
	if !ok {
		s.dispatch(f, data, nil, now) // unknown events: raw JSON to listeners
		if toUser {
			s.userEvents.Publish(ChannelEvent{Channel: f.Channel, Event: f.Event, Data: data, ReceivedAt: now})
		}
		return
	}
	conv, _ := s.opts.conversationOf(f.Channel)
	ev, err := dec(Event{Name: f.Event, Channel: f.Channel, ConversationID: conv, UserID: f.UserID, Data: data, ReceivedAt: now})
	if err != nil {
		s.log.Debug("laravel: undecodable event", "event", f.Event, "channel", f.Channel, "err", err)
		s.hub.Report(domain.ClassDecode, false, &domain.DecodeError{Type: f.Event, Err: err})
		ev = nil
	}
	s.dispatch(f, data, ev, now)
	if toUser {
		s.userEvents.Publish(ChannelEvent{Channel: f.Channel, Event: f.Event, Data: data, Typed: ev, ReceivedAt: now})
	}
	if ev != nil {
		s.deliver(ev, now)
	}
}

// deliver publishes a typed event once: messages are de-duplicated by id
// (or by sender and client id when they have none), read receipts by
// conversation, user and message, call state changes by call, kind and
// user.
func (s *DataSource) deliver(ev domain.Event, now time.Time) {
	s.mu.Lock()
	fresh := true
	switch e := ev.(type) {
	case domain.Message:
		fresh = s.freshMessageLocked(e)
	case domain.ReadReceipt:
		fresh = s.receiptKeys.Add("read\x00" + e.ConversationID + "\x00" + e.UserID + "\x00" + e.MessageID)
	case domain.CallEvent:
		switch e.Kind {
		case domain.CallOffer, domain.CallAnswer, domain.CallICECandidate:
		default:
			fresh = s.receiptKeys.Add("call\x00" + e.CallID + "\x00" + string(e.Kind) + "\x00" + e.UserID + "\x00" + e.EndedBy)
		}
	case domain.TypingIndicator:
		if e.ReceivedAt.IsZero() {
			e.ReceivedAt = now
			ev = e
		}
	}
	s.mu.Unlock()
	if fresh {
		s.hub.Publish(ev)
	}
}

// freshMessageLocked records m and reports whether no copy of it was seen.
// A message is its id; only an id-less one is its sender and client id
// together: the same client id from two senders is two messages. The
// caller holds s.mu.
func (s *DataSource) freshMessageLocked(m domain.Message) bool {
	switch {
	case m.ID != "":
		return s.messageIDs.Add(m.ID)
	case m.ClientID != "":
		return s.messageKeys.Add(m.SenderID + "\x00" + m.ClientID)
	}
	return true
}

// handleState folds a connection state change into the domain state.
func (s *DataSource) handleState(sc network.StateChange) {
	s.mu.Lock()
	st := &s.state
	connstate.Apply(st, sc, pusherErrors...)
	st.UserID = s.opts.UserID
	reconnected := false
	if sc.State == network.StateConnected {
		s.connects++
		reconnected = s.connects > 1
		if reconnected {
			// Pusher replays nothing: what was broadcast meanwhile is lost.
			st.Sync = domain.SyncIncomplete
		}
		// The client knows the socket id before it reports the state.
		st.SessionID = s.client.SocketID()
	}
	state := *st
	s.stateChangedLocked()
	s.mu.Unlock()
	s.hub.PublishState(state)
	if sc.State == network.StateFailed {
		s.hub.Report(domain.ClassConnection, true, state.Err)
	}
}

// payloadOf removes the protocol's string encoding from a frame's data in
// one pass: "{\"a\":1}" becomes {"a":1}. A string that does not hold an
// object or array stays the JSON string it is; an object or other value is
// returned as is. The result is not validated here: the decoder reading it
// does that, so the payload is scanned once.
func payloadOf(data json.RawMessage) json.RawMessage {
	if len(data) == 0 || data[0] != '"' {
		return data
	}
	inner, err := jsontext.AppendUnquote(nil, data)
	if err != nil {
		return data
	}
	i := 0
	for i < len(inner) && isSpace(inner[i]) {
		i++
	}
	if i < len(inner) && (inner[i] == '{' || inner[i] == '[') {
		return inner
	}
	return data
}
