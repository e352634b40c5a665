package data

import (
	"encoding/json"
	"sync"
)

// Codec is the JSON seam of the data layer: every frame is encoded and
// decoded through it. The package has two: StdCodec (encoding/json) and
// JSONv2Codec (github.com/go-json-experiment/json, several times faster on
// inbound frames); docs/benchmarks.md compares them. Any other Codec works
// too, through Marshal and Unmarshal alone.
//
// A Codec is used from several goroutines at once and must be safe for that.
type Codec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// DefaultCodec returns the codec New uses when Options.Codec is nil: the
// faster of the two measured in docs/benchmarks.md.
func DefaultCodec() Codec { return JSONv2Codec() }

type stdCodec struct{}

func (stdCodec) Marshal(v any) ([]byte, error)      { return json.Marshal(v) }
func (stdCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// StdCodec returns the encoding/json codec.
func StdCodec() Codec { return stdCodec{} }

// frameReader is a codec's way through one inbound frame. decodeFrame takes
// one from its codec, uses it from one goroutine, and releases it.
type frameReader interface {
	// envelope reads the frame's type and seq, and whether it has a
	// payload (neither absent nor null). It may stop at the payload and
	// leave the rest of the frame to finish.
	envelope(frame []byte) (typ string, seq int64, hasPayload bool, err error)
	// payload decodes the payload into into.
	payload(into any) error
	// finish checks what envelope left unread. When again is true the
	// reader has switched to reading whole envelopes first, and the frame
	// must be decoded again.
	finish() (again bool, err error)
	// message returns a zeroed wireMessage to decode a chat.message into.
	message() *wireMessage
	release()
}

// frameCodec is a Codec with its own frameReader.
type frameCodec interface {
	frameReader() frameReader
}

func readerFor(c Codec) frameReader {
	if fc, ok := c.(frameCodec); ok {
		return fc.frameReader()
	}
	return &codecReader{c: c}
}

var stdReaders = sync.Pool{New: func() any { return &codecReader{c: stdCodec{}, pooled: true} }}

func (stdCodec) frameReader() frameReader { return stdReaders.Get().(*codecReader) }

// codecReader reads frames with Codec.Unmarshal alone: the envelope once
// (keeping the payload's bytes in a buffer it reuses), then the payload.
type codecReader struct {
	c      Codec
	pooled bool
	env    envelope
	msg    wireMessage
}

func (r *codecReader) envelope(frame []byte) (string, int64, bool, error) {
	r.env = envelope{Payload: r.env.Payload[:0]}
	if err := r.c.Unmarshal(frame, &r.env); err != nil {
		return "", 0, false, err
	}
	p := r.env.Payload
	return string(r.env.Type), r.env.Seq, len(p) > 0 && string(p) != "null", nil
}

func (r *codecReader) payload(into any) error { return r.c.Unmarshal(r.env.Payload, into) }

func (r *codecReader) finish() (bool, error) { return false, nil }

// message returns the reader's wireMessage, emptied: a frame decoded twice
// (a duplicate payload) must not keep fields of the first pass.
func (r *codecReader) message() *wireMessage {
	r.msg = resetMessage(r.msg)
	return &r.msg
}

func (r *codecReader) release() {
	if !r.pooled {
		return
	}
	if cap(r.env.Payload) > maxPooledPayload {
		r.env.Payload = nil
	}
	r.env.Type = ""
	r.msg = resetMessage(r.msg)
	stdReaders.Put(r)
}

// maxPooledPayload keeps a rare huge frame from pinning its buffer.
const maxPooledPayload = 64 << 10

// resetMessage zeroes w for reuse, keeping only its attachments' backing
// array (toDomain copies attachments; every other slice reaches the
// domain value and must not be reused).
func resetMessage(w wireMessage) wireMessage {
	atts := w.Attachments
	if cap(atts) > 16 {
		return wireMessage{}
	}
	clear(atts[:cap(atts)])
	return wireMessage{Attachments: atts[:0]}
}
