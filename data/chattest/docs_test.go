package chattest

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The examples in docs/protocol.md use exactly the field names the server
// reads and writes.
func TestProtocolDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Skipf("docs/protocol.md not found: %v", err)
	}
	shapes := map[string][]func() any{
		TypeSessionReady:       {func() any { return new(sessionReadyPayload) }},
		TypeChatMessage:        {func() any { return new(Message) }, func() any { return new(inChatMessage) }},
		TypeTypingIndicator:    {func() any { return new(typingPayload) }, func() any { return new(inTyping) }},
		TypeUserStatus:         {func() any { return new(userStatusPayload) }},
		TypeConversationUpdate: {func() any { return new(conversationUpdatePayload) }},
		TypeMessageRead:        {func() any { return new(messageReadPayload) }, func() any { return new(inMessageRead) }},
		TypeCallIncoming:       {func() any { return new(callIncomingPayload) }},
		TypeCallAccepted:       {func() any { return new(callResponsePayload) }},
		TypeCallRejected:       {func() any { return new(callResponsePayload) }},
		TypeCallCancelled:      {func() any { return new(callResponsePayload) }},
		TypeCallEnded:          {func() any { return new(callEndedPayload) }},
		TypeCallOffer:          {func() any { return new(relayPayload) }, func() any { return new(inCall) }},
		TypeCallAnswer:         {func() any { return new(relayPayload) }, func() any { return new(inCall) }},
		TypeCallICECandidate:   {func() any { return new(relayPayload) }, func() any { return new(inCall) }},
		TypePong:               {func() any { return new(struct{}) }},
		TypePing:               {func() any { return new(struct{}) }},
		TypeSyncDone:           {func() any { return new(syncDonePayload) }},
		TypeSync:               {func() any { return new(inSync) }},
		TypeError:              {func() any { return new(errorPayload) }},
		TypeCallInvite:         {func() any { return new(inCall) }},
		TypeCallEnd:            {func() any { return new(inCall) }},
	}
	n := 0
	for _, block := range regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(doc, -1) {
		for _, line := range bytes.Split(bytes.TrimSpace(block[1]), []byte("\n")) {
			if bytes.Contains(line, []byte("{ ... }")) {
				continue // the schematic envelope
			}
			var f Frame
			if err := json.Unmarshal(line, &f); err != nil {
				t.Errorf("example %s: %v", line, err)
				continue
			}
			cands, ok := shapes[f.Type]
			if !ok {
				t.Errorf("example of unknown type %q", f.Type)
				continue
			}
			var errs []string
			for _, mk := range cands {
				dec := json.NewDecoder(bytes.NewReader(f.Payload))
				dec.DisallowUnknownFields()
				if err := dec.Decode(mk()); err != nil {
					errs = append(errs, err.Error())
				}
			}
			if len(errs) == len(cands) {
				t.Errorf("example %s: %s", line, strings.Join(errs, "; "))
			}
			n++
		}
	}
	if n < 20 {
		t.Errorf("only %d examples checked", n)
	}
}

type relayPayload struct {
	CallID    string          `json:"call_id"`
	From      string          `json:"from"`
	To        string          `json:"to"`
	SDP       json.RawMessage `json:"sdp"`
	Candidate json.RawMessage `json:"candidate"`
}
