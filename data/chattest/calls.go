package chattest

import (
	"slices"
	"time"
)

type callState int

const (
	callRinging callState = iota
	callActive            // at least one callee accepted
	callOver              // cancelled, ended, or rejected by every callee
)

// call is a call's state. Guarded by Server.mu.
type call struct {
	id         string
	convID     string
	caller     string
	callees    []string
	media      string
	createdAt  time.Time
	state      callState
	answers    map[string]string // callee -> "accepted" or "rejected"
	acceptedAt time.Time
}

func (cl *call) participants() []string { return append([]string{cl.caller}, cl.callees...) }

func (cl *call) isParticipant(userID string) bool {
	return userID == cl.caller || slices.Contains(cl.callees, userID)
}

func handleCallInvite(s *Server, c *conn, _ string, payload []byte) (string, *protoErr) {
	var in inCall
	pe := decode(payload, &in)
	ref := in.CallID
	if pe != nil {
		return ref, pe
	}
	if in.CallID == "" {
		return ref, perr(CodeInvalidPayload, "call_id is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls[in.CallID] != nil {
		return ref, perr(CodeConflict, "call %q already exists", in.CallID)
	}
	cv, pe := s.memberConvLocked(in.ConversationID, c.userID)
	if pe != nil {
		return ref, pe
	}
	var callees []string
	for _, id := range in.CalleeIDs {
		switch {
		case id == c.userID:
			return ref, perr(CodeInvalidPayload, "callee_ids must not contain the caller")
		case !cv.isMember(id):
			return ref, perr(CodeForbidden, "callee %q is not a member of conversation %q", id, cv.id)
		case !slices.Contains(callees, id):
			callees = append(callees, id)
		}
	}
	if len(callees) == 0 {
		return ref, perr(CodeInvalidPayload, "callee_ids is required")
	}
	if in.Media != "audio" && in.Media != "video" {
		return ref, perr(CodeInvalidPayload, "media must be audio or video")
	}
	cl := &call{
		id: in.CallID, convID: cv.id, caller: c.userID, callees: callees, media: in.Media,
		createdAt: s.now(), answers: make(map[string]string),
	}
	s.calls[cl.id] = cl
	p := mustJSON(callIncomingPayload{
		CallID: cl.id, ConversationID: cl.convID, CallerID: cl.caller,
		CalleeIDs: cl.callees, Media: cl.media, CreatedAt: cl.createdAt,
	})
	for _, id := range cl.callees {
		s.emitLocked(id, TypeCallIncoming, p)
	}
	return "", nil
}

// callLocked finds a call userID takes part in that is not over. The
// caller holds s.mu.
func (s *Server) callLocked(callID, userID string) (*call, *protoErr) {
	if callID == "" {
		return nil, perr(CodeInvalidPayload, "call_id is required")
	}
	cl := s.calls[callID]
	if cl == nil {
		return nil, perr(CodeNotFound, "call %q not found", callID)
	}
	if !cl.isParticipant(userID) {
		return nil, perr(CodeForbidden, "not a participant of call %q", callID)
	}
	if cl.state == callOver {
		return nil, perr(CodeInvalidState, "call %q is over", callID)
	}
	return cl, nil
}

// handleCallResponse handles call.accept, call.reject, call.cancel and call.end.
func handleCallResponse(s *Server, c *conn, typ string, payload []byte) (string, *protoErr) {
	var in inCall
	pe := decode(payload, &in)
	ref := in.CallID
	if pe != nil {
		return ref, pe
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cl, pe := s.callLocked(in.CallID, c.userID)
	if pe != nil {
		return ref, pe
	}
	me := c.userID
	isCallee := slices.Contains(cl.callees, me)
	out, p := "", []byte(nil)
	switch typ {
	case TypeCallAccept, TypeCallReject:
		if !isCallee {
			return ref, perr(CodeForbidden, "only a callee can answer call %q", cl.id)
		}
		if a := cl.answers[me]; a != "" {
			return ref, perr(CodeInvalidState, "call %q already %s", cl.id, a)
		}
		if typ == TypeCallAccept {
			cl.answers[me] = "accepted"
			if cl.state == callRinging {
				cl.state, cl.acceptedAt = callActive, s.now()
			}
			out = TypeCallAccepted
		} else {
			cl.answers[me] = "rejected"
			if cl.allRejected() {
				cl.state = callOver
			}
			out = TypeCallRejected
		}
		p = mustJSON(callResponsePayload{CallID: cl.id, UserID: me, Reason: in.Reason})
	case TypeCallCancel:
		if me != cl.caller {
			return ref, perr(CodeForbidden, "only the caller can cancel call %q", cl.id)
		}
		if cl.state != callRinging {
			return ref, perr(CodeInvalidState, "call %q was answered; end it instead", cl.id)
		}
		cl.state = callOver
		out = TypeCallCancelled
		p = mustJSON(callResponsePayload{CallID: cl.id, UserID: me, Reason: in.Reason})
	case TypeCallEnd:
		if cl.answers[me] == "rejected" {
			return ref, perr(CodeInvalidState, "call %q was rejected by you", cl.id)
		}
		var d time.Duration
		if cl.state == callActive {
			d = s.now().Sub(cl.acceptedAt)
		}
		cl.state = callOver
		reason := in.Reason
		if reason == "" {
			reason = "hangup"
		}
		out = TypeCallEnded
		p = mustJSON(callEndedPayload{CallID: cl.id, EndedBy: me, Reason: reason, DurationMS: d.Milliseconds()})
	}
	for _, id := range cl.participants() {
		s.emitLocked(id, out, p)
	}
	return "", nil
}

func (cl *call) allRejected() bool {
	for _, id := range cl.callees {
		if cl.answers[id] != "rejected" {
			return false
		}
	}
	return true
}

// handleCallRelay relays call.offer, call.answer and call.ice_candidate to
// "to", with "from" set and the sdp or candidate kept byte for byte.
func handleCallRelay(s *Server, c *conn, typ string, payload []byte) (string, *protoErr) {
	var in inCall
	pe := decode(payload, &in)
	ref := in.CallID
	if pe != nil {
		return ref, pe
	}
	key, raw := "sdp", in.SDP
	if typ == TypeCallICECandidate {
		key, raw = "candidate", in.Candidate
	}
	if len(raw) == 0 || string(raw) == "null" {
		return ref, perr(CodeInvalidPayload, "%s is required", key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cl, pe := s.callLocked(in.CallID, c.userID)
	if pe != nil {
		return ref, pe
	}
	if in.To == "" || in.To == c.userID || !cl.isParticipant(in.To) {
		return ref, perr(CodeInvalidPayload, "to must be another participant of call %q", cl.id)
	}
	head := mustJSON(struct {
		CallID string `json:"call_id"`
		From   string `json:"from"`
		To     string `json:"to"`
	}{cl.id, c.userID, in.To})
	s.emitLocked(in.To, typ, withRaw(head, key, raw))
	return "", nil
}
