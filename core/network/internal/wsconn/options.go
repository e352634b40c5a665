package wsconn

import "time"

// Defaults of the options every client shares.
const (
	DefaultReadLimit    = 1 << 20
	DefaultWriteQueue   = 16
	DefaultWriteTimeout = 10 * time.Second
	DefaultCloseTimeout = 5 * time.Second
)

// FrameBuffer is how many inbound frames wait for the receiver before the
// reader stops reading the socket.
const FrameBuffer = 8

// MaxCloseReason is the longest close reason a close frame can carry.
const MaxCloseReason = 123

// closeAbnormal is the close code of a connection that dropped without a
// close frame; a failed write ends the connection with it.
const closeAbnormal = 1006

// ApplyDefaults replaces the zero values of the options every client
// shares: a zero read limit means DefaultReadLimit (a negative one, no
// limit, is kept), and a zero or negative queue or timeout means its
// default.
func ApplyDefaults(readLimit *int64, writeQueue *int, writeTimeout, closeTimeout *time.Duration) {
	if *readLimit == 0 {
		*readLimit = DefaultReadLimit
	}
	if *writeQueue <= 0 {
		*writeQueue = DefaultWriteQueue
	}
	if *writeTimeout <= 0 {
		*writeTimeout = DefaultWriteTimeout
	}
	if *closeTimeout <= 0 {
		*closeTimeout = DefaultCloseTimeout
	}
}

// TruncateReason cuts reason to what a close frame can carry
// (MaxCloseReason bytes), on a rune boundary.
func TruncateReason(reason string) string {
	if len(reason) <= MaxCloseReason {
		return reason
	}
	cut := MaxCloseReason
	for cut > 0 && reason[cut]&0xC0 == 0x80 {
		cut--
	}
	return reason[:cut]
}
