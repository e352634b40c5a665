package presentation

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/chatwire/chatwire/domain"
	"go.uber.org/mock/gomock"
)

// callRig is a CallNotifier over a mock whose SendCallSignal records every
// signal and answers with failWith (nil by default).
type callRig struct {
	src     *source
	n       *CallNotifier
	changes <-chan Call
	sent    *recorder[domain.CallSignal]
	failOn  map[domain.CallSignalKind]error
}

func newCalls(t *testing.T, opts CallOptions) *callRig {
	src := newSource(t)
	r := &callRig{src: src, sent: newRecorder[domain.CallSignal](), failOn: map[domain.CallSignalKind]error{}}
	src.EXPECT().SendCallSignal(gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, s domain.CallSignal) error {
			r.sent.add(s)
			return r.failOn[s.Kind]
		}).AnyTimes()
	opts.Clock = src.clock
	r.n = NewCallNotifier(src, opts)
	t.Cleanup(r.n.Close)
	r.changes = r.n.Changes(t.Context())
	return r
}

func (r *callRig) waitPhase(t *testing.T, p CallPhase) Call {
	t.Helper()
	return waitFor(t, r.changes, p.String(), func(c Call) bool { return c.Phase == p })
}

func incomingCall(id, from string) domain.CallEvent {
	return domain.CallEvent{Kind: domain.CallIncoming, CallID: id, ConversationID: "c-" + from,
		CallerID: from, CalleeIDs: []string{me}, Media: domain.MediaVideo}
}

func TestCallOutgoingAcceptedThenEnded(t *testing.T) {
	r := newCalls(t, CallOptions{})
	c, err := r.n.Call(t.Context(), "c1", []string{"u2"}, domain.MediaVideo)
	if err != nil {
		t.Fatal(err)
	}
	if c.Phase != CallOutgoingRinging || !c.Outgoing || c.CallerID != me || len(c.ID) != 36 || !c.RingingSince.Equal(t0) {
		t.Fatalf("after Call: %+v", c)
	}
	inv := r.sent.next(t)
	if inv.Kind != domain.SignalInvite || inv.CallID != c.ID || inv.ConversationID != "c1" ||
		!slices.Equal(inv.CalleeIDs, []string{"u2"}) || inv.Media != domain.MediaVideo {
		t.Fatalf("invite = %+v", inv)
	}
	if _, err := r.n.Call(t.Context(), "c1", []string{"u3"}, ""); !errors.Is(err, ErrCallInProgress) {
		t.Fatalf("second Call = %v, want ErrCallInProgress", err)
	}
	r.src.clock.Advance(2 * time.Second)
	r.src.calls.push(t, domain.CallEvent{Kind: domain.CallAccepted, CallID: c.ID, UserID: "u2"})
	a := r.waitPhase(t, CallActive)
	if !a.AnsweredAt.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("answered at %v", a.AnsweredAt)
	}
	r.src.clock.Advance(time.Hour) // the ring timer must be gone
	if r.n.Value().Phase != CallActive {
		t.Fatal("the ring timeout fired on an active call")
	}
	r.src.calls.push(t, domain.CallEvent{Kind: domain.CallEnded, CallID: c.ID, EndedBy: "u2", Reason: "bye"})
	e := r.waitPhase(t, CallEnded)
	if e.EndedBy != "u2" || e.Reason != "bye" || e.Duration != time.Hour {
		t.Fatalf("ended = %+v", e)
	}
	r.sent.none(t)
}

func TestCallOutgoingRejected(t *testing.T) {
	r := newCalls(t, CallOptions{})
	c, _ := r.n.Call(t.Context(), "g1", []string{"u2", "u3"}, domain.MediaAudio)
	r.sent.next(t)
	r.src.calls.push(t,
		domain.CallEvent{Kind: domain.CallRejected, CallID: c.ID, UserID: "u2"},
		domain.CallEvent{Kind: domain.CallRejected, CallID: "other", UserID: "u3"}, // another call: ignored
	)
	// One of two callees rejected: still ringing; the second rejection
	// ends the call.
	r.src.calls.push(t, domain.CallEvent{Kind: domain.CallRejected, CallID: c.ID, UserID: "u3", Reason: "no"})
	v := r.waitPhase(t, CallRejected)
	if v.EndedBy != "u3" || v.Reason != "no" {
		t.Fatalf("rejected = %+v", v)
	}
}

func TestCallGroupStillRingsAfterOneRejection(t *testing.T) {
	r := newCalls(t, CallOptions{})
	c, _ := r.n.Call(t.Context(), "g1", []string{"u2", "u3"}, domain.MediaAudio)
	r.sent.next(t)
	r.src.calls.push(t,
		domain.CallEvent{Kind: domain.CallRejected, CallID: c.ID, UserID: "u2"},
		domain.CallEvent{Kind: domain.CallAccepted, CallID: c.ID, UserID: "u3"},
	)
	v := r.waitPhase(t, CallActive)
	if v.ID != c.ID {
		t.Fatalf("active call = %+v", v)
	}
}

func TestCallOutgoingRingTimeoutCancels(t *testing.T) {
	r := newCalls(t, CallOptions{})
	c, _ := r.n.Call(t.Context(), "c1", []string{"u2"}, "")
	if c.Media != domain.MediaAudio {
		t.Fatalf("default media = %q", c.Media)
	}
	r.sent.next(t)
	r.src.clock.Advance(45*time.Second - time.Millisecond)
	if r.n.Value().Phase != CallOutgoingRinging {
		t.Fatal("stopped ringing before 45 s")
	}
	r.src.clock.Advance(time.Millisecond)
	v := r.n.Value()
	if v.Phase != CallCancelled || v.Reason != ReasonTimeout {
		t.Fatalf("after 45 s: %+v", v)
	}
	if s := r.sent.next(t); s.Kind != domain.SignalCancel || s.CallID != c.ID || s.Reason != ReasonTimeout {
		t.Fatalf("timeout sent %+v, want a cancel", s)
	}
	// A late acceptance does not revive the call.
	r.src.calls.push(t, domain.CallEvent{Kind: domain.CallAccepted, CallID: c.ID, UserID: "u2"},
		incomingCall("marker", "u7"))
	r.waitPhase(t, CallIncomingRinging)
}

func TestCallIncomingAcceptedThenHungUp(t *testing.T) {
	r := newCalls(t, CallOptions{})
	r.src.calls.push(t, incomingCall("k1", "u2"))
	v := r.waitPhase(t, CallIncomingRinging)
	if v.ID != "k1" || v.CallerID != "u2" || v.Outgoing || v.Media != domain.MediaVideo {
		t.Fatalf("incoming = %+v", v)
	}
	if err := r.n.Accept(t.Context(), "wrong"); !errors.Is(err, ErrNoSuchCall) {
		t.Fatalf("Accept(wrong) = %v", err)
	}
	if err := r.n.Accept(t.Context(), "k1"); err != nil {
		t.Fatal(err)
	}
	if s := r.sent.next(t); s.Kind != domain.SignalAccept || s.CallID != "k1" {
		t.Fatalf("accept sent %+v", s)
	}
	if r.n.Value().Phase != CallActive {
		t.Fatal("not active after Accept")
	}
	r.src.clock.Advance(30 * time.Second)
	if err := r.n.Hangup(t.Context(), "k1"); err != nil {
		t.Fatal(err)
	}
	if s := r.sent.next(t); s.Kind != domain.SignalEnd || s.CallID != "k1" {
		t.Fatalf("hangup sent %+v", s)
	}
	e := r.n.Value()
	if e.Phase != CallEnded || e.Duration != 30*time.Second || e.EndedBy != me {
		t.Fatalf("after hangup: %+v", e)
	}
	if err := r.n.Hangup(t.Context(), "k1"); !errors.Is(err, ErrNoSuchCall) {
		t.Fatalf("second Hangup = %v", err)
	}
}

func TestCallAcceptEchoBeforeSendReturns(t *testing.T) {
	src := newSource(t)
	n := NewCallNotifier(src, CallOptions{Clock: src.clock})
	defer n.Close()
	changes := n.Changes(t.Context())
	src.calls.push(t, incomingCall("k1", "u2"))
	waitFor(t, changes, "ringing", func(c Call) bool { return c.Phase == CallIncomingRinging })
	// The server echoes call.accepted to the accepter too; here the echo is
	// handled before SendCallSignal returns. It must not read as "answered
	// elsewhere".
	src.EXPECT().SendCallSignal(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, s domain.CallSignal) error {
		src.calls.push(t, domain.CallEvent{Kind: domain.CallAccepted, CallID: s.CallID, UserID: me})
		waitFor(t, changes, "active", func(c Call) bool { return c.Phase != CallIncomingRinging })
		return nil
	})
	if err := n.Accept(t.Context(), "k1"); err != nil {
		t.Fatal(err)
	}
	if v := n.Value(); v.Phase != CallActive || v.Reason != "" {
		t.Fatalf("after Accept: %+v", v)
	}
}

func TestCallAcceptSendFailureKeepsRinging(t *testing.T) {
	r := newCalls(t, CallOptions{})
	r.failOn[domain.SignalAccept] = domain.ErrNotConnected
	r.src.calls.push(t, incomingCall("k1", "u2"))
	r.waitPhase(t, CallIncomingRinging)
	if err := r.n.Accept(t.Context(), "k1"); !errors.Is(err, domain.ErrNotConnected) {
		t.Fatalf("Accept = %v", err)
	}
	r.sent.next(t)
	if r.n.Value().Phase != CallIncomingRinging {
		t.Fatal("a failed accept left the ringing state")
	}
}

func TestCallIncomingRejected(t *testing.T) {
	r := newCalls(t, CallOptions{})
	r.src.calls.push(t, incomingCall("k1", "u2"))
	r.waitPhase(t, CallIncomingRinging)
	if err := r.n.Reject(t.Context(), "k1", "in a meeting"); err != nil {
		t.Fatal(err)
	}
	if s := r.sent.next(t); s.Kind != domain.SignalReject || s.CallID != "k1" || s.Reason != "in a meeting" {
		t.Fatalf("reject sent %+v", s)
	}
	if v := r.n.Value(); v.Phase != CallRejected || v.EndedBy != me {
		t.Fatalf("after Reject: %+v", v)
	}
}

func TestCallIncomingMissedAfterRingTimeout(t *testing.T) {
	r := newCalls(t, CallOptions{RingTimeout: 10 * time.Second})
	r.src.calls.push(t, incomingCall("k1", "u2"))
	r.waitPhase(t, CallIncomingRinging)
	r.src.clock.Advance(10 * time.Second)
	if v := r.n.Value(); v.Phase != CallMissed || v.Reason != ReasonTimeout {
		t.Fatalf("after ring timeout: %+v", v)
	}
	r.sent.none(t) // a missed call sends nothing
	if err := r.n.Accept(t.Context(), "k1"); !errors.Is(err, ErrNoSuchCall) {
		t.Fatalf("Accept of a missed call = %v", err)
	}
}

func TestCallIncomingEvents(t *testing.T) {
	tests := []struct {
		name   string
		ev     domain.CallEvent
		phase  CallPhase
		reason string
	}{
		{"caller cancels", domain.CallEvent{Kind: domain.CallCancelled, CallID: "k1", UserID: "u2", Reason: "oops"}, CallCancelled, "oops"},
		{"answered on another device", domain.CallEvent{Kind: domain.CallAccepted, CallID: "k1", UserID: me}, CallEnded, ReasonAnsweredElsewhere},
		{"rejected on another device", domain.CallEvent{Kind: domain.CallRejected, CallID: "k1", UserID: me}, CallRejected, ""},
		{"ended before answer", domain.CallEvent{Kind: domain.CallEnded, CallID: "k1", EndedBy: "u2", Reason: "gone"}, CallEnded, "gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newCalls(t, CallOptions{})
			r.src.calls.push(t, incomingCall("k1", "u2"))
			r.waitPhase(t, CallIncomingRinging)
			r.src.calls.push(t, tt.ev)
			v := r.waitPhase(t, tt.phase)
			if v.Reason != tt.reason {
				t.Fatalf("reason = %q, want %q", v.Reason, tt.reason)
			}
			r.src.clock.Advance(time.Hour)
			if r.n.Value().Phase != tt.phase {
				t.Fatal("the ring timer changed a finished call")
			}
			r.sent.none(t)
		})
	}
}

func TestCallReplayedIncomingIgnored(t *testing.T) {
	r := newCalls(t, CallOptions{})
	r.src.calls.push(t, incomingCall("k1", "u2"),
		domain.CallEvent{Kind: domain.CallCancelled, CallID: "k1", UserID: "u2"})
	r.waitPhase(t, CallCancelled)
	r.src.calls.push(t, incomingCall("k1", "u2"), incomingCall("k2", "u3"))
	v := r.waitPhase(t, CallIncomingRinging)
	if v.ID != "k2" {
		t.Fatalf("ringing call = %s, want k2 (k1 was a replay)", v.ID)
	}
	r.src.calls.push(t, domain.CallEvent{Kind: domain.CallIncoming, CallID: "own", CallerID: me})
	r.src.calls.push(t, domain.CallEvent{Kind: domain.CallCancelled, CallID: "k2", UserID: "u3"})
	r.waitPhase(t, CallCancelled)
	if r.n.Value().ID != "k2" {
		t.Fatal("this user's own call was shown as incoming")
	}
}

func TestCallBusyRejectsSecondIncoming(t *testing.T) {
	r := newCalls(t, CallOptions{})
	r.src.calls.push(t, incomingCall("k1", "u2"))
	r.waitPhase(t, CallIncomingRinging)
	r.src.calls.push(t, incomingCall("k2", "u3"))
	s := r.sent.next(t)
	if s.Kind != domain.SignalReject || s.CallID != "k2" || s.Reason != ReasonBusy {
		t.Fatalf("busy sent %+v", s)
	}
	if v := r.n.Value(); v.ID != "k1" || v.Phase != CallIncomingRinging {
		t.Fatalf("the busy reject disturbed the current call: %+v", v)
	}
}

func TestCallGlareThisSideWins(t *testing.T) {
	r := newCalls(t, CallOptions{})
	c, _ := r.n.Call(t.Context(), "c1", []string{"u2"}, domain.MediaAudio)
	r.sent.next(t)
	// u2 calls at the same time with a higher id: ignored here; u2 drops its
	// call and accepts ours.
	r.src.calls.push(t, domain.CallEvent{Kind: domain.CallIncoming, CallID: c.ID + "0", CallerID: "u2",
		ConversationID: "c1", CalleeIDs: []string{me}},
		domain.CallEvent{Kind: domain.CallAccepted, CallID: c.ID, UserID: "u2"})
	v := r.waitPhase(t, CallActive)
	if v.ID != c.ID || !v.Outgoing {
		t.Fatalf("active call = %+v, want ours", v)
	}
	r.sent.none(t)
}

func TestCallGlareThisSideLoses(t *testing.T) {
	r := newCalls(t, CallOptions{})
	c, _ := r.n.Call(t.Context(), "c1", []string{"u2"}, domain.MediaAudio)
	r.sent.next(t)
	theirs := c.ID[:len(c.ID)-1] // a prefix sorts lower
	r.src.calls.push(t, domain.CallEvent{Kind: domain.CallIncoming, CallID: theirs, CallerID: "u2",
		ConversationID: "c1", CalleeIDs: []string{me}, Media: domain.MediaAudio})
	if s := r.sent.next(t); s.Kind != domain.SignalCancel || s.CallID != c.ID || s.Reason != ReasonGlare {
		t.Fatalf("first glare signal = %+v, want cancel of our call", s)
	}
	if s := r.sent.next(t); s.Kind != domain.SignalAccept || s.CallID != theirs {
		t.Fatalf("second glare signal = %+v, want accept of theirs", s)
	}
	v := r.n.Value()
	if v.Phase != CallActive || v.ID != theirs || v.Outgoing || v.CallerID != "u2" {
		t.Fatalf("after glare: %+v", v)
	}
	r.src.clock.Advance(time.Hour)
	if r.n.Value().Phase != CallActive {
		t.Fatal("our old call's ring timer fired")
	}
}

func TestCallSignalling(t *testing.T) {
	r := newCalls(t, CallOptions{})
	if err := r.n.Signal(t.Context(), domain.SignalOffer, "u2", []byte(`{"sdp":"x"}`)); !errors.Is(err, ErrNoSuchCall) {
		t.Fatalf("Signal without a call = %v", err)
	}
	sig := r.n.Signals(t.Context())
	r.src.calls.push(t, incomingCall("k1", "u2"))
	r.waitPhase(t, CallIncomingRinging)
	if err := r.n.Accept(t.Context(), "k1"); err != nil {
		t.Fatal(err)
	}
	r.sent.next(t)
	r.src.calls.push(t,
		domain.CallEvent{Kind: domain.CallOffer, CallID: "zz", From: "u3", Signal: []byte(`1`)}, // not our call
		domain.CallEvent{Kind: domain.CallOffer, CallID: "k1", From: "u2", To: me, Signal: []byte(`{"sdp":"o"}`)},
		domain.CallEvent{Kind: domain.CallICECandidate, CallID: "k1", From: "u2", Signal: []byte(`{"c":1}`)},
	)
	for _, want := range []domain.CallEventKind{domain.CallOffer, domain.CallICECandidate} {
		select {
		case ev := <-sig:
			if ev.Kind != want || ev.CallID != "k1" {
				t.Fatalf("signal = %+v, want %s of k1", ev, want)
			}
		case <-time.After(waitLimit):
			t.Fatal("no signal")
		}
	}
	if err := r.n.Signal(t.Context(), domain.SignalAnswer, "u2", []byte(`{"sdp":"a"}`)); err != nil {
		t.Fatal(err)
	}
	s := r.sent.next(t)
	if s.Kind != domain.SignalAnswer || s.CallID != "k1" || s.To != "u2" || string(s.Signal) != `{"sdp":"a"}` {
		t.Fatalf("answer sent %+v", s)
	}
	for _, bad := range []struct {
		kind    domain.CallSignalKind
		to      string
		payload string
	}{{domain.SignalAccept, "u2", `{}`}, {domain.SignalOffer, "", `{}`}, {domain.SignalOffer, "u2", `{`}} {
		if err := r.n.Signal(t.Context(), bad.kind, bad.to, []byte(bad.payload)); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("Signal(%v) = %v, want ErrInvalidArgument", bad, err)
		}
	}
	r.n.Close()
	assertClosed(t, sig)
}

func TestCallInviteFailure(t *testing.T) {
	r := newCalls(t, CallOptions{})
	r.failOn[domain.SignalInvite] = domain.ErrNotConnected
	c, err := r.n.Call(t.Context(), "c1", []string{"u2"}, domain.MediaAudio)
	if !errors.Is(err, domain.ErrNotConnected) {
		t.Fatalf("Call = %v", err)
	}
	if c.Phase != CallEnded || c.Reason != ReasonSendFailed || !errors.Is(c.Err, domain.ErrNotConnected) {
		t.Fatalf("after a failed invite: %+v", c)
	}
	r.sent.next(t)
	r.src.clock.Advance(time.Hour)
	r.sent.none(t) // no timeout cancel for a call that never rang
}

func TestCallInvalidArguments(t *testing.T) {
	r := newCalls(t, CallOptions{})
	for _, tc := range []struct {
		conv    string
		callees []string
		media   domain.Media
	}{{"", []string{"u2"}, ""}, {"c1", nil, ""}, {"c1", []string{""}, ""}, {"c1", []string{"u2"}, "hologram"}} {
		if _, err := r.n.Call(t.Context(), tc.conv, tc.callees, tc.media); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("Call(%+v) = %v", tc, err)
		}
	}
	if err := r.n.Hangup(t.Context(), ""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Hangup(\"\") = %v", err)
	}
	if r.n.Value().Phase != CallIdle {
		t.Fatal("invalid calls changed the state")
	}
	r.n.Close()
	if _, err := r.n.Call(t.Context(), "c1", []string{"u2"}, ""); !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("Call after Close = %v", err)
	}
}

func TestCallHangupWhileRingingOut(t *testing.T) {
	r := newCalls(t, CallOptions{})
	c, _ := r.n.Call(t.Context(), "c1", []string{"u2"}, domain.MediaAudio)
	r.sent.next(t)
	if err := r.n.Hangup(t.Context(), c.ID); err != nil {
		t.Fatal(err)
	}
	if s := r.sent.next(t); s.Kind != domain.SignalCancel || s.CallID != c.ID {
		t.Fatalf("hangup while ringing sent %+v", s)
	}
	if v := r.n.Value(); v.Phase != CallCancelled {
		t.Fatalf("after hangup: %+v", v)
	}
	r.src.clock.Advance(time.Hour)
	r.sent.none(t)
}
