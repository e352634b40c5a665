package wsconn_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

func TestDeliverInOrder(t *testing.T) {
	s := newFakeSocket()
	c := openConn(t, 1, s)
	go func() {
		for _, f := range []string{"a", "b", "c"} {
			s.inbound <- []byte(f)
		}
	}()
	for _, want := range []string{"a", "b", "c"} {
		if got := string(<-c.Frames()); got != want {
			t.Fatalf("frame %q, want %q", got, want)
		}
	}
}

// A receiver that stopped reading does not hold Close up: once Close was
// called the reader drops frames, and Frames is closed before Done.
func TestDeliverAfterCloseDoesNotBlock(t *testing.T) {
	s := newFakeSocket()
	s.answerClose = true
	c := openConn(t, 1, s)
	for range wsconn.FrameBuffer + 1 { // the last one waits in Deliver
		s.inbound <- []byte("x")
	}
	c.Close(1000, "")
	c.Wait(closeTimeout, s)
	n := 0
	for range c.Frames() {
		n++
	}
	if n > wsconn.FrameBuffer+1 {
		t.Fatalf("%d frames delivered, want at most %d", n, wsconn.FrameBuffer+1)
	}
}

func TestReadMessage(t *testing.T) {
	for _, size := range []int{0, 1, 300, 4096, 4097, 70 << 10, 1 << 20} {
		want := bytes.Repeat([]byte("0123456789"), size/10+1)[:size]
		for name, r := range map[string]io.Reader{
			"whole":   bytes.NewReader(want),
			"onebyte": iotest.OneByteReader(bytes.NewReader(want)),
			"half":    iotest.HalfReader(bytes.NewReader(want)),
		} {
			got, err := wsconn.ReadMessage(r)
			if err != nil {
				t.Fatalf("%d bytes, %s: %v", size, name, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%d bytes, %s: got %d bytes that differ", size, name, len(got))
			}
			if cap(got) != len(got) {
				t.Fatalf("%d bytes, %s: cap %d, want a right-sized copy", size, name, cap(got))
			}
		}
	}
	// Each result is the caller's: reading again does not change it.
	a, _ := wsconn.ReadMessage(strings.NewReader("first"))
	wsconn.ReadMessage(strings.NewReader("second"))
	if string(a) != "first" {
		t.Fatalf("first message changed to %q", a)
	}
}

func TestReadMessageError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(boom))
	if got, err := wsconn.ReadMessage(r); err != boom || got != nil {
		t.Fatalf("ReadMessage = %q, %v; want nil, boom", got, err)
	}
}
