package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// transcript prints one line per event: the time since start, the user
// whose view it is, the event kind and its details:
//
//	+1.204s  bob    message   general  alice: "hi bob"
//
// It is safe for concurrent use; lines never interleave.
type transcript struct {
	mu       sync.Mutex
	w        io.Writer
	start    time.Time
	now      func() time.Time
	showUser bool
}

// newTranscript starts the clock at now(). showUser adds the user column
// (the demo has several users; connect has one).
func newTranscript(w io.Writer, now func() time.Time, showUser bool) *transcript {
	if now == nil {
		now = time.Now
	}
	return &transcript{w: w, start: now(), now: now, showUser: showUser}
}

// Event kinds, the transcript's third column.
const (
	kindInfo      = "info"
	kindFault     = "fault"
	kindConn      = "conn"
	kindSync      = "sync"
	kindMessage   = "message"
	kindSent      = "sent"
	kindSending   = "sending"
	kindTyping    = "typing"
	kindPresence  = "presence"
	kindConv      = "conv"
	kindReceipt   = "receipt"
	kindMsgState  = "msgstate"
	kindCall      = "call"
	kindCallState = "callstate"
	kindError     = "error"
	kindCheck     = "check"
	kindState     = "state"
)

// line prints one event.
func (t *transcript) line(user, kind, format string, args ...any) {
	detail := fmt.Sprintf(format, args...)
	t.mu.Lock()
	defer t.mu.Unlock()
	el := t.now().Sub(t.start)
	var b strings.Builder
	fmt.Fprintf(&b, "+%.3fs  ", el.Seconds())
	if t.showUser {
		fmt.Fprintf(&b, "%-6s ", user)
	}
	fmt.Fprintf(&b, "%-9s %s\n", kind, detail)
	_, _ = io.WriteString(t.w, b.String())
}

// text prints text as is, without the event columns (help, banners).
func (t *transcript) text(text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = io.WriteString(t.w, strings.TrimSuffix(text, "\n")+"\n")
}

// conv formats a conversation column followed by details.
func conv(id, format string, args ...any) string {
	return fmt.Sprintf("%-8s %s", id, fmt.Sprintf(format, args...))
}

// quote shortens and quotes message content for one line.
func quote(s string) string {
	const max = 60
	r := []rune(s)
	if len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// short returns the first 8 characters of an id, enough to tell ids apart
// in a transcript.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// ms formats a duration rounded to the millisecond.
func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }
