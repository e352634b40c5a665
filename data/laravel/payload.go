package laravel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// fields is a payload object read once, optionally unwrapped: lookups go
// to the inner object first and then to the outer one, so
// {"message":{...},"user":{...}} and a flat {...} decode alike.
//
// Nothing is copied: members are offsets into the payload, and a plain
// string value is a substring of one string holding the whole payload
// (made on first need). Reading validates the payload's JSON.
type fields struct {
	data []byte
	text string
	objs [2]object
	n    int
}

// object is the index of one JSON object's members: the first ones in
// place, more (in big objects) in a slice. It holds no pointer to itself,
// so it copies as a value.
type object struct {
	small [16]member
	n     int
	more  []member
}

func (o *object) len() int { return o.n + len(o.more) }

func (o *object) at(i int) *member {
	if i < len(o.small) {
		return &o.small[i]
	}
	return &o.more[i-len(o.small)]
}

func (o *object) add(m member) {
	if o.n < len(o.small) {
		o.small[o.n] = m
		o.n++
		return
	}
	o.more = append(o.more, m)
}

// member is one name and its value, as offsets into fields.data.
type member struct {
	nameStart, nameEnd int32
	valStart, valEnd   int32
	escaped            string // the name, when it has escapes
}

var errNotObject = errors.New("payload is not a JSON object")

// scanOptions are encoding/json's rules (duplicate names, invalid UTF-8).
var scanOptions = jsonv1.DefaultOptionsV1()

type scanner struct {
	buf bytes.Buffer
	dec jsontext.Decoder
}

var scanners = sync.Pool{New: func() any { return new(scanner) }}

// parseFields reads data as an object and, when one of wrap names a nested
// object, puts that object first.
func parseFields(data json.RawMessage, wrap ...string) (fields, error) {
	f := fields{data: data}
	start, end, ok := trimObject(data, 0, len(data))
	if !ok {
		return f, errNotObject
	}
	if err := f.index(&f.objs[0], start, end); err != nil {
		return f, err
	}
	f.n = 1
	for _, k := range wrap {
		if m, ok := f.objs[0].find(&f, k); ok {
			if s, e, ok := trimObject(data, int(m.valStart), int(m.valEnd)); ok {
				f.objs[1] = f.objs[0]
				if err := f.index(&f.objs[0], s, e); err != nil {
					return f, err
				}
				f.n = 2
				break
			}
		}
	}
	return f, nil
}

// trimObject returns the bounds of data[start:end] without surrounding
// space, if it is an object.
func trimObject(data []byte, start, end int) (int, int, bool) {
	for start < end && isSpace(data[start]) {
		start++
	}
	for end > start && isSpace(data[end-1]) {
		end--
	}
	return start, end, end > start && data[start] == '{'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// index reads the object at data[start:end] into o.
func (f *fields) index(o *object, start, end int) error {
	sc := scanners.Get().(*scanner)
	defer func() {
		sc.buf.Reset()
		scanners.Put(sc)
	}()
	sc.buf = *bytes.NewBuffer(f.data[start:end])
	sc.dec.Reset(&sc.buf, scanOptions)
	*o = object{}
	if _, err := sc.dec.ReadToken(); err != nil {
		return err
	}
	base := int64(start)
	for sc.dec.PeekKind() != '}' {
		name, err := sc.dec.ReadValue()
		if err != nil {
			return err
		}
		nameEnd := base + sc.dec.InputOffset()
		m := member{nameStart: int32(nameEnd) - int32(len(name)) + 1, nameEnd: int32(nameEnd) - 1}
		if bytes.IndexByte(name, '\\') >= 0 {
			u, err := jsontext.AppendUnquote(nil, name)
			if err != nil {
				return err
			}
			m.escaped = string(u)
		}
		val, err := sc.dec.ReadValue()
		if err != nil {
			return err
		}
		valEnd := base + sc.dec.InputOffset()
		m.valStart, m.valEnd = int32(valEnd)-int32(len(val)), int32(valEnd)
		o.add(m)
	}
	if _, err := sc.dec.ReadToken(); err != nil {
		return err
	}
	if _, err := sc.dec.ReadToken(); err != io.EOF {
		return errors.New("data after the payload")
	}
	return nil
}

// is reports whether m is called name.
func (m *member) is(f *fields, name string) bool {
	if m.escaped != "" {
		return m.escaped == name
	}
	return string(f.data[m.nameStart:m.nameEnd]) == name
}

// find returns the last member called name (the last duplicate wins, as
// in encoding/json).
func (o *object) find(f *fields, name string) (member, bool) {
	for i := o.len() - 1; i >= 0; i-- {
		if m := o.at(i); m.is(f, name) {
			return *m, true
		}
	}
	return member{}, false
}

// value returns the first present, non-null member among names.
func (f *fields) value(names ...string) (member, bool) {
	for i := range f.n {
		for _, n := range names {
			if m, ok := f.objs[i].find(f, n); ok && !f.isNull(m) {
				return m, true
			}
		}
	}
	return member{}, false
}

func (f *fields) isNull(m member) bool {
	return m.valEnd-m.valStart == 4 && string(f.data[m.valStart:m.valEnd]) == "null"
}

// raw returns the first present, non-null value among names.
func (f *fields) raw(names ...string) json.RawMessage {
	if m, ok := f.value(names...); ok {
		return json.RawMessage(f.data[m.valStart:m.valEnd:m.valEnd])
	}
	return nil
}

// nested reads the object value of m, if it is one.
func (f *fields) nested(m member) (fields, bool) {
	sub, err := parseFields(f.data[m.valStart:m.valEnd:m.valEnd])
	if err != nil {
		return sub, false
	}
	return sub, true
}

// id reads an id (string or number) among names, and also "id" of a nested
// object named by nested ("user" → user.id).
func (f *fields) id(names []string, nested ...string) (string, error) {
	if m, ok := f.value(names...); ok {
		s, err := f.flexString(m)
		if err != nil {
			return "", fmt.Errorf("%s: %w", names[0], err)
		}
		return s, nil
	}
	for _, n := range nested {
		m, ok := f.value(n)
		if !ok {
			continue
		}
		if sub, ok := f.nested(m); ok {
			if idm, ok := sub.value("id"); ok {
				s, err := sub.flexString(idm)
				if err != nil {
					return "", fmt.Errorf("%s.id: %w", n, err)
				}
				return s, nil
			}
		}
	}
	return "", nil
}

func (f *fields) str(names ...string) (string, error) {
	m, ok := f.value(names...)
	if !ok {
		return "", nil
	}
	s, err := f.flexString(m)
	if err != nil {
		return "", fmt.Errorf("%s: %w", names[0], err)
	}
	return s, nil
}

func (f *fields) boolean(def bool, names ...string) (bool, error) {
	m, ok := f.value(names...)
	if !ok {
		return def, nil
	}
	switch v := f.data[m.valStart:m.valEnd]; string(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	switch s, _ := f.flexString(m); s {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, fmt.Errorf("%s: not a boolean: %s", names[0], f.data[m.valStart:m.valEnd])
}

func (f *fields) time(names ...string) (time.Time, error) {
	m, ok := f.value(names...)
	if !ok {
		return time.Time{}, nil
	}
	s, err := f.flexString(m)
	if err == nil {
		var t time.Time
		if t, err = flexTime(s, f.data[m.valStart] == '"'); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s: %w", names[0], err)
}

func (f *fields) int64(names ...string) (int64, bool, error) {
	m, ok := f.value(names...)
	if !ok {
		return 0, false, nil
	}
	s, err := f.flexString(m)
	if err == nil {
		var n int64
		if n, err = strconv.ParseInt(s, 10, 64); err == nil {
			return n, true, nil
		}
		var x float64
		if x, err = strconv.ParseFloat(s, 64); err == nil {
			return int64(x), true, nil
		}
	}
	return 0, false, fmt.Errorf("%s: not a number: %s", names[0], f.data[m.valStart:m.valEnd])
}

// ids reads a list of ids, or of objects with an "id".
func (f *fields) ids(names ...string) ([]string, error) {
	v := f.raw(names...)
	if v == nil {
		return nil, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, fmt.Errorf("%s: not a list", names[0])
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		s, err := itemID(item)
		if err != nil || s == "" {
			return nil, fmt.Errorf("%s: bad id %s", names[0], item)
		}
		out = append(out, s)
	}
	return out, nil
}

// itemID reads an id, or the "id" of an object.
func itemID(item json.RawMessage) (string, error) {
	sub, err := parseFields(item)
	if err != nil {
		return flexString(item)
	}
	return sub.id([]string{"id"})
}

// flexString reads m's value, a JSON string or number (Laravel ids are
// often numbers): a plain string is a substring of the payload's text.
func (f *fields) flexString(m member) (string, error) {
	v := f.data[m.valStart:m.valEnd]
	if v[0] == '"' && plainASCII(v[1:len(v)-1]) {
		if f.text == "" {
			f.text = string(f.data)
		}
		return f.text[m.valStart+1 : m.valEnd-1], nil
	}
	return flexString(v)
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

// flexString reads a JSON string or number.
func flexString(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '"' {
		var s string
		err := json.Unmarshal(v, &s)
		return s, err
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return "", errors.New("not a string or number")
	}
	return n.String(), nil
}

// Time layouts Laravel emits: ISO 8601 with microseconds (Carbon's JSON
// form, parsed as RFC 3339) and the database form.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05"}

// flexTime reads an RFC 3339 or Laravel date string, or Unix seconds
// (quoted false).
func flexTime(s string, quoted bool) (time.Time, error) {
	if !quoted {
		sec, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}, err
		}
		return time.Unix(0, int64(sec*1e9)).UTC(), nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable time %q", s)
}
