package presentation

import (
	"context"
	"fmt"
	"slices"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/internal/ids"
)

// Call places a call to calleeIDs in a conversation: the snapshot becomes
// outgoing ringing at once, the invitation is sent, and the ring timer
// starts. If the invitation cannot be sent the call ends with
// ReasonSendFailed and the error is returned. It fails with
// ErrCallInProgress while another call rings or is active. An empty media
// means audio.
func (n *CallNotifier) Call(ctx context.Context, conversationID string, calleeIDs []string, media domain.Media) (Call, error) {
	if media == "" {
		media = domain.MediaAudio
	}
	invite := domain.CallSignal{Kind: domain.SignalInvite, CallID: ids.New(),
		ConversationID: conversationID, CalleeIDs: slices.Clone(calleeIDs), Media: media}
	if err := invite.Validate(); err != nil {
		return Call{}, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	if n.run.isClosed() {
		return Call{}, domain.ErrClosed
	}
	self := n.self()
	n.mu.Lock()
	if n.cur.Phase.InProgress() {
		n.mu.Unlock()
		return Call{}, ErrCallInProgress
	}
	c := Call{Phase: CallOutgoingRinging, ID: invite.CallID, ConversationID: conversationID, CallerID: self,
		CalleeIDs: slices.Clone(calleeIDs), Media: media, Outgoing: true, RingingSince: n.run.now()}
	n.seen.Add(c.ID)
	n.startRing(c.ID)
	n.setLocked(c)
	n.mu.Unlock()

	if err := n.src.SendCallSignal(ctx, invite); err != nil {
		n.failIf(c.ID, CallOutgoingRinging, err)
		return n.Value(), fmt.Errorf("presentation: call invite: %w", err)
	}
	return n.Value(), nil
}

// Accept answers incoming call callID: it sends the acceptance and, once
// sent, makes the call active. The call stays ringing if the send fails.
func (n *CallNotifier) Accept(ctx context.Context, callID string) error {
	if err := n.expect(callID, CallIncomingRinging); err != nil {
		return err
	}
	n.mu.Lock()
	n.accepting = callID // the server echoes call.accepted to this user too
	conv := n.cur.ConversationID
	n.mu.Unlock()
	err := n.src.SendCallSignal(ctx, domain.CallSignal{Kind: domain.SignalAccept, CallID: callID, ConversationID: conv})
	n.mu.Lock()
	defer n.mu.Unlock()
	n.accepting = ""
	if err != nil {
		return fmt.Errorf("presentation: call accept: %w", err)
	}
	switch {
	case n.cur.ID == callID && !n.cur.AnsweredAt.IsZero():
		return nil // the echo came first (and the call may have ended since)
	case n.cur.ID != callID || n.cur.Phase != CallIncomingRinging:
		return fmt.Errorf("%w: the call ended while it was being accepted", ErrNoSuchCall)
	}
	c := n.cur
	c.Phase, c.AnsweredAt = CallActive, n.run.now()
	n.setLocked(c)
	return nil
}

// Reject refuses incoming call callID with an optional reason. The call
// becomes rejected even if the send fails; the error is returned.
func (n *CallNotifier) Reject(ctx context.Context, callID, reason string) error {
	if err := n.expect(callID, CallIncomingRinging); err != nil {
		return err
	}
	return n.finish(ctx, callID, domain.SignalReject, CallRejected, reason)
}

// Hangup leaves call callID: an outgoing call still ringing is cancelled,
// an incoming one is rejected, an active one is ended. The snapshot moves
// on even if the send fails; the error is returned.
func (n *CallNotifier) Hangup(ctx context.Context, callID string) error {
	if err := n.expect(callID, CallOutgoingRinging, CallIncomingRinging, CallActive); err != nil {
		return err
	}
	n.mu.Lock()
	phase := n.cur.Phase
	n.mu.Unlock()
	switch phase {
	case CallOutgoingRinging:
		return n.finish(ctx, callID, domain.SignalCancel, CallCancelled, "")
	case CallIncomingRinging:
		return n.finish(ctx, callID, domain.SignalReject, CallRejected, "")
	default:
		return n.finish(ctx, callID, domain.SignalEnd, CallEnded, "")
	}
}

// Signal sends a WebRTC payload (an sdp or an ICE candidate, as JSON) of
// kind offer, answer or ice_candidate to user to, for the current call,
// which must ring or be active.
func (n *CallNotifier) Signal(ctx context.Context, kind domain.CallSignalKind, to string, payload []byte) error {
	switch kind {
	case domain.SignalOffer, domain.SignalAnswer, domain.SignalICECandidate:
	default:
		return fmt.Errorf("%w: %q is not a signalling kind", ErrInvalidArgument, kind)
	}
	if n.run.isClosed() {
		return domain.ErrClosed
	}
	n.mu.Lock()
	c := n.cur
	n.mu.Unlock()
	if !c.Phase.InProgress() {
		return fmt.Errorf("%w: no call in progress", ErrNoSuchCall)
	}
	sig := domain.CallSignal{Kind: kind, CallID: c.ID, ConversationID: c.ConversationID, To: to, Signal: slices.Clone(payload)}
	if err := sig.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	if err := n.src.SendCallSignal(ctx, sig); err != nil {
		return fmt.Errorf("presentation: call signal: %w", err)
	}
	return nil
}

// expect checks that callID is the current call and in one of phases.
func (n *CallNotifier) expect(callID string, phases ...CallPhase) error {
	if callID == "" {
		return fmt.Errorf("%w: empty call id", ErrInvalidArgument)
	}
	if n.run.isClosed() {
		return domain.ErrClosed
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cur.ID != callID || !slices.Contains(phases, n.cur.Phase) {
		return fmt.Errorf("%w: call %q is %s", ErrNoSuchCall, callID, n.phaseOf(callID))
	}
	return nil
}

func (n *CallNotifier) phaseOf(callID string) CallPhase {
	if n.cur.ID != callID {
		return CallIdle
	}
	return n.cur.Phase
}

// finish moves call callID to phase (if it still is in progress) and sends
// kind.
func (n *CallNotifier) finish(ctx context.Context, callID string, kind domain.CallSignalKind, phase CallPhase, reason string) error {
	self := n.self()
	n.mu.Lock()
	var conv string
	if n.cur.ID == callID {
		conv = n.cur.ConversationID
		if n.cur.Phase.InProgress() {
			n.setLocked(ended(n.cur, phase, n.run.now(), self, reason))
		}
	}
	n.mu.Unlock()
	if err := n.src.SendCallSignal(ctx, domain.CallSignal{Kind: kind, CallID: callID, ConversationID: conv, Reason: reason}); err != nil {
		return fmt.Errorf("presentation: call %s: %w", kind, err)
	}
	return nil
}
