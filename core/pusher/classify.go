package pusher

import (
	"errors"

	"github.com/chatwire/chatwire/core/network"
)

// Pusher close and error code ranges.
const (
	// CodeUseTLS (4000): the app only accepts TLS; reconnect with wss.
	CodeUseTLS = 4000
	// CodeUnauthorized (4009): the connection is unauthorized. Reverb also
	// sends it, without closing, to refuse a subscription's signature.
	CodeUnauthorized = 4009
	// 4000-4099: the connection must not be re-established as is.
	codeStopMin, codeStopMax = 4000, 4099
	// 4100-4199: reconnect after backing off (over capacity, rate limited).
	codeBackoffMin, codeBackoffMax = 4100, 4199
	// 4200-4299: reconnect at once (server shutting down, pong not received).
	codeNowMin, codeNowMax = 4200, 4299
)

// Classify is the network.ManagerOptions.Classify of the Pusher protocol:
// a pusher:error (*ProtocolError) or WebSocket close (*network.CloseError)
// with code 4000-4099 stops the manager, 4100-4199 backs off, 4200-4299
// reconnects at once (the manager turns a tight loop into backoff); every
// other failure backs off. Client wraps it to retry 4000 with TLS when
// Options.TLSFallback is set.
func Classify(err error) network.Decision {
	code, ok := ErrorCode(err)
	if !ok {
		return network.Backoff
	}
	switch {
	case code >= codeStopMin && code <= codeStopMax:
		return network.Stop
	case code >= codeBackoffMin && code <= codeBackoffMax:
		return network.Backoff
	case code >= codeNowMin && code <= codeNowMax:
		return network.ReconnectNow
	}
	return network.Backoff
}

// ErrorCode returns the Pusher code an error carries: the code of a
// *ProtocolError or of a *network.CloseError, when it is in 4000-4999.
func ErrorCode(err error) (int, bool) {
	var pe *ProtocolError
	if errors.As(err, &pe) && pe.Code >= 4000 && pe.Code <= 4999 {
		return pe.Code, true
	}
	var ce *network.CloseError
	if errors.As(err, &ce) && ce.Code >= 4000 && ce.Code <= 4999 {
		return ce.Code, true
	}
	return 0, false
}
