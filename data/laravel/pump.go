package laravel

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/data/internal/connstate"
	"github.com/chatwire/chatwire/domain"
)

// startPump subscribes to the client's frames, states and errors and
// starts the goroutine that maps them. The caller holds s.mu; it runs
// before the client connects, so nothing is missed.
func (s *DataSource) startPump() {
	ctx := closingContext{s.closing}
	frames := s.client.Frames(ctx)
	states := s.client.States(ctx)
	errs := s.client.Errors(ctx)
	go s.pump(frames, states, errs)
}

// pump runs until the client's streams close at Close. A stream that
// closes earlier cut the pump off as too slow: it is resubscribed and the
// loss reported.
func (s *DataSource) pump(frames <-chan pusher.Frame, states <-chan network.StateChange, errs <-chan error) {
	defer close(s.pumpDone)
	ctx := closingContext{s.closing}
	for {
		select {
		case f, ok := <-frames:
			if !ok {
				if s.isClosing() {
					return
				}
				// The client reports the eviction on its error stream.
				frames = s.client.Frames(ctx)
				continue
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
	raw, _ := json.Marshal(f)
	s.hub.PublishRaw(domain.RawFrame{Type: f.Event, Data: raw, ReceivedAt: now})
	switch f.Event {
	case pusher.EventConnectionEstablished:
		s.onEstablished(f)
		return
	case pusher.EventSubscriptionSucceeded, pusher.EventMemberAdded, pusher.EventMemberRemoved:
		if f.Channel == s.opts.PresenceChannel && !s.opts.DisablePresence {
			s.onPresence(f, now)
		}
		return
	}
	if f.Channel == "" || strings.HasPrefix(f.Event, "pusher:") || strings.HasPrefix(f.Event, "pusher_internal:") {
		return
	}
	s.mu.Lock()
	wanted := s.wanted[f.Channel]
	s.mu.Unlock()
	if !wanted {
		return
	}
	dec, ok := s.events.lookup(f.Event)
	if !ok {
		return // unknown events reach RawMessages only
	}
	conv, _ := s.opts.conversationOf(f.Channel)
	ev, err := dec(Event{Name: f.Event, Channel: f.Channel, ConversationID: conv, UserID: f.UserID, Data: f.Payload(), ReceivedAt: now})
	if err != nil {
		s.log.Debug("laravel: undecodable event", "event", f.Event, "channel", f.Channel, "err", err)
		s.hub.Report(domain.ClassDecode, false, &domain.DecodeError{Type: f.Event, Err: err})
		return
	}
	if ev != nil {
		s.deliver(ev, now)
	}
}

// deliver publishes a typed event once: messages are de-duplicated by id
// and client id, read receipts by conversation, user and message, call
// state changes by call, kind and user.
func (s *DataSource) deliver(ev domain.Event, now time.Time) {
	s.mu.Lock()
	fresh := true
	switch e := ev.(type) {
	case domain.Message:
		fresh = s.freshMessageLocked(e)
	case domain.ReadReceipt:
		fresh = s.receiptKeys.add("read\x00" + e.ConversationID + "\x00" + e.UserID + "\x00" + e.MessageID)
	case domain.CallEvent:
		switch e.Kind {
		case domain.CallOffer, domain.CallAnswer, domain.CallICECandidate:
		default:
			fresh = s.receiptKeys.add("call\x00" + e.CallID + "\x00" + string(e.Kind) + "\x00" + e.UserID + "\x00" + e.EndedBy)
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
// The caller holds s.mu.
func (s *DataSource) freshMessageLocked(m domain.Message) bool {
	seen := (m.ID != "" && s.messageIDs.has(m.ID)) || (m.ClientID != "" && s.clientIDs.has(m.ClientID))
	// Remember both keys, whichever matched.
	if m.ID != "" {
		s.messageIDs.add(m.ID)
	}
	if m.ClientID != "" {
		s.clientIDs.add(m.ClientID)
	}
	return !seen
}

// onEstablished records the new socket id as the session id.
func (s *DataSource) onEstablished(f pusher.Frame) {
	var d struct {
		SocketID string `json:"socket_id"`
	}
	if json.Unmarshal(f.Payload(), &d) != nil || d.SocketID == "" {
		return
	}
	s.mu.Lock()
	s.socketID = d.SocketID
	publish := s.state.Status == domain.Connected && s.state.SessionID != d.SocketID
	if publish {
		s.state.SessionID = d.SocketID
	}
	state := s.state
	s.mu.Unlock()
	if publish {
		s.hub.PublishState(state)
	}
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
		if id := s.client.SocketID(); id != "" {
			s.socketID = id
		}
		st.SessionID = s.socketID
	}
	state := *st
	s.mu.Unlock()
	s.hub.PublishState(state)
	if sc.State == network.StateFailed {
		s.hub.Report(domain.ClassConnection, true, state.Err)
	}
	if reconnected {
		// Channels the client dropped after a refusal are tried again.
		s.ensureAll()
	}
}
