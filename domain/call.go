package domain

import "time"

// CallEventKind is what a call event says.
type CallEventKind string

const (
	CallIncoming     CallEventKind = "incoming"
	CallAccepted     CallEventKind = "accepted"
	CallRejected     CallEventKind = "rejected"
	CallCancelled    CallEventKind = "cancelled"
	CallEnded        CallEventKind = "ended"
	CallOffer        CallEventKind = "offer"
	CallAnswer       CallEventKind = "answer"
	CallICECandidate CallEventKind = "ice_candidate"
)

// Media is what a call carries.
type Media string

const (
	MediaAudio Media = "audio"
	MediaVideo Media = "video"
)

// CallEvent is one call event. Which fields are set depends on Kind:
// incoming sets ConversationID, CallerID, CalleeIDs, Media and CreatedAt;
// accepted, rejected and cancelled set UserID and maybe Reason; ended sets
// EndedBy, Reason and Duration; offer, answer and ice_candidate set From, To
// and Signal (the sdp or candidate as raw JSON, for a WebRTC layer).
type CallEvent struct {
	Kind           CallEventKind
	CallID         string
	ConversationID string
	CallerID       string
	CalleeIDs      []string
	Media          Media
	UserID         string
	Reason         string
	EndedBy        string
	Duration       time.Duration
	From           string
	To             string
	Signal         []byte
	CreatedAt      time.Time
	Seq            int64
}

// CallSignalKind is a call action this client sends.
type CallSignalKind string

const (
	SignalInvite       CallSignalKind = "invite"
	SignalAccept       CallSignalKind = "accept"
	SignalReject       CallSignalKind = "reject"
	SignalCancel       CallSignalKind = "cancel"
	SignalEnd          CallSignalKind = "end"
	SignalOffer        CallSignalKind = "offer"
	SignalAnswer       CallSignalKind = "answer"
	SignalICECandidate CallSignalKind = "ice_candidate"
)

// CallSignal is a call action to send. Invite uses ConversationID,
// CalleeIDs and Media; accept, reject, cancel and end may carry a Reason;
// offer, answer and ice_candidate use To and Signal (raw JSON).
type CallSignal struct {
	Kind           CallSignalKind
	CallID         string
	ConversationID string
	CalleeIDs      []string
	Media          Media
	Reason         string
	To             string
	Signal         []byte
}
