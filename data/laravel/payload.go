package laravel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// fields is a payload object, optionally unwrapped: get looks in the inner
// object first and then in the outer one, so {"message":{...},"user":{...}}
// and a flat {...} decode alike.
type fields []map[string]json.RawMessage

var errNotObject = errors.New("payload is not a JSON object")

// parseFields reads data as an object and, when one of wrap names a nested
// object, puts that object first.
func parseFields(data json.RawMessage, wrap ...string) (fields, error) {
	obj, ok := asObject(data)
	if !ok {
		return nil, errNotObject
	}
	for _, k := range wrap {
		if inner, ok := asObject(obj[k]); ok {
			return fields{inner, obj}, nil
		}
	}
	return fields{obj}, nil
}

func asObject(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil, false
	}
	return m, true
}

// raw returns the first present, non-null value among names.
func (f fields) raw(names ...string) json.RawMessage {
	for _, m := range f {
		for _, n := range names {
			if v, ok := m[n]; ok && !isNull(v) {
				return v
			}
		}
	}
	return nil
}

func isNull(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || string(v) == "null"
}

// id reads an id (string or number) among names, and also "id" of a nested
// object named by nested ("user" → user.id).
func (f fields) id(names []string, nested ...string) (string, error) {
	if v := f.raw(names...); v != nil {
		s, err := flexString(v)
		if err != nil {
			return "", fmt.Errorf("%s: %w", names[0], err)
		}
		return s, nil
	}
	for _, n := range nested {
		if obj, ok := asObject(f.raw(n)); ok && !isNull(obj["id"]) {
			s, err := flexString(obj["id"])
			if err != nil {
				return "", fmt.Errorf("%s.id: %w", n, err)
			}
			return s, nil
		}
	}
	return "", nil
}

func (f fields) str(names ...string) (string, error) {
	v := f.raw(names...)
	if v == nil {
		return "", nil
	}
	s, err := flexString(v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", names[0], err)
	}
	return s, nil
}

func (f fields) boolean(def bool, names ...string) (bool, error) {
	v := f.raw(names...)
	if v == nil {
		return def, nil
	}
	var b bool
	if json.Unmarshal(v, &b) == nil {
		return b, nil
	}
	switch s, _ := flexString(v); s {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, fmt.Errorf("%s: not a boolean: %s", names[0], v)
}

func (f fields) time(names ...string) (time.Time, error) {
	v := f.raw(names...)
	if v == nil {
		return time.Time{}, nil
	}
	t, err := flexTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", names[0], err)
	}
	return t, nil
}

func (f fields) int64(names ...string) (int64, bool, error) {
	v := f.raw(names...)
	if v == nil {
		return 0, false, nil
	}
	s, err := flexString(v)
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
	return 0, false, fmt.Errorf("%s: not a number: %s", names[0], v)
}

// ids reads a list of ids, or of objects with an "id".
func (f fields) ids(names ...string) ([]string, error) {
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
		if obj, ok := asObject(item); ok {
			item = obj["id"]
		}
		s, err := flexString(item)
		if err != nil || s == "" {
			return nil, fmt.Errorf("%s: bad id %s", names[0], item)
		}
		out = append(out, s)
	}
	return out, nil
}

// flexString reads a JSON string or number (Laravel ids are often numbers).
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

// flexTime reads an RFC 3339 or Laravel date string, or Unix seconds.
func flexTime(v json.RawMessage) (time.Time, error) {
	s, err := flexString(v)
	if err != nil {
		return time.Time{}, err
	}
	if len(v) > 0 && v[0] != '"' {
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

func jsonValid(b []byte) bool { return json.Valid(b) }
