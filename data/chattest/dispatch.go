package chattest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// protoErr is a request the server refuses with an error frame.
type protoErr struct {
	code string
	msg  string
}

func perr(code, format string, args ...any) *protoErr {
	return &protoErr{code: code, msg: fmt.Sprintf(format, args...)}
}

// handler handles one client frame type. It returns the ref for an error
// frame (the client_id or call_id the request carries) and the error, if any.
type handler func(s *Server, c *conn, typ string, payload []byte) (ref string, err *protoErr)

var routes = map[string]handler{
	TypePing:             handlePing,
	TypeSync:             handleSync,
	TypeChatMessage:      handleChatMessage,
	TypeTypingIndicator:  handleTyping,
	TypeMessageRead:      handleMessageRead,
	TypeCallInvite:       handleCallInvite,
	TypeCallAccept:       handleCallResponse,
	TypeCallReject:       handleCallResponse,
	TypeCallCancel:       handleCallResponse,
	TypeCallEnd:          handleCallResponse,
	TypeCallOffer:        handleCallRelay,
	TypeCallAnswer:       handleCallRelay,
	TypeCallICECandidate: handleCallRelay,
}

// dispatch decodes the envelope of one client frame and routes it. Bad
// input gets an error frame; the connection goes on.
func (s *Server) dispatch(c *conn, data []byte) {
	var env struct {
		Type    json.RawMessage `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		c.sendError(CodeBadFrame, "frame is not a json object", "")
		return
	}
	var typ string
	if len(env.Type) == 0 || json.Unmarshal(env.Type, &typ) != nil || typ == "" {
		c.sendError(CodeBadFrame, "type must be a non-empty string", "")
		return
	}
	h, ok := routes[typ]
	if !ok {
		c.sendError(CodeUnknownType, fmt.Sprintf("unknown type %q", typ), "")
		return
	}
	payload := []byte(env.Payload)
	if len(payload) == 0 || bytes.Equal(payload, []byte("null")) {
		payload = []byte("{}")
	}
	if ref, pe := h(s, c, typ, payload); pe != nil {
		c.sendError(pe.code, pe.msg, ref)
	}
}

// decode unmarshals a payload into v. Unknown fields are ignored; a wrong
// type gives an invalid_payload error naming the field. As encoding/json
// fills every field it can, v's well-typed fields (the ref) are usable even
// on error.
func decode(payload []byte, v any) *protoErr {
	if payload[0] != '{' {
		return perr(CodeInvalidPayload, "payload must be an object")
	}
	err := json.Unmarshal(payload, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return perr(CodeInvalidPayload, "field %s: got %s, want %s", te.Field, te.Value, jsonKind(te.Type.Kind().String()))
	}
	return perr(CodeInvalidPayload, "payload is not valid json")
}

// jsonKind names a Go kind the way JSON would.
func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	case "ptr":
		return "value"
	}
	return "number"
}

func handlePing(_ *Server, c *conn, _ string, _ []byte) (string, *protoErr) {
	c.enqueue(frame(TypePong, 0, []byte("{}")), false)
	return "", nil
}
