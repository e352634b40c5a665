package chattest

import (
	"reflect"
	"testing"
	"time"
)

func TestCallFlowAndRelay(t *testing.T) {
	srv, fc := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob", "carol"))
	alice := connect(t, srv, "alice")
	bob := connect(t, srv, "bob")
	carol := connect(t, srv, "carol")

	alice.send(TypeCallInvite, map[string]any{"call_id": "call-1", "conversation_id": "c1", "callee_ids": []string{"bob", "carol", "bob"}, "media": "video"})
	for _, c := range []*client{bob, carol} {
		f := c.expect(TypeCallIncoming)
		want := callIncomingPayload{CallID: "call-1", ConversationID: "c1", CallerID: "alice", CalleeIDs: []string{"bob", "carol"}, Media: "video", CreatedAt: t0}
		if got := payloadOf[callIncomingPayload](t, f); !reflect.DeepEqual(got, want) || f.Seq == 0 {
			t.Errorf("call.incoming %s seq %d", f.Payload, f.Seq)
		}
	}
	alice.quiet() // the caller does not ring

	bob.send(TypeCallAccept, map[string]any{"call_id": "call-1"})
	for _, c := range []*client{alice, bob, carol} {
		f := c.expect(TypeCallAccepted)
		if raw := fields(t, f); raw["call_id"] != "call-1" || raw["user_id"] != "bob" || len(raw) != 2 {
			t.Errorf("call.accepted %s", f.Payload)
		}
	}
	carol.send(TypeCallReject, map[string]any{"call_id": "call-1", "reason": "busy"})
	for _, c := range []*client{alice, bob, carol} {
		f := c.expect(TypeCallRejected)
		if raw := fields(t, f); raw["call_id"] != "call-1" || raw["user_id"] != "carol" || raw["reason"] != "busy" {
			t.Errorf("call.rejected %s", f.Payload)
		}
	}

	// Signalling goes to "to" only, with "from" set and the raw JSON kept byte for byte.
	sdp := `{"type": "offer",  "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n", "x": [1, 2.50, "\u00e9<>&"]}`
	cand := `{"candidate":"candidate:1 1 UDP 2130706431 10.0.0.1 5000 typ host","sdpMid":"0"}`
	relays := []struct {
		from, to *client
		typ, key string
		raw      string
	}{
		{alice, bob, TypeCallOffer, "sdp", sdp},
		{bob, alice, TypeCallAnswer, "sdp", `"plain string sdp"`},
		{alice, bob, TypeCallICECandidate, "candidate", cand},
	}
	for _, r := range relays {
		r.from.sendRaw([]byte(`{"type":"` + r.typ + `","payload":{"call_id":"call-1","to":"` + r.to.ready.UserID + `","` + r.key + `":` + r.raw + `}}`))
		f := r.to.expect(r.typ)
		want := `{"call_id":"call-1","from":"` + r.from.ready.UserID + `","to":"` + r.to.ready.UserID + `","` + r.key + `":` + r.raw + `}`
		if string(f.Payload) != want || f.Seq == 0 {
			t.Errorf("%s relayed as %s (seq %d), want %s", r.typ, f.Payload, f.Seq, want)
		}
		r.from.quiet()
	}
	carol.quiet()

	fc.Advance(1500 * time.Millisecond)
	bob.send(TypeCallEnd, map[string]any{"call_id": "call-1"})
	for _, c := range []*client{alice, bob, carol} {
		f := c.expect(TypeCallEnded)
		if got := payloadOf[callEndedPayload](t, f); got != (callEndedPayload{CallID: "call-1", EndedBy: "bob", Reason: "hangup", DurationMS: 1500}) {
			t.Errorf("call.ended %s", f.Payload)
		}
	}
	alice.send(TypeCallOffer, map[string]any{"call_id": "call-1", "to": "bob", "sdp": "x"})
	if e := payloadOf[errorPayload](t, alice.expect(TypeError)); e.Code != CodeInvalidState || e.Ref != "call-1" {
		t.Errorf("offer after end: %+v", e)
	}
}

func TestCallCancelAndRejectAll(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	alice := connect(t, srv, "alice")
	bob := connect(t, srv, "bob")

	invite := func(id string) {
		alice.send(TypeCallInvite, map[string]any{"call_id": id, "conversation_id": "c1", "callee_ids": []string{"bob"}, "media": "audio"})
		bob.expect(TypeCallIncoming)
	}
	invite("k1")
	alice.send(TypeCallCancel, map[string]any{"call_id": "k1", "reason": "changed my mind"})
	for _, c := range []*client{alice, bob} {
		if got := payloadOf[callResponsePayload](t, c.expect(TypeCallCancelled)); got != (callResponsePayload{CallID: "k1", UserID: "alice", Reason: "changed my mind"}) {
			t.Errorf("call.cancelled %+v", got)
		}
	}
	bob.send(TypeCallAccept, map[string]any{"call_id": "k1"})
	if e := payloadOf[errorPayload](t, bob.expect(TypeError)); e.Code != CodeInvalidState || e.Ref != "k1" {
		t.Errorf("accept after cancel: %+v", e)
	}

	invite("k2")
	bob.send(TypeCallReject, map[string]any{"call_id": "k2"})
	alice.expect(TypeCallRejected)
	bob.expect(TypeCallRejected)
	alice.send(TypeCallEnd, map[string]any{"call_id": "k2"})
	if e := payloadOf[errorPayload](t, alice.expect(TypeError)); e.Code != CodeInvalidState {
		t.Errorf("end after every callee rejected: %+v", e)
	}

	// Ending an unanswered call: duration 0.
	invite("k3")
	alice.send(TypeCallEnd, map[string]any{"call_id": "k3", "reason": "timeout"})
	if got := payloadOf[callEndedPayload](t, bob.expect(TypeCallEnded)); got != (callEndedPayload{CallID: "k3", EndedBy: "alice", Reason: "timeout"}) {
		t.Errorf("call.ended %+v", got)
	}
}

func TestCallErrors(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob", "carol"))
	mustNil(t, srv.CreateConversation("c2", "", "dave"))
	alice := connect(t, srv, "alice")
	bob := connect(t, srv, "bob")
	carol := connect(t, srv, "carol")
	alice.send(TypeCallInvite, map[string]any{"call_id": "live", "conversation_id": "c1", "callee_ids": []string{"bob"}, "media": "audio"})
	bob.expect(TypeCallIncoming)

	tests := []struct {
		name    string
		from    *client
		typ     string
		payload map[string]any
		code    string
	}{
		{"invite without call_id", alice, TypeCallInvite, map[string]any{"conversation_id": "c1", "callee_ids": []string{"bob"}, "media": "audio"}, CodeInvalidPayload},
		{"invite with a used call_id", alice, TypeCallInvite, map[string]any{"call_id": "live", "conversation_id": "c1", "callee_ids": []string{"bob"}, "media": "audio"}, CodeConflict},
		{"invite in a missing conversation", alice, TypeCallInvite, map[string]any{"call_id": "n1", "conversation_id": "zz", "callee_ids": []string{"bob"}, "media": "audio"}, CodeNotFound},
		{"invite in another's conversation", alice, TypeCallInvite, map[string]any{"call_id": "n2", "conversation_id": "c2", "callee_ids": []string{"dave"}, "media": "audio"}, CodeForbidden},
		{"invite a non-member", alice, TypeCallInvite, map[string]any{"call_id": "n3", "conversation_id": "c1", "callee_ids": []string{"dave"}, "media": "audio"}, CodeForbidden},
		{"invite nobody", alice, TypeCallInvite, map[string]any{"call_id": "n4", "conversation_id": "c1", "callee_ids": []string{}, "media": "audio"}, CodeInvalidPayload},
		{"invite yourself", alice, TypeCallInvite, map[string]any{"call_id": "n5", "conversation_id": "c1", "callee_ids": []string{"alice"}, "media": "audio"}, CodeInvalidPayload},
		{"invite with bad media", alice, TypeCallInvite, map[string]any{"call_id": "n6", "conversation_id": "c1", "callee_ids": []string{"bob"}, "media": "hologram"}, CodeInvalidPayload},
		{"callee_ids of the wrong type", alice, TypeCallInvite, map[string]any{"call_id": "n7", "conversation_id": "c1", "callee_ids": "bob", "media": "audio"}, CodeInvalidPayload},
		{"accept a missing call", bob, TypeCallAccept, map[string]any{"call_id": "zz"}, CodeNotFound},
		{"accept as the caller", alice, TypeCallAccept, map[string]any{"call_id": "live"}, CodeForbidden},
		{"accept as an outsider", carol, TypeCallAccept, map[string]any{"call_id": "live"}, CodeForbidden},
		{"cancel as a callee", bob, TypeCallCancel, map[string]any{"call_id": "live"}, CodeForbidden},
		{"offer without sdp", alice, TypeCallOffer, map[string]any{"call_id": "live", "to": "bob"}, CodeInvalidPayload},
		{"candidate without candidate", alice, TypeCallICECandidate, map[string]any{"call_id": "live", "to": "bob", "sdp": "x"}, CodeInvalidPayload},
		{"offer to an outsider", alice, TypeCallOffer, map[string]any{"call_id": "live", "to": "carol", "sdp": "x"}, CodeInvalidPayload},
		{"offer to yourself", alice, TypeCallOffer, map[string]any{"call_id": "live", "to": "alice", "sdp": "x"}, CodeInvalidPayload},
		{"offer from an outsider", carol, TypeCallOffer, map[string]any{"call_id": "live", "to": "bob", "sdp": "x"}, CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.from.send(tt.typ, tt.payload)
			f := tt.from.expect(TypeError)
			e := payloadOf[errorPayload](t, f)
			wantRef, _ := tt.payload["call_id"].(string)
			if e.Code != tt.code || e.Ref != wantRef || e.Message == "" {
				t.Errorf("error %s, want code %s ref %q", f.Payload, tt.code, wantRef)
			}
		})
	}
	bob.send(TypeCallAccept, map[string]any{"call_id": "live"})
	bob.expect(TypeCallAccepted)
	alice.expect(TypeCallAccepted)
	bob.send(TypeCallAccept, map[string]any{"call_id": "live"})
	if e := payloadOf[errorPayload](t, bob.expect(TypeError)); e.Code != CodeInvalidState {
		t.Errorf("second accept: %+v", e)
	}
	alice.send(TypeCallCancel, map[string]any{"call_id": "live"})
	if e := payloadOf[errorPayload](t, alice.expect(TypeError)); e.Code != CodeInvalidState {
		t.Errorf("cancel after accept: %+v", e)
	}
}
