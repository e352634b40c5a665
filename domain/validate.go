package domain

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Validate reports whether the draft can be sent: it needs a conversation
// id, content or at least one attachment, and a known kind (empty means
// KindText). The error wraps ErrInvalidDraft and says what is missing.
// Every data source and notifier checks drafts with it, so a draft is
// judged the same way whatever the backend.
func (d MessageDraft) Validate() error {
	switch {
	case strings.TrimSpace(d.ConversationID) == "":
		return fmt.Errorf("%w: missing conversation id", ErrInvalidDraft)
	case d.Content == "" && len(d.Attachments) == 0:
		return fmt.Errorf("%w: content and attachments are both empty", ErrInvalidDraft)
	case !d.Kind.known():
		return fmt.Errorf("%w: unknown kind %q", ErrInvalidDraft, d.Kind)
	}
	return nil
}

// known reports whether k is one of the kinds, or empty (text).
func (k MessageKind) known() bool {
	switch k {
	case "", KindText, KindImage, KindFile, KindSystem:
		return true
	}
	return false
}

// Validate reports whether the signal can be sent: it needs a call id and a
// known kind; an invite needs a conversation id, at least one callee (none
// empty) and a known media (empty means audio); an offer, answer or ICE
// candidate needs a recipient (To) and a payload (Signal) that is valid
// JSON. The error wraps ErrInvalidDraft.
func (s CallSignal) Validate() error {
	if strings.TrimSpace(s.CallID) == "" {
		return fmt.Errorf("%w: missing call id", ErrInvalidDraft)
	}
	switch s.Kind {
	case SignalInvite:
		switch {
		case strings.TrimSpace(s.ConversationID) == "":
			return fmt.Errorf("%w: an invite needs a conversation id", ErrInvalidDraft)
		case len(s.CalleeIDs) == 0:
			return fmt.Errorf("%w: an invite needs callee ids", ErrInvalidDraft)
		case !s.Media.known():
			return fmt.Errorf("%w: unknown media %q", ErrInvalidDraft, s.Media)
		}
		for _, id := range s.CalleeIDs {
			if strings.TrimSpace(id) == "" {
				return fmt.Errorf("%w: an empty callee id", ErrInvalidDraft)
			}
		}
	case SignalAccept, SignalReject, SignalCancel, SignalEnd:
	case SignalOffer, SignalAnswer, SignalICECandidate:
		switch {
		case strings.TrimSpace(s.To) == "":
			return fmt.Errorf("%w: %s needs a recipient", ErrInvalidDraft, s.Kind)
		case len(s.Signal) == 0:
			return fmt.Errorf("%w: %s needs a payload", ErrInvalidDraft, s.Kind)
		case !json.Valid(s.Signal):
			return fmt.Errorf("%w: the %s payload is not valid json", ErrInvalidDraft, s.Kind)
		}
	default:
		return fmt.Errorf("%w: unknown call signal %q", ErrInvalidDraft, s.Kind)
	}
	return nil
}

// known reports whether m is audio, video, or empty (audio).
func (m Media) known() bool { return m == "" || m == MediaAudio || m == MediaVideo }
