package laravel

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/data/internal/connstate"
	"github.com/chatwire/chatwire/domain"
)

// startPump subscribes to the client's frames, states and errors and
// starts the goroutine that maps them. The caller holds s.mu; it runs
// before the client connects, so nothing is missed. Frames is lossless:
// the client waits for the pump rather than dropping a frame. The streams
// end when the client closes (no context of ours: a context that is not
// the standard library's would cost a goroutine per stream).
func (s *DataSource) startPump() {
	ctx := context.Background()
	frames := s.client.Frames(ctx)
	states := s.client.States(ctx)
	errs := s.client.Errors(ctx)
	go s.pump(frames, states, errs)
}

// pump runs until the client's streams close at Close. Frames never cuts
// it off; the state and error streams could only if the pump fell far
// behind on them, and are then resubscribed (the client reports the
// eviction on its error stream).
func (s *DataSource) pump(frames <-chan pusher.Frame, states <-chan network.StateChange, errs <-chan error) {
	defer close(s.pumpDone)
	ctx := context.Background()
	for {
		select {
		case f, ok := <-frames:
			if !ok {
				return // only Close ends it
			}
			s.handleFrame(f)
		case sc, ok := <-states:
			if !ok {
				if s.isClosing() {
					return
				}
				states = s.client.States(ctx)
				continue
			}
			s.handleState(sc)
		case err, ok := <-errs:
			if !ok {
				if s.isClosing() {
					return
				}
				errs = s.client.Errors(ctx)
				continue
			}
			s.hub.Report(classify(err))
		}
	}
}

func (s *DataSource) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// handleFrame maps one inbound frame. It runs on the pump only.
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
