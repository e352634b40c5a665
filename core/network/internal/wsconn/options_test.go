package wsconn_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

func TestApplyDefaults(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		limit, wantLimit     int64
		queue, wantQueue     int
		write, close         time.Duration
		wantWrite, wantClose time.Duration
	}{
		{"zero", 0, wsconn.DefaultReadLimit, 0, wsconn.DefaultWriteQueue, 0, 0, wsconn.DefaultWriteTimeout, wsconn.DefaultCloseTimeout},
		{"negative", -1, -1, -3, wsconn.DefaultWriteQueue, -time.Second, -time.Second, wsconn.DefaultWriteTimeout, wsconn.DefaultCloseTimeout},
		{"set", 10, 10, 2, 2, time.Second, 2 * time.Second, time.Second, 2 * time.Second},
	} {
		limit, queue, write, close := tc.limit, tc.queue, tc.write, tc.close
		wsconn.ApplyDefaults(&limit, &queue, &write, &close)
		if limit != tc.wantLimit || queue != tc.wantQueue || write != tc.wantWrite || close != tc.wantClose {
			t.Errorf("%s: got %d %d %v %v", tc.name, limit, queue, write, close)
		}
	}
}

func TestTruncateReason(t *testing.T) {
	long := strings.Repeat("a", 200)
	euro := strings.Repeat("a", 122) + "€" // € is 3 bytes: it would straddle byte 123
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"bye", "bye"},
		{long[:123], long[:123]},
		{long, long[:123]},
		{euro, euro[:122]},
	} {
		got := wsconn.TruncateReason(tc.in)
		if got != tc.want || len(got) > wsconn.MaxCloseReason || !utf8.ValidString(got) {
			t.Errorf("TruncateReason(%d bytes) = %d bytes, want %d", len(tc.in), len(got), len(tc.want))
		}
	}
}
