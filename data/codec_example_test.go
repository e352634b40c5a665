package data_test

import (
	"fmt"

	"github.com/chatwire/chatwire/data"
)

// Choosing the codec: JSONv2Codec decodes the same frames as StdCodec, with
// encoding/json's semantics, several times faster.
func ExampleJSONv2Codec() {
	codec := data.JSONv2Codec()
	src, err := data.New(data.Options{BaseURL: "ws://127.0.0.1:8080", Codec: codec})
	if err != nil {
		panic(err)
	}
	defer src.Close()

	frame, err := codec.Marshal(map[string]any{"type": "ping", "payload": struct{}{}})
	fmt.Println(string(frame), err)
	// Output: {"payload":{},"type":"ping"} <nil>
}
