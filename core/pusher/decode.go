package pusher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// frameDecoder reads frames in one pass with jsontext: the data is not
// copied (Frame.Data is a slice of Frame.Raw), and event and channel names
// seen before are not allocated again. One goroutine at a time.
type frameDecoder struct {
	buf   bytes.Buffer
	dec   jsontext.Decoder
	names map[string]string // escaped wire form → name
}

// maxInterned bounds the names a frameDecoder remembers.
const maxInterned = 256

// decodeOptions are encoding/json's rules: duplicate names (the last one
// wins) and invalid UTF-8 are accepted.
var decodeOptions = jsonv1.DefaultOptionsV1()

var frameDecoders = sync.Pool{New: func() any { return new(frameDecoder) }}

// DecodeFrame parses one inbound text frame. It fails on invalid JSON and
// on a missing event name; the error matches ErrMalformed. The frame keeps
// b as Raw, and Data is a slice of it: b must not be modified afterwards.
func DecodeFrame(b []byte) (Frame, error) {
	d := frameDecoders.Get().(*frameDecoder)
	defer frameDecoders.Put(d)
	return d.decode(b)
}

func (d *frameDecoder) decode(b []byte) (Frame, error) {
	f, err := d.read(b)
	d.buf.Reset()
	if err != nil {
		if f.Event == "" {
			return Frame{}, &DecodeError{Err: err}
		}
		return Frame{}, &DecodeError{Event: f.Event, Err: err}
	}
	if f.Event == "" {
		return Frame{}, &DecodeError{Err: errors.New("no event name")}
	}
	f.Raw = b
	return f, nil
}

func (d *frameDecoder) read(b []byte) (Frame, error) {
	var f Frame
	d.buf = *bytes.NewBuffer(b)
	d.dec.Reset(&d.buf, decodeOptions)
	tok, err := d.dec.ReadToken()
	if err != nil {
		return f, err
	}
	switch tok.Kind() {
	case '{':
	case 'n':
		return f, d.end()
	default:
		return f, errors.New("frame is not a JSON object")
	}
	for d.dec.PeekKind() != '}' {
		name, err := d.dec.ReadValue()
		if err != nil {
			return f, err
		}
		field := fieldName(name)
		val, err := d.dec.ReadValue()
		if err != nil {
			return f, err
		}
		switch field {
		case "event", "channel":
			var s string
			switch val.Kind() {
			case '"':
				s = d.intern(val)
			case 'n':
			default:
				return f, fmt.Errorf("%s is not a string", field)
			}
			if field == "event" {
				f.Event = s
			} else {
				f.Channel = s
			}
		case "data":
			f.Data = nil
			if val.Kind() != 'n' {
				end := d.dec.InputOffset()
				f.Data = json.RawMessage(b[end-int64(len(val)) : end : end])
			}
		case "user_id":
			if f.UserID, err = flexID(json.RawMessage(val)); err != nil {
				return f, fmt.Errorf("user_id: %w", err)
			}
		}
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return f, err
	}
	return f, d.end()
}

// end checks that nothing but space follows the frame.
func (d *frameDecoder) end() error {
	if _, err := d.dec.ReadToken(); err != io.EOF {
		return errors.New("data after the frame")
	}
	return nil
}

// fieldName returns the frame field a member name stands for (matched as
// encoding/json matches struct fields: exactly, else ignoring case), or "".
func fieldName(name jsontext.Value) string {
	raw := name[1 : len(name)-1]
	for _, f := range [...]string{"event", "channel", "data", "user_id"} {
		if string(raw) == f {
			return f
		}
	}
	if bytes.IndexByte(raw, '\\') >= 0 {
		u, err := jsontext.AppendUnquote(nil, name)
		if err != nil {
			return ""
		}
		raw = u
	}
	for _, f := range [...]string{"event", "channel", "data", "user_id"} {
		if strings.EqualFold(string(raw), f) {
			return f
		}
	}
	return ""
}

// intern returns the string a JSON string value holds, allocating only
// for a name not seen before.
func (d *frameDecoder) intern(val jsontext.Value) string {
	if s, ok := d.names[string(val)]; ok {
		return s
	}
	var s string
	if raw := val[1 : len(val)-1]; plainASCII(raw) {
		s = string(raw)
	} else {
		// Escapes, or UTF-8 to check: invalid bytes become U+FFFD, as
		// encoding/json makes them.
		u, _ := jsontext.AppendUnquote(nil, val)
		s = string(u)
	}
	if d.names == nil {
		d.names = make(map[string]string)
	}
	if len(d.names) < maxInterned {
		d.names[string(val)] = s
	}
	return s
}

// plainASCII reports whether a JSON string's content is its value as is.
func plainASCII(raw []byte) bool {
	for _, c := range raw {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}
