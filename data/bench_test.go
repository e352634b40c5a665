package data

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/domain"
)

// The benchmarks below measure one inbound chat.message (see benchFrames):
//
//   - BenchmarkRawGorillaReadMessage: a loopback gorilla server floods
//     frames, a bare gorilla client reads them with ReadMessage (the
//     baseline every other figure is compared with);
//   - BenchmarkPipelineChatMessage: the same server and frames through the
//     whole SDK (GorillaClient → ConnectionManager loop: decode → route →
//     one Messages subscriber), per codec;
//   - BenchmarkDecodeChatMessage: decodeFrame alone, per codec;
//   - BenchmarkRawGorillaLatency and BenchmarkPipelineLatency: one frame at a
//     time, server write → receive, p50 and p99 in µs.
//
// B/op and allocs/op of the socket benchmarks count both ends, but the
// server writes prebuilt bytes with a reused buffer and allocates nothing
// per frame, so they are the client's costs per frame.

var benchCodecs = []struct {
	name  string
	codec Codec
}{{"std", StdCodec()}, {"jsonv2", JSONv2Codec()}}

// benchFrames builds realistic chat.message frames, each with its own seq and
// id (the pipeline de-duplicates on both), reusing one buffer.
type benchFrames struct{ buf []byte }

const (
	benchUUIDPrefix = "6f1c2e4a-9b3d-4c7e-8a15-"
	benchContent    = "Running late, start without me!"
)

func (g *benchFrames) next(seq int64) []byte {
	b := append(g.buf[:0], `{"type":"chat.message","seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"payload":{"id":"`+benchUUIDPrefix...)
	b = appendHex12(b, seq)
	b = append(b, `","client_id":"0d3b8f7c-2a41-4e55-b0c9-7a6e1f2d3c4b","conversation_id":"c7a1d2e3-f405-4b6c-9d8e-1a2b3c4d5e6f","sender_id":"u5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f80","content":"`+benchContent+`","kind":"text","created_at":"2026-11-22T10:15:30.123Z"}}`...)
	g.buf = b
	return b
}

func appendHex12(b []byte, n int64) []byte {
	const hex = "0123456789abcdef"
	for i := 44; i >= 0; i -= 4 {
		b = append(b, hex[(n>>uint(i))&0xf])
	}
	return b
}

// benchServer is a loopback gorilla server that, on each connection, sends
// session.ready (when asked), then writes frames on the bench's command.
type benchServer struct {
	srv     *httptest.Server
	ready   bool
	conns   chan *websocket.Conn
	wg      sync.WaitGroup
	stopped chan struct{}
}

func newBenchServer(b *testing.B, sendReady bool) *benchServer {
	s := &benchServer{ready: sendReady, conns: make(chan *websocket.Conn, 1), stopped: make(chan struct{})}
	up := websocket.Upgrader{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		if s.ready {
			if err := c.WriteMessage(websocket.TextMessage, []byte(`{"type":"session.ready","payload":{"user_id":"u1","session_id":"s1","last_seq":0}}`)); err != nil {
				c.Close()
				return
			}
		}
		// Discard whatever the client sends (pings, close) until it goes.
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
		select {
		case s.conns <- c:
		case <-s.stopped:
			c.Close()
		}
	}))
	b.Cleanup(func() {
		close(s.stopped)
		s.srv.Close()
		s.wg.Wait()
	})
	return s
}

func (s *benchServer) wsURL() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") }

// flood writes n frames on c from a goroutine; the returned channel
// reports the first write error.
func flood(c *websocket.Conn, n int) <-chan error {
	done := make(chan error, 1)
	go func() {
		var g benchFrames
		for i := range n {
			if err := c.WriteMessage(websocket.TextMessage, g.next(int64(i+1))); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	return done
}

func frameLen() int64 {
	var g benchFrames
	return int64(len(g.next(1042)))
}

func BenchmarkRawGorillaReadMessage(b *testing.B) {
	s := newBenchServer(b, false)
	c, _, err := websocket.DefaultDialer.Dial(s.wsURL(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	srv := <-s.conns
	defer srv.Close()
	b.SetBytes(frameLen())
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	wrote := flood(srv, b.N)
	for range b.N {
		if _, _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
	b.StopTimer()
	if err := <-wrote; err != nil {
		b.Fatal(err)
	}
}

// connectPipeline returns a connected data source on s and the server end
// of its connection.
func connectPipeline(b *testing.B, s *benchServer, c Codec) (*ChatWebSocketDataSource, *websocket.Conn) {
	// A flood keeps the loop busy for whole scheduler time slices, during
	// which a subscriber on a 2-core machine may not run at all: the
	// default 256-entry buffer would evict it (ErrSlowConsumer) however
	// fast it drains. The buffer is sized for 10 ms of frames.
	src, err := New(Options{BaseURL: s.wsURL(), Codec: c, StreamBuffer: 8192})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = src.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := src.Connect(ctx, "token"); err != nil {
		b.Fatal(err)
	}
	select {
	case srv := <-s.conns:
		b.Cleanup(func() { srv.Close() })
		return src, srv
	case <-ctx.Done():
		b.Fatal("no server connection")
		return nil, nil
	}
}

func BenchmarkPipelineChatMessage(b *testing.B) {
	for _, bc := range benchCodecs {
		b.Run("codec="+bc.name, func(b *testing.B) {
			s := newBenchServer(b, true)
			src, srv := connectPipeline(b, s, bc.codec)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			msgs := src.Messages(ctx)
			errs := src.Errors(ctx)
			b.SetBytes(frameLen())
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			wrote := flood(srv, b.N)
			for i := range b.N {
				select {
				case m, ok := <-msgs:
					if !ok {
						b.Fatalf("messages closed after %d of %d", i, b.N)
					}
					if m.Seq != int64(i+1) {
						b.Fatalf("message %d has seq %d", i+1, m.Seq)
					}
				case err := <-errs:
					b.Fatalf("error after %d of %d: %v", i, b.N, err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
			b.StopTimer()
			if err := <-wrote; err != nil {
				b.Fatal(err)
			}
		})
	}
}

func BenchmarkDecodeChatMessage(b *testing.B) {
	var g benchFrames
	frame := slices.Clone(g.next(1042))
	for _, bc := range benchCodecs {
		b.Run("codec="+bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				d, err := decodeFrame(bc.codec, frame)
				if err != nil || d.event == nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeChatMessageAttachment adds one attachment to the frame.
func BenchmarkDecodeChatMessageAttachment(b *testing.B) {
	var g benchFrames
	f := g.next(1042)
	frame := append(slices.Clone(f[:len(f)-2]), `,"attachments":[{"url":"https://cdn.example.com/f/7d1e/photo.jpg","name":"photo.jpg","mime":"image/jpeg","size":204800}]}}`...)
	for _, bc := range benchCodecs {
		b.Run("codec="+bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				d, err := decodeFrame(bc.codec, frame)
				if err != nil || len(d.event.(domain.Message).Attachments) != 1 {
					b.Fatal(err)
				}
			}
		})
	}
}

// lockstep measures latency one frame at a time: the server stamps the
// time, writes frame i, and waits until the receiver has it.
type lockstep struct {
	epoch time.Time
	sent  atomic.Int64 // ns since epoch of the last write's start
	ack   chan struct{}
	lat   []time.Duration
}

func newLockstep(n int) *lockstep {
	return &lockstep{epoch: time.Now(), ack: make(chan struct{}), lat: make([]time.Duration, 0, n)}
}

func (l *lockstep) serve(c *websocket.Conn, n int) <-chan error {
	done := make(chan error, 1)
	go func() {
		var g benchFrames
		for i := range n {
			f := g.next(int64(i + 1))
			l.sent.Store(int64(time.Since(l.epoch)))
			if err := c.WriteMessage(websocket.TextMessage, f); err != nil {
				done <- err
				return
			}
			<-l.ack
		}
		done <- nil
	}()
	return done
}

func (l *lockstep) received() {
	l.lat = append(l.lat, time.Since(l.epoch)-time.Duration(l.sent.Load()))
	l.ack <- struct{}{}
}

func (l *lockstep) report(b *testing.B) {
	slices.Sort(l.lat)
	pct := func(p float64) float64 {
		return float64(l.lat[int(p*float64(len(l.lat)-1))]) / float64(time.Microsecond)
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

func BenchmarkRawGorillaLatency(b *testing.B) {
	s := newBenchServer(b, false)
	c, _, err := websocket.DefaultDialer.Dial(s.wsURL(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	srv := <-s.conns
	defer srv.Close()
	l := newLockstep(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	wrote := l.serve(srv, b.N)
	for range b.N {
		if _, _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
		l.received()
	}
	b.StopTimer()
	if err := <-wrote; err != nil {
		b.Fatal(err)
	}
	l.report(b)
}

func BenchmarkPipelineLatency(b *testing.B) {
	for _, bc := range benchCodecs {
		b.Run("codec="+bc.name, func(b *testing.B) {
			s := newBenchServer(b, true)
			src, srv := connectPipeline(b, s, bc.codec)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			msgs := src.Messages(ctx)
			l := newLockstep(b.N)
			b.ReportAllocs()
			b.ResetTimer()
			wrote := l.serve(srv, b.N)
			for i := range b.N {
				if _, ok := <-msgs; !ok {
					b.Fatalf("messages closed after %d of %d", i, b.N)
				}
				l.received()
			}
			b.StopTimer()
			if err := <-wrote; err != nil {
				b.Fatal(err)
			}
			l.report(b)
		})
	}
}
