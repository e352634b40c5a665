package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

// watcher prints what one user's data source delivers (typed events) and
// how its notifiers' state moves (message status, call phase) to a
// transcript, and records the messages for the demo's invariants.
//
// Concurrency: one goroutine, started by watch, reads every subscription;
// it ends when they all have closed (the data source and the notifiers are
// closed). wait blocks until then; after it returns nothing more is
// printed or recorded.
type watcher struct {
	user   string // the transcript's user column
	selfID string // the user id, to tell own messages apart; "" means ask src
	src    domain.ChatWebSocketDataSource
	tr     *transcript
	rec    *recorder
	done   chan struct{}

	// Only the watcher goroutine touches what follows.
	conn     domain.ConnectionState
	statuses map[string]presentation.MessageStatus // own messages by client id
	call     presentation.Call
}

// watch subscribes to src and ns at once (so nothing published after it
// returns is missed) and starts the watcher goroutine. rec may be shared
// by successive sessions of one user.
func watch(src domain.ChatWebSocketDataSource, ns *presentation.Notifiers, tr *transcript, user, self string, rec *recorder) *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{user: user, selfID: self, src: src, tr: tr, rec: rec, done: make(chan struct{}),
		conn: src.ConnectionState(), statuses: map[string]presentation.MessageStatus{}}
	s := subscriptions{
		messages: src.Messages(ctx),
		typing:   src.Typing(ctx),
		statuses: src.UserStatuses(ctx),
		convs:    src.ConversationUpdates(ctx),
		receipts: src.ReadReceipts(ctx),
		calls:    src.Calls(ctx),
		states:   src.ConnectionStates(ctx),
		errs:     src.Errors(ctx),
		msgState: ns.Messages.Changes(ctx),
		call:     ns.Calls.Changes(ctx),
	}
	go func() {
		defer close(w.done)
		defer cancel()
		w.loop(s)
	}()
	return w
}

type subscriptions struct {
	messages <-chan domain.Message
	typing   <-chan domain.TypingIndicator
	statuses <-chan domain.UserStatusUpdate
	convs    <-chan domain.ConversationUpdate
	receipts <-chan domain.ReadReceipt
	calls    <-chan domain.CallEvent
	states   <-chan domain.ConnectionState
	errs     <-chan error
	msgState <-chan presentation.Messages
	call     <-chan presentation.Call
}

func (s *subscriptions) open() bool {
	return s.messages != nil || s.typing != nil || s.statuses != nil || s.convs != nil ||
		s.receipts != nil || s.calls != nil || s.states != nil || s.errs != nil ||
		s.msgState != nil || s.call != nil
}

// recv reads one value from *ch; on a closed channel it sets *ch to nil.
func recv[T any](ch *<-chan T, v T, ok bool, f func(T)) {
	if !ok {
		*ch = nil
		return
	}
	f(v)
}

func (w *watcher) loop(s subscriptions) {
	for s.open() {
		select {
		case v, ok := <-s.messages:
			recv(&s.messages, v, ok, w.message)
		case v, ok := <-s.typing:
			recv(&s.typing, v, ok, w.typing)
		case v, ok := <-s.statuses:
			recv(&s.statuses, v, ok, w.presence)
		case v, ok := <-s.convs:
			recv(&s.convs, v, ok, w.conversation)
		case v, ok := <-s.receipts:
			recv(&s.receipts, v, ok, w.receipt)
		case v, ok := <-s.calls:
			recv(&s.calls, v, ok, w.callEvent)
		case v, ok := <-s.states:
			recv(&s.states, v, ok, w.connState)
		case v, ok := <-s.errs:
			recv(&s.errs, v, ok, w.asyncError)
		case v, ok := <-s.msgState:
			recv(&s.msgState, v, ok, w.messageStates)
		case v, ok := <-s.call:
			recv(&s.call, v, ok, w.callState)
		}
	}
}

// wait blocks until the watcher has read every subscription to its end.
func (w *watcher) wait() { <-w.done }

// self returns this user's id: the one given to watch, else what the
// server said at session start.
func (w *watcher) self() string {
	if w.selfID != "" {
		return w.selfID
	}
	return w.src.ConnectionState().UserID
}

func (w *watcher) line(kind, format string, args ...any) { w.tr.line(w.user, kind, format, args...) }

func (w *watcher) message(m domain.Message) {
	w.rec.add(m)
	if m.SenderID == w.self() {
		w.line(kindSent, "%s", conv(m.ConversationID, "%s: %s (confirmed by the server, id %s)", m.SenderID, quote(m.Content), short(m.ID)))
		return
	}
	w.line(kindMessage, "%s", conv(m.ConversationID, "%s: %s", m.SenderID, quote(m.Content)))
}

func (w *watcher) typing(t domain.TypingIndicator) {
	what := "stopped typing"
	if t.IsTyping {
		what = "is typing…"
	}
	w.line(kindTyping, "%s", conv(t.ConversationID, "%s %s", t.UserID, what))
}

func (w *watcher) presence(u domain.UserStatusUpdate) {
	if u.LastSeen.IsZero() {
		w.line(kindPresence, "%s is %s", u.UserID, u.Status)
		return
	}
	w.line(kindPresence, "%s is %s (last seen %s)", u.UserID, u.Status, u.LastSeen.Format("15:04:05.000"))
}

func (w *watcher) conversation(u domain.ConversationUpdate) {
	w.rec.seq(u.Seq)
	var parts []string
	if u.Title != "" {
		parts = append(parts, fmt.Sprintf("%q", u.Title))
	}
	if len(u.ParticipantIDs) > 0 {
		parts = append(parts, "members "+strings.Join(u.ParticipantIDs, ","))
	}
	if u.UnreadCount != nil {
		parts = append(parts, fmt.Sprintf("unread %d", *u.UnreadCount))
	}
	w.line(kindConv, "%s", conv(u.ConversationID, "%s %s", u.Action, strings.Join(parts, ", ")))
}

func (w *watcher) receipt(r domain.ReadReceipt) {
	w.rec.seq(r.Seq)
	w.line(kindReceipt, "%s", conv(r.ConversationID, "%s read up to %s", r.UserID, short(r.MessageID)))
}

func (w *watcher) callEvent(e domain.CallEvent) {
	w.rec.seq(e.Seq)
	switch e.Kind {
	case domain.CallIncoming:
		w.line(kindCall, "%s", conv(e.ConversationID, "incoming %s call %s from %s", e.Media, short(e.CallID), e.CallerID))
	case domain.CallAccepted, domain.CallRejected, domain.CallCancelled:
		w.line(kindCall, "call %s %s by %s%s", short(e.CallID), e.Kind, e.UserID, reason(e.Reason))
	case domain.CallEnded:
		w.line(kindCall, "call %s ended by %s after %s%s", short(e.CallID), e.EndedBy, ms(e.Duration), reason(e.Reason))
	default:
		w.line(kindCall, "call %s signal %s from %s", short(e.CallID), e.Kind, e.From)
	}
}

func reason(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

func (w *watcher) connState(s domain.ConnectionState) {
	prev := w.conn
	w.conn = s
	if s.Status != prev.Status || s.Attempt != prev.Attempt {
		switch s.Status {
		case domain.Reconnecting:
			delay := s.NextRetryAt.Sub(s.At)
			w.line(kindConn, "reconnecting: attempt %d in %s%s", s.Attempt, ms(delay), errSuffix(s.Err))
		case domain.Failed:
			w.line(kindConn, "failed, not retrying%s", errSuffix(s.Err))
		default:
			w.line(kindConn, "%s%s", s.Status, errSuffix(s.Err))
		}
	}
	if s.SessionID != prev.SessionID && s.SessionID != "" {
		w.line(kindConn, "session %s ready for %s", short(s.SessionID), s.UserID)
	}
	if s.Sync != prev.Sync {
		switch s.Sync {
		case domain.Syncing:
			w.line(kindSync, "catching up: asked the server to replay what was missed")
		case domain.SyncComplete:
			w.line(kindSync, "sync complete: everything missed has been replayed")
		case domain.SyncIncomplete:
			w.line(kindSync, "sync incomplete: the server's history no longer reaches back; refetch history")
		}
	}
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " (" + err.Error() + ")"
}

func (w *watcher) asyncError(err error) {
	var de *domain.Error
	if errors.As(err, &de) && de.Class == domain.ClassConnection && !de.Fatal {
		return // the conn line of the same drop says it
	}
	w.line(kindError, "%v", err)
}

// messageStates prints this user's messages as the MessagesNotifier moves
// them: shown at once as sending, then read or failed (sent is the
// confirmation line).
func (w *watcher) messageStates(snap presentation.Messages) {
	self := w.self()
	convs := slices.Sorted(maps.Keys(snap.ByConversation))
	for _, convID := range convs {
		list := snap.ByConversation[convID]
		var read []string
		for _, m := range list {
			if m.SenderID != self || m.ClientID == "" {
				continue
			}
			prev, seen := w.statuses[m.ClientID]
			w.statuses[m.ClientID] = m.Status
			if seen && prev == m.Status {
				continue
			}
			switch m.Status {
			case presentation.MessageSending:
				if !seen {
					w.line(kindSending, "%s", conv(convID, "%s (shown at once as sending)", quote(m.Content)))
				}
			case presentation.MessageRead:
				read = append(read, quote(m.Content))
			case presentation.MessageFailed:
				w.line(kindMsgState, "%s", conv(convID, "%s failed: %v", quote(m.Content), m.Err))
			}
		}
		if len(read) > 0 {
			w.line(kindMsgState, "%s", conv(convID, "read by others: %s", strings.Join(read, ", ")))
		}
	}
}

func (w *watcher) callState(c presentation.Call) {
	prev := w.call
	w.call = c
	if c.Phase == prev.Phase && c.ID == prev.ID {
		return
	}
	if c.Phase == presentation.CallIdle {
		return
	}
	switch c.Phase {
	case presentation.CallOutgoingRinging:
		w.line(kindCallState, "outgoing ringing: calling %s (%s, call %s)", strings.Join(c.CalleeIDs, ","), c.Media, short(c.ID))
	case presentation.CallIncomingRinging:
		w.line(kindCallState, "incoming ringing: %s is calling (%s, call %s)", c.CallerID, c.Media, short(c.ID))
	case presentation.CallActive:
		w.line(kindCallState, "active (call %s)", short(c.ID))
	default:
		detail := ""
		if c.EndedBy != "" {
			detail = " by " + c.EndedBy
		}
		if c.Duration > 0 {
			detail += " after " + ms(c.Duration)
		}
		w.line(kindCallState, "%s%s%s (call %s)", c.Phase, detail, reason(c.Reason), short(c.ID))
	}
}
