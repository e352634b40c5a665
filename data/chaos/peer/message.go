package peer

import (
	"errors"
	"strconv"
	"strings"
)

// FirstSeq is the seq of the first message of a run: seven digits keep the
// envelope at 347 bytes for the first 9,000,000 messages.
const FirstSeq = 1_000_000

// EnvelopeSize is the length of every envelope frame AppendEnvelope builds.
const EnvelopeSize = 347

const (
	payloadHead   = `{"id":"6f1c2e4a-9b3d-4c7e-8a15-`
	payloadClient = `","client_id":"0d3b8f7c-2a41-4e55-b0c9-`
	payloadMid    = `","conversation_id":"c7a1d2e3-f405-4b6c-9d8e-1a2b3c4d5e6f","sender_id":"u5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f80","content":"`
	payloadTail   = ` go ahead","kind":"text","created_at":"2026-11-22T10:15:30.123Z"}`
)

// AppendPayload appends the chat message object of message seq, written at
// stamp (Unix nanoseconds; zero in floods): the payload of the envelope,
// and the data of the Pusher and Centrifuge messages. Its id and client id
// end in seq, so that no client takes two messages for copies of one.
func AppendPayload(b []byte, seq, stamp int64) []byte {
	b = append(b, payloadHead...)
	b = appendHex12(b, seq)
	b = append(b, payloadClient...)
	b = appendHex12(b, seq)
	b = append(b, payloadMid...)
	b = appendStamp(b, stamp)
	return append(b, payloadTail...)
}

// AppendEnvelope appends the chat.message frame of the envelope protocol.
func AppendEnvelope(b []byte, seq, stamp int64) []byte {
	b = append(b, `{"type":"chat.message","seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"payload":`...)
	b = AppendPayload(b, seq, stamp)
	return append(b, '}')
}

func appendHex12(b []byte, n int64) []byte {
	const hex = "0123456789abcdef"
	for i := 44; i >= 0; i -= 4 {
		b = append(b, hex[(n>>uint(i))&0xf])
	}
	return b
}

func appendStamp(b []byte, stamp int64) []byte {
	s := strconv.FormatInt(stamp, 10)
	for range 19 - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

var errNoStamp = errors.New("peer: no write time in the content")

// Stamp returns the write time a message's content carries.
func Stamp(content string) (int64, error) {
	if len(content) < 19 {
		return 0, errNoStamp
	}
	return strconv.ParseInt(content[:19], 10, 64)
}

// StampIn finds the content's write time in a raw frame or payload.
func StampIn(frame []byte) (int64, error) {
	_, after, ok := strings.Cut(string(frame), `"content":"`)
	if !ok {
		return 0, errNoStamp
	}
	return Stamp(after)
}
