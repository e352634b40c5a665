package networktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network"
)

func testConnectEcho(t *testing.T, h Harness) {
	ctx, c, sc := connected(t, h, ClientOptions{})
	if err := c.Err(); err != nil {
		t.Errorf("Err on an open connection = %v, want nil", err)
	}
	select {
	case <-c.Done():
		t.Fatal("Done closed on an open connection")
	default:
	}
	echo := serveEcho(ctx, sc)
	for _, msg := range []string{`{"type":"ping","payload":{}}`, "", strings.Repeat("é", 1000)} {
		if err := c.Send(ctx, []byte(msg)); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := recvFrame(t, ctx, c); string(got) != msg {
			t.Fatalf("echo = %q, want %q", got, msg)
		}
	}
	c.Close(network.CloseNormal, "")
	<-echo
}

func testFrameOrder(t *testing.T, h Harness) {
	const n = 1000
	ctx, c, sc := connected(t, h, ClientOptions{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // server reads
		defer wg.Done()
		for i := range n {
			f, err := sc.ReadFrame(ctx)
			if err != nil {
				t.Errorf("server ReadFrame %d: %v", i, err)
				return
			}
			if want := fmt.Sprintf("c%d", i); string(f) != want {
				t.Errorf("server got %q, want %q", f, want)
				return
			}
		}
	}()
	go func() { // server writes
		defer wg.Done()
		for i := range n {
			if err := sc.WriteFrame(ctx, fmt.Appendf(nil, "s%d", i)); err != nil {
				t.Errorf("server WriteFrame %d: %v", i, err)
				return
			}
		}
	}()
	sendErr := make(chan error, 1)
	go func() {
		for i := range n {
			if err := c.Send(ctx, fmt.Appendf(nil, "c%d", i)); err != nil {
				sendErr <- fmt.Errorf("send %d: %w", i, err)
				return
			}
		}
		sendErr <- nil
	}()
	for i := range n {
		if got, want := string(recvFrame(t, ctx, c)), fmt.Sprintf("s%d", i); got != want {
			t.Fatalf("client got %q, want %q", got, want)
		}
	}
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}

func testConcurrentSend(t *testing.T, h Harness) {
	const senders, each = 16, 64
	ctx, c, sc := connected(t, h, ClientOptions{})
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := c.Send(ctx, fmt.Appendf(nil, "%d:%d", g, i)); err != nil {
					t.Errorf("Send %d:%d: %v", g, i, err)
					return
				}
			}
		}()
	}
	next := make([]int, senders)
	for range senders * each {
		f, err := sc.ReadFrame(ctx)
		if err != nil {
			t.Fatalf("server ReadFrame: %v", err)
		}
		var g, i int
		if _, err := fmt.Sscanf(string(f), "%d:%d", &g, &i); err != nil || g < 0 || g >= senders {
			t.Fatalf("server got malformed frame %q", f)
		}
		if i != next[g] {
			t.Fatalf("sender %d: got frame %d, want %d (per-goroutine order lost)", g, i, next[g])
		}
		next[g]++
	}
	wg.Wait()
}

func testFramesOwned(t *testing.T, h Harness) {
	ctx, c, sc := connected(t, h, ClientOptions{})
	buf := []byte("first")
	if err := c.Send(ctx, buf); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXX") // Send has returned: the caller owns buf again
	if f, err := sc.ReadFrame(ctx); err != nil || string(f) != "first" {
		t.Fatalf("server got %q, %v; want \"first\"", f, err)
	}
	for _, s := range []string{"aaaa", "bbbb"} {
		if err := sc.WriteFrame(ctx, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	f1 := recvFrame(t, ctx, c)
	f2 := recvFrame(t, ctx, c)
	copy(f1, "zzzz")
	if string(f2) != "bbbb" {
		t.Fatalf("second frame changed to %q when the first was written to: frames share memory", f2)
	}
}

func testPingPong(t *testing.T, h Harness) {
	ctx, c, sc := connected(t, h, ClientOptions{})
	echo := serveEcho(ctx, sc)
	for i := range 3 {
		if err := c.Ping(ctx); err != nil {
			t.Fatalf("Ping %d: %v", i, err)
		}
	}
	// Pings and frames share the connection without mixing up.
	if err := c.Send(ctx, []byte("after pings")); err != nil {
		t.Fatal(err)
	}
	if got := recvFrame(t, ctx, c); string(got) != "after pings" {
		t.Fatalf("got %q", got)
	}
	c.Close(network.CloseNormal, "")
	<-echo
}

func testPingHonoursContext(t *testing.T, h Harness) {
	_, c, _ := connected(t, h, ClientOptions{}) // the server never reads: no pong
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Ping(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ping to a silent server = %v, want context.DeadlineExceeded", err)
	}
}

// testCancelledSendNotWritten checks the outbox guarantee: a Send that
// returns its ctx's error never reaches the peer, and one that returns nil
// does, exactly once. A frame far larger than any socket buffer keeps the
// writer busy while the server does not read, so later frames queue behind
// it and their ctx ends while they wait.
func testCancelledSendNotWritten(t *testing.T, h Harness) {
	const filler = 16 << 20
	ctx, c, sc := connected(t, h, ClientOptions{})

	if err := c.Send(ctx, []byte("first")); err != nil {
		t.Fatal(err)
	}
	pre, cancelPre := context.WithCancel(ctx)
	cancelPre()
	if err := c.Send(pre, []byte("pre-cancelled")); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled ctx = %v, want context.Canceled", err)
	}

	big := bytes.Repeat([]byte("f"), filler)
	fillerErr := make(chan error, 1)
	go func() { fillerErr <- c.Send(ctx, big) }()

	written := map[string]bool{}
	var cancelled []string
	for i := 0; len(cancelled) < 5; i++ {
		if i == 5000 {
			t.Fatalf("no Send was ever cancelled in the queue (filler Send: %v)", <-fillerErr)
		}
		msg := fmt.Sprintf("probe-%d", i)
		pctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		err := c.Send(pctx, []byte(msg))
		cancel()
		switch {
		case err == nil:
			written[msg] = true
		case errors.Is(err, context.DeadlineExceeded):
			cancelled = append(cancelled, msg)
		default:
			t.Fatalf("Send %s = %v", msg, err)
		}
	}
	// Concurrent senders cancelled together.
	cctx, cancelAll := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := fmt.Sprintf("concurrent-%d", i)
			err := c.Send(cctx, []byte(msg))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				written[msg] = true
			case errors.Is(err, context.Canceled):
				cancelled = append(cancelled, msg)
			default:
				t.Errorf("Send %s = %v", msg, err)
			}
		}()
	}
	cancelAll()
	wg.Wait()

	// Let the server read: the filler goes through, then "end".
	seen := map[string]int{}
	readDone := make(chan error, 1)
	go func() {
		for {
			f, err := sc.ReadFrame(ctx)
			if err != nil {
				readDone <- err
				return
			}
			if len(f) == filler {
				seen["filler"]++
				continue
			}
			seen[string(f)]++
			if string(f) == "end" {
				readDone <- nil
				return
			}
		}
	}()
	if err := c.Send(ctx, []byte("end")); err != nil {
		t.Fatalf("Send end: %v", err)
	}
	if err := <-fillerErr; err != nil {
		t.Fatalf("filler Send: %v", err)
	}
	if err := <-readDone; err != nil {
		t.Fatalf("server ReadFrame: %v", err)
	}
	if seen["first"] != 1 || seen["filler"] != 1 {
		t.Errorf("server saw first %d times and the filler %d times, want once each", seen["first"], seen["filler"])
	}
	if seen["pre-cancelled"] != 0 {
		t.Error("a Send whose ctx was already cancelled was written")
	}
	for _, msg := range cancelled {
		if seen[msg] != 0 {
			t.Errorf("%s: Send returned ctx's error but the frame was written", msg)
		}
	}
	for msg := range written {
		if seen[msg] != 1 {
			t.Errorf("%s: Send returned nil but the server saw it %d times", msg, seen[msg])
		}
	}
	for msg, n := range seen {
		if n > 1 {
			t.Errorf("%s written %d times", msg, n)
		}
	}
}
