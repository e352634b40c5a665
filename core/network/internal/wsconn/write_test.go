package wsconn_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

func TestSendWritesInOrder(t *testing.T) {
	s := newFakeSocket()
	c := openConn(t, 2, s)
	var want []string
	for i := range 10 { // more than the queue holds
		f := fmt.Sprintf("frame %d", i)
		want = append(want, f)
		if err := c.Send(t.Context(), []byte(f)); err != nil {
			t.Fatalf("Send(%q) = %v", f, err)
		}
	}
	if got := s.writtenFrames(); !slices.Equal(got, want) {
		t.Fatalf("written %q, want %q", got, want)
	}
}

func TestSendBeforeConnect(t *testing.T) {
	c := new(wsconn.Conn)
	c.Init(testErrors, 1)
	if err := c.Send(t.Context(), []byte("x")); !errors.Is(err, errNotConnected) {
		t.Fatalf("Send before BeginDial = %v, want errNotConnected", err)
	}
	if err := c.BeginDial(nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(t.Context(), new(wsconn.Pongs)); !errors.Is(err, errNotConnected) {
		t.Fatalf("Ping while dialling = %v, want errNotConnected", err)
	}
	c.Close(1000, "")
	if err := c.Send(t.Context(), []byte("x")); !errors.Is(err, errClosed) {
		t.Fatalf("Send after Close = %v, want errClosed", err)
	}
}

func TestSendCancelledCtx(t *testing.T) {
	c := openConn(t, 1, newFakeSocket())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.Send(ctx, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with a cancelled ctx = %v", err)
	}
}

// A frame whose ctx ends while it waits in the queue is never written.
func TestSendCtxEndsWhileQueued(t *testing.T) {
	s := newFakeSocket()
	s.gate = make(chan struct{})
	s.entered = make(chan []byte, 8)
	c := openConn(t, 4, s)

	first := make(chan error, 1)
	go func() { first <- c.Send(t.Context(), []byte("first")) }()
	<-s.entered // the writer holds "first"

	ctx, cancel := context.WithCancel(t.Context())
	queued := make(chan error, 1)
	go func() { queued <- c.Send(ctx, []byte("queued")) }()
	cancel()
	if err := <-queued; !errors.Is(err, context.Canceled) {
		t.Fatalf("queued Send = %v, want context.Canceled", err)
	}
	s.gate <- struct{}{} // let "first" through
	if err := <-first; err != nil {
		t.Fatalf("first Send = %v", err)
	}
	go func() { <-s.entered; s.gate <- struct{}{} }()
	if err := c.Send(t.Context(), []byte("last")); err != nil {
		t.Fatalf("last Send = %v", err)
	}
	if got, want := s.writtenFrames(), []string{"first", "last"}; !slices.Equal(got, want) {
		t.Fatalf("written %q, want %q: a cancelled frame was written", got, want)
	}
}

// Once the writer took a frame, Send reports that write even if its ctx
// ends meanwhile: a ctx error always means "not written".
func TestSendWaitsForWriteInProgress(t *testing.T) {
	s := newFakeSocket()
	s.gate = make(chan struct{})
	s.entered = make(chan []byte, 1)
	c := openConn(t, 1, s)

	ctx, cancel := context.WithCancel(t.Context())
	res := make(chan error, 1)
	go func() { res <- c.Send(ctx, []byte("taken")) }()
	<-s.entered
	cancel()
	s.gate <- struct{}{}
	if err := <-res; err != nil {
		t.Fatalf("Send = %v, want nil: the frame was written", err)
	}
	if got := s.writtenFrames(); !slices.Equal(got, []string{"taken"}) {
		t.Fatalf("written %q", got)
	}
}

func TestWriteFailureEndsConnection(t *testing.T) {
	s := newFakeSocket()
	s.failWith = io.ErrClosedPipe
	c := openConn(t, 1, s)

	err := c.Send(t.Context(), []byte("x"))
	if !errors.Is(err, errClosed) || !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("Send = %v, want errClosed wrapping io.ErrClosedPipe", err)
	}
	waitDone(t, c)
	var ce *closeErr
	if !errors.As(c.Err(), &ce) || ce.code != 1006 || ce.local || !errors.Is(ce, io.ErrClosedPipe) {
		t.Fatalf("Err = %v, want an abnormal closure wrapping the write error", c.Err())
	}
	if s.drops.Load() == 0 || s.releases.Load() != 1 {
		t.Fatalf("drops=%d releases=%d, want the socket dropped and released once", s.drops.Load(), s.releases.Load())
	}
	if err := c.Send(t.Context(), []byte("y")); !errors.Is(err, errClosed) {
		t.Fatalf("Send after the end = %v, want errClosed", err)
	}
}

// A request still queued when the connection ends is failed with
// errClosed and never written; every Send that returned nil was written.
func TestQueuedFailWhenPeerHangsUp(t *testing.T) {
	s := newFakeSocket()
	s.gate = make(chan struct{})
	s.entered = make(chan []byte, 8)
	c := openConn(t, 4, s)

	results := make(chan error, 3)
	go func() { results <- c.Send(t.Context(), []byte("a")) }()
	<-s.entered
	for _, f := range []string{"b", "c"} {
		go func() { results <- c.Send(t.Context(), []byte(f)) }()
	}
	close(s.hangUp)
	go func() {
		for {
			select {
			case <-s.entered:
				s.gate <- struct{}{}
			case <-c.Done():
				return
			}
		}
	}()
	s.gate <- struct{}{}
	waitDone(t, c)
	var ok int
	for range 3 {
		switch err := <-results; {
		case err == nil:
			ok++
		case !errors.Is(err, errClosed):
			t.Fatalf("Send = %v, want nil or errClosed", err)
		}
	}
	if n := len(s.writtenFrames()); n != ok {
		t.Fatalf("%d frames written, %d Sends returned nil", n, ok)
	}
	if err := c.Err(); !errors.Is(err, errLost) {
		t.Fatalf("Err = %v, want the reader's cause", err)
	}
}

// Senders racing with Close: a Send returns nil exactly when its frame was
// written, and a frame is written at most once.
func TestConcurrentSendAndClose(t *testing.T) {
	s := newFakeSocket()
	s.answerClose = true
	c := openConn(t, 4, s)

	const senders, each = 8, 50
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent []string
	)
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				f := fmt.Sprintf("%d/%d", g, i)
				ctx, cancel := context.WithCancel(t.Context())
				if rand.IntN(4) == 0 {
					cancel()
				}
				err := c.Send(ctx, []byte(f))
				cancel()
				switch {
				case err == nil:
					mu.Lock()
					sent = append(sent, f)
					mu.Unlock()
				case errors.Is(err, errClosed), errors.Is(err, context.Canceled):
				default:
					t.Errorf("Send = %v", err)
				}
			}
		})
	}
	if c.Close(4000, "bye") != true {
		t.Error("first Close did not report first")
	}
	c.Wait(closeTimeout, s)
	wg.Wait()
	written := s.writtenFrames()
	slices.Sort(written)
	slices.Sort(sent)
	if !slices.Equal(written, sent) {
		t.Fatalf("written %d frames, Send returned nil for %d", len(written), len(sent))
	}
	if len(slices.Compact(slices.Clone(written))) != len(written) {
		t.Fatal("a frame was written twice")
	}
	if len(s.shutdowns) != 1 || s.shutdowns[0] != (frame{4000, "bye"}) {
		t.Fatalf("close frames %v, want one 4000 bye", s.shutdowns)
	}
}
