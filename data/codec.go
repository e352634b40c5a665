package data

import "encoding/json"

// Codec is the JSON seam of the data layer: every frame is encoded and
// decoded through it. The default is encoding/json; docs/benchmarks.md
// compares the alternatives measured.
type Codec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

type stdCodec struct{}

func (stdCodec) Marshal(v any) ([]byte, error)      { return json.Marshal(v) }
func (stdCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// StdCodec returns the encoding/json codec.
func StdCodec() Codec { return stdCodec{} }
