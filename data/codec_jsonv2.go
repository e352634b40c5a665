package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// JSONv2Codec returns a codec built on github.com/go-json-experiment/json,
// the upstream of encoding/json/v2, configured with encoding/json's
// semantics (jsonv1.DefaultOptionsV1), so that frames decode and encode
// exactly as with StdCodec.
//
// Inbound frames take a faster path: the envelope is scanned with jsontext
// (the type is read without allocating, the payload is not copied), the
// payload is decoded once, and every plain string field of a frame is a
// substring of one string holding the whole frame: one allocation per frame
// instead of one per field. A decoded value therefore keeps its frame's
// text alive for as long as it is referenced.
func JSONv2Codec() Codec { return v2Codec{} }

type v2Codec struct{}

var v1Options = jsonv1.DefaultOptionsV1()

func (v2Codec) Marshal(v any) ([]byte, error)      { return jsonv2.Marshal(v, v1Options) }
func (v2Codec) Unmarshal(data []byte, v any) error { return jsonv2.Unmarshal(data, v, v1Options) }

var v2Readers = sync.Pool{New: func() any { return newV2Reader() }}

func (v2Codec) frameReader() frameReader { return v2Readers.Get().(*v2Reader) }

// v2Reader is the jsontext fast path. Pooled; one goroutine at a time.
//
// A frame is read in one pass when its type comes before its payload (as
// every server writes it): envelope stops at the payload, payload decodes
// it in place, and finish reads the rest. A frame that repeats a field
// after its payload, or whose payload fails, is read again the careful
// way: the whole envelope first, then the payload, as encoding/json does.
type v2Reader struct {
	buf      bytes.Buffer // wraps the frame or payload: jsontext reads it in place
	dec      jsontext.Decoder
	decOpts  []jsontext.Options
	umOpts   []jsonv2.Options
	frame    []byte
	text     string // the frame as a string, made on first need
	base     int64  // offset in frame of the decoder's input
	careful  bool   // read whole envelopes first (set by finish)
	state    payloadState
	pay      []byte // the payload, when read the careful way
	payStart int64  // its offset in frame
	msg      wireMessage
}

type payloadState uint8

const (
	payloadRead    payloadState = iota // envelope read whole; payload in pay
	payloadPending                     // the decoder is at the payload
	payloadStarted                     // an in-place decode began
	payloadDone                        // the in-place decode succeeded
)

var (
	errNotObject  = errors.New("frame is not a JSON object")
	errTypeString = errors.New("\"type\" is not a string")
	errSeqNumber  = errors.New("\"seq\" is not an integer")
	errTrailing   = errors.New("data after the frame")
)

func newV2Reader() *v2Reader {
	r := &v2Reader{decOpts: []jsontext.Options{v1Options}}
	strs := jsonv2.UnmarshalFromFunc(r.unmarshalString)
	r.umOpts = []jsonv2.Options{jsonv2.JoinOptions(v1Options, jsonv2.WithUnmarshalers(strs))}
	return r
}

func (r *v2Reader) reset(b []byte, base int64) {
	r.buf = *bytes.NewBuffer(b)
	r.dec.Reset(&r.buf, r.decOpts...)
	r.base = base
}

// envelope scans the top-level object. Names match as encoding/json
// matches them (exactly, else case-insensitively); the last duplicate wins.
func (r *v2Reader) envelope(frame []byte) (typ string, seq int64, hasPayload bool, err error) {
	r.frame, r.text, r.pay, r.state = frame, "", nil, payloadRead
	r.reset(frame, 0)
	tok, err := r.dec.ReadToken()
	if err != nil {
		return "", 0, false, err
	}
	switch tok.Kind() {
	case '{':
	case 'n':
		// encoding/json decodes null into the zero envelope.
		return "", 0, false, r.checkEOF()
	default:
		return "", 0, false, errNotObject
	}
	var typeErr error
	for r.dec.PeekKind() != '}' {
		name, err := r.dec.ReadValue()
		if err != nil {
			return "", 0, false, err
		}
		field := fieldOf(name)
		if field == "payload" && typ != "" && typeErr == nil && !r.careful && r.dec.PeekKind() == '{' {
			r.state = payloadPending
			return typ, seq, true, nil
		}
		val, err := r.dec.ReadValue()
		if err != nil {
			return "", 0, false, err
		}
		switch field {
		case "type":
			switch val.Kind() {
			case '"':
				typ = r.typeOf(val)
			case 'n':
			default:
				typeErr = errTypeString
			}
		case "seq":
			switch val.Kind() {
			case '0':
				n, ok := parseInt64(val)
				if !ok {
					typeErr = errSeqNumber
				}
				seq = n
			case 'n':
			default:
				typeErr = errSeqNumber
			}
		case "payload":
			r.pay = nil
			if val.Kind() != 'n' {
				end := r.dec.InputOffset()
				r.payStart = end - int64(len(val))
				r.pay = frame[r.payStart:end]
			}
		}
	}
	if _, err := r.dec.ReadToken(); err != nil {
		return "", 0, false, err
	}
	if err := r.checkEOF(); err != nil {
		return "", 0, false, err
	}
	if typeErr != nil {
		return "", 0, false, typeErr
	}
	return typ, seq, r.pay != nil, nil
}

func (r *v2Reader) payload(into any) error {
	if r.state == payloadPending {
		r.state = payloadStarted
		if err := r.decode(into); err != nil {
			return err
		}
		r.state = payloadDone
		return nil
	}
	r.reset(r.pay, r.payStart)
	return r.decode(into)
}

func (r *v2Reader) decode(into any) error {
	if w, ok := into.(*wireMessage); ok {
		return r.decodeMessage(w)
	}
	return jsonv2.UnmarshalDecode(&r.dec, into, r.umOpts...)
}

// finish reads the rest of a frame whose envelope stopped at the payload.
func (r *v2Reader) finish() (again bool, err error) {
	switch r.state {
	case payloadRead:
		return false, nil
	case payloadStarted:
		r.careful = true
		return true, nil
	case payloadPending:
		if err := r.dec.SkipValue(); err != nil {
			return false, err
		}
	}
	for r.dec.PeekKind() != '}' {
		name, err := r.dec.ReadValue()
		if err != nil {
			return false, err
		}
		if fieldOf(name) != "" {
			r.careful = true
			return true, nil
		}
		if err := r.dec.SkipValue(); err != nil {
			return false, err
		}
	}
	if _, err := r.dec.ReadToken(); err != nil {
		return false, err
	}
	return false, r.checkEOF()
}

func (r *v2Reader) checkEOF() error {
	if _, err := r.dec.ReadToken(); err != io.EOF {
		if err == nil {
			err = errTrailing
		}
		return err
	}
	return nil
}

// fieldOf returns which envelope field a member name selects, or "".
func fieldOf(name jsontext.Value) string {
	raw := name[1 : len(name)-1]
	if bytes.IndexByte(raw, '\\') >= 0 {
		u, err := jsontext.AppendUnquote(nil, name)
		if err != nil {
			return ""
		}
		raw = u
	}
	for _, f := range [...]string{"type", "seq", "payload"} {
		if string(raw) == f {
			return f
		}
	}
	for _, f := range [...]string{"type", "seq", "payload"} {
		if strings.EqualFold(string(raw), f) {
			return f
		}
	}
	return ""
}

// typeOf returns a type's string: the constant for a known type.
func (r *v2Reader) typeOf(val jsontext.Value) string {
	raw := val[1 : len(val)-1]
	if k, ok := knownType(raw); ok {
		return k
	}
	if plain(raw) {
		end := r.dec.InputOffset() - 1
		return r.str(end-int64(len(raw)), end)
	}
	var s string
	_ = json.Unmarshal(val, &s) // a valid JSON string: cannot fail
	return s
}

// unmarshalString decodes every string field of a payload decoded by
// reflection.
func (r *v2Reader) unmarshalString(dec *jsontext.Decoder, s *string) error {
	return r.readString(dec, s)
}

// readString reads a string as encoding/json does: one without escapes
// becomes a substring of the frame's text, null leaves s alone, and
// anything else gets encoding/json's own treatment (and errors).
func (r *v2Reader) readString(dec *jsontext.Decoder, s *string) error {
	val, err := dec.ReadValue()
	if err != nil {
		return err
	}
	switch val.Kind() {
	case 'n':
		return nil
	case '"':
		if raw := val[1 : len(val)-1]; plain(raw) {
			end := r.base + dec.InputOffset() - 1
			*s = r.str(end-int64(len(raw)), end)
			return nil
		}
	}
	return json.Unmarshal(val, s)
}

// readInt64 reads an integer as encoding/json does.
func (r *v2Reader) readInt64(n *int64) error {
	val, err := r.dec.ReadValue()
	if err != nil {
		return err
	}
	if v, ok := parseInt64(val); ok {
		*n = v
		return nil
	}
	return json.Unmarshal(val, n)
}

// openObject reads the '{' of an object into which a value decodes.
// For null, as for any non-object, it returns ok false having consumed
// the value, with encoding/json's verdict on decoding it into into.
func (r *v2Reader) openObject(into any) (ok bool, err error) {
	if r.dec.PeekKind() == '{' {
		_, err := r.dec.ReadToken()
		return err == nil, err
	}
	val, err := r.dec.ReadValue()
	if err != nil {
		return false, err
	}
	return false, json.Unmarshal(val, into)
}

// memberName reads an object member's name, unquoted.
func (r *v2Reader) memberName() ([]byte, error) {
	name, err := r.dec.ReadValue()
	if err != nil {
		return nil, err
	}
	raw := []byte(name[1 : len(name)-1])
	if bytes.IndexByte(raw, '\\') >= 0 {
		return jsontext.AppendUnquote(nil, name)
	}
	return raw, nil
}

// decodeMessage decodes a chat.message payload without reflection: the hot
// path. It matches encoding/json exactly (FuzzCodecsAgree checks it).
func (r *v2Reader) decodeMessage(w *wireMessage) error {
	ok, err := r.openObject(w)
	if !ok {
		return err
	}
	for r.dec.PeekKind() != '}' {
		name, err := r.memberName()
		if err != nil {
			return err
		}
		switch {
		case fieldIs(name, "id"):
			err = r.readString(&r.dec, &w.ID)
		case fieldIs(name, "client_id"):
			err = r.readString(&r.dec, &w.ClientID)
		case fieldIs(name, "conversation_id"):
			err = r.readString(&r.dec, &w.ConversationID)
		case fieldIs(name, "sender_id"):
			err = r.readString(&r.dec, &w.SenderID)
		case fieldIs(name, "content"):
			err = r.readString(&r.dec, &w.Content)
		case fieldIs(name, "kind"):
			err = r.readString(&r.dec, &w.Kind)
		case fieldIs(name, "created_at"):
			var val jsontext.Value
			if val, err = r.dec.ReadValue(); err == nil {
				err = w.CreatedAt.UnmarshalJSON(val)
			}
		case fieldIs(name, "reply_to"):
			err = r.readString(&r.dec, &w.ReplyTo)
		case fieldIs(name, "attachments"):
			err = r.attachments(&w.Attachments)
		default:
			err = r.dec.SkipValue()
		}
		if err != nil {
			return err
		}
	}
	_, err = r.dec.ReadToken()
	return err
}

// attachments decodes as encoding/json decodes into a slice: null sets it
// to nil; an array reuses the slice's elements in place.
func (r *v2Reader) attachments(atts *[]wireAttachment) error {
	if r.dec.PeekKind() != '[' {
		val, err := r.dec.ReadValue()
		if err != nil {
			return err
		}
		return json.Unmarshal(val, atts)
	}
	if _, err := r.dec.ReadToken(); err != nil {
		return err
	}
	s := (*atts)[:0]
	if s == nil {
		s = []wireAttachment{}
	}
	for r.dec.PeekKind() != ']' {
		if len(s) < cap(s) {
			s = s[:len(s)+1]
		} else {
			s = append(s, wireAttachment{})
		}
		if err := r.attachment(&s[len(s)-1]); err != nil {
			return err
		}
	}
	*atts = s
	_, err := r.dec.ReadToken()
	return err
}

func (r *v2Reader) attachment(a *wireAttachment) error {
	ok, err := r.openObject(a)
	if !ok {
		return err
	}
	for r.dec.PeekKind() != '}' {
		name, err := r.memberName()
		if err != nil {
			return err
		}
		switch {
		case fieldIs(name, "url"):
			err = r.readString(&r.dec, &a.URL)
		case fieldIs(name, "name"):
			err = r.readString(&r.dec, &a.Name)
		case fieldIs(name, "mime"):
			err = r.readString(&r.dec, &a.MIME)
		case fieldIs(name, "size"):
			err = r.readInt64(&a.Size)
		default:
			err = r.dec.SkipValue()
		}
		if err != nil {
			return err
		}
	}
	_, err = r.dec.ReadToken()
	return err
}

// fieldIs matches a member name to a field as encoding/json does.
func fieldIs(name []byte, field string) bool {
	return string(name) == field || strings.EqualFold(string(name), field)
}

// str returns frame[start:end] as a substring of the frame's text.
func (r *v2Reader) str(start, end int64) string {
	if start == end {
		return ""
	}
	if r.text == "" {
		r.text = string(r.frame)
	}
	return r.text[start:end]
}

// message returns the reader's wireMessage, emptied: a frame decoded twice
// (a duplicate payload) must not keep fields of the first pass.
func (r *v2Reader) message() *wireMessage {
	r.msg = resetMessage(r.msg)
	return &r.msg
}

func (r *v2Reader) release() {
	r.reset(nil, 0)
	r.careful = false
	r.frame, r.text, r.pay = nil, "", nil
	r.msg = resetMessage(r.msg)
	v2Readers.Put(r)
}

// plain reports whether a JSON string's raw content is its value: no
// escapes and valid UTF-8 (encoding/json replaces invalid bytes).
func plain(raw []byte) bool {
	for i, c := range raw {
		if c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			return bytes.IndexByte(raw[i:], '\\') < 0 && utf8.Valid(raw[i:])
		}
	}
	return true
}

// parseInt64 parses a JSON number as encoding/json parses it into an
// int64: an integer literal that fits, nothing else.
func parseInt64(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (1<<63)/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	switch {
	case neg && n <= 1<<63:
		return -int64(n), true
	case !neg && n < 1<<63:
		return int64(n), true
	}
	return 0, false
}
