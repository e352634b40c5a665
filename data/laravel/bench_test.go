package laravel

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/data"
)

// The benchmarks below measure one inbound chat message, the same message
// on both protocols, in one run:
//
//   - BenchmarkRawGorillaReadMessage: a loopback gorilla server floods
//     Pusher frames, a bare gorilla client reads them (the baseline);
//   - BenchmarkPipelineEnvelope: the envelope path, data.New → Messages;
//   - BenchmarkPipelineMessageSent: the Pusher path, New → Messages
//     (gorilla → ConnectionManager → pusher.Client → its Handler: decode → route);
//   - BenchmarkDecodeMessageSent: the data source's work on one frame alone.
//
// cpu-µs/op is the process's user+system CPU per message (getrusage),
// server included (it writes prebuilt bytes and allocates nothing per
// frame); B/op and allocs/op are the client's.

const (
	benchID       = "6f1c2e4a-9b3d-4c7e-8a15-"
	benchClientID = "0d3b8f7c-2a41-4e55-b0c9-7a6e1f2d3c4b"
	benchConv     = "c7a1d2e3-f405-4b6c-9d8e-1a2b3c4d5e6f"
	benchSender   = "u5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f80"
	benchContent  = "Running late, start without me!"
	benchCreated  = "2026-11-22T10:15:30.123Z"
)

// benchFrames builds frames with a fresh message id each, in one buffer.
type benchFrames struct {
	buf      []byte
	envelope bool
}

func (g *benchFrames) next(n int64) []byte {
	id := benchID + hex12(n)
	if g.envelope {
		b := append(g.buf[:0], `{"type":"chat.message","seq":`...)
		b = strconv.AppendInt(b, n, 10)
		b = append(b, `,"payload":{"id":"`+id+`","client_id":"`+benchClientID+`","conversation_id":"`+benchConv+`","sender_id":"`+benchSender+`","content":"`+benchContent+`","kind":"text","created_at":"`+benchCreated+`"}}`...)
		g.buf = b
		return b
	}
	b := append(g.buf[:0], `{"event":"App\\Events\\MessageSent","channel":"conversation.`+benchConv+`","data":"{\"message\":{\"id\":\"`+id+`\",\"client_id\":\"`+benchClientID+`\",\"conversation_id\":\"`+benchConv+`\",\"sender_id\":\"`+benchSender+`\",\"content\":\"`+benchContent+`\",\"kind\":\"text\",\"created_at\":\"`+benchCreated+`\"}}"}`...)
	g.buf = b
	return b
}

func hex12(n int64) string {
	const hex = "0123456789abcdef"
	var b [12]byte
	for i := range b {
		b[11-i] = hex[(n>>(4*i))&0xf]
	}
	return string(b[:])
}

// benchServer is a loopback gorilla server. On each connection it greets
// as the protocol wants (Pusher: connection_established, then a
// confirmation of each subscribe; envelope: session.ready) and hands the
// connection to the benchmark once the client is ready.
type benchServer struct {
	srv      *httptest.Server
	envelope bool
	conns    chan *websocket.Conn
	wg       sync.WaitGroup
	stopped  chan struct{}
}

func newBenchServer(b *testing.B, envelope bool) *benchServer {
	s := &benchServer{envelope: envelope, conns: make(chan *websocket.Conn, 1), stopped: make(chan struct{})}
	up := websocket.Upgrader{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		ready := make(chan struct{})
		var once sync.Once
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c, func() { once.Do(func() { close(ready) }) })
		}()
		select {
		case <-ready:
		case <-s.stopped:
			c.Close()
			return
		}
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

// serve greets, answers subscriptions, and discards everything else.
func (s *benchServer) serve(c *websocket.Conn, ready func()) {
	greeting := `{"event":"pusher:connection_established","data":"{\"socket_id\":\"1.1\",\"activity_timeout\":120}"}`
	if s.envelope {
		greeting = `{"type":"session.ready","payload":{"user_id":"u1","session_id":"s1","last_seq":0}}`
	}
	if c.WriteMessage(websocket.TextMessage, []byte(greeting)) != nil {
		ready()
		return
	}
	if s.envelope {
		ready()
	}
	for {
		_, b, err := c.ReadMessage()
		if err != nil {
			return
		}
		if s.envelope || !strings.Contains(string(b), pusher.EventSubscribe) {
			continue
		}
		f, _ := pusher.DecodeFrame(b)
		channel := jsonString(f.Payload(), "channel")
		_ = c.WriteMessage(websocket.TextMessage, []byte(`{"event":"pusher_internal:subscription_succeeded","channel":"`+channel+`","data":"{}"}`))
		ready()
	}
}

func jsonString(obj []byte, field string) string {
	_, rest, _ := strings.Cut(string(obj), `"`+field+`":"`)
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

func (s *benchServer) wsURL() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") }
func (s *benchServer) host() string  { return strings.TrimPrefix(s.srv.URL, "http://") }

func (s *benchServer) next(b *testing.B) *websocket.Conn {
	select {
	case c := <-s.conns:
		b.Cleanup(func() { c.Close() })
		return c
	case <-time.After(10 * time.Second):
		b.Fatal("no server connection")
		return nil
	}
}

// flood writes n frames on c from a goroutine; the channel reports the
// first write error.
func flood(c *websocket.Conn, n int, envelope bool) <-chan error {
	done := make(chan error, 1)
	go func() {
		g := benchFrames{envelope: envelope}
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

// cpuClock measures the process's CPU time.
type cpuClock struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{start: cpuNow()} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(cpuNow()-c.start)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
}

func BenchmarkRawGorillaReadMessage(b *testing.B) {
	s := newBenchServer(b, true)
	c, _, err := websocket.DefaultDialer.Dial(s.wsURL(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	srv := s.next(b)
	if _, _, err := c.ReadMessage(); err != nil { // the greeting
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	wrote := flood(srv, b.N, false)
	for range b.N {
		if _, _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
	b.StopTimer()
	if err := <-wrote; err != nil {
		b.Fatal(err)
	}
}

func BenchmarkPipelineEnvelope(b *testing.B) {
	s := newBenchServer(b, true)
	src, err := data.New(data.Options{BaseURL: s.wsURL(), StreamBuffer: 8192})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = src.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := src.Connect(ctx, "token"); err != nil {
		b.Fatal(err)
	}
	srv := s.next(b)
	msgs, errs := src.Messages(ctx), src.Errors(ctx)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	wrote := flood(srv, b.N, true)
	for i := range b.N {
		select {
		case m := <-msgs:
			if m.Seq != int64(i+1) {
				b.Fatalf("message %d has seq %d", i+1, m.Seq)
			}
		case err := <-errs:
			b.Fatalf("after %d of %d: %v", i, b.N, err)
		}
	}
	cpu.report(b)
	b.StopTimer()
	if err := <-wrote; err != nil {
		b.Fatal(err)
	}
}

func BenchmarkPipelineMessageSent(b *testing.B) {
	s := newBenchServer(b, false)
	src, err := New(Options{
		Host: s.host(), Key: "k",
		AuthEndpoint:        "http://127.0.0.1:1/unused",
		DisableUserChannel:  true,
		DisablePresence:     true,
		ConversationChannel: "conversation.{id}",
		Conversations:       []string{benchConv},
		StreamBuffer:        8192,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = src.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := src.Connect(ctx, "token"); err != nil {
		b.Fatal(err)
	}
	srv := s.next(b)
	msgs, errs := src.Messages(ctx), src.Errors(ctx)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	wrote := flood(srv, b.N, false)
	for i := range b.N {
		select {
		case m := <-msgs:
			if want := benchID + hex12(int64(i+1)); m.ID != want {
				b.Fatalf("message %d is %s", i+1, m.ID)
			}
		case err := <-errs:
			b.Fatalf("after %d of %d: %v", i, b.N, err)
		}
	}
	cpu.report(b)
	b.StopTimer()
	if err := <-wrote; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDecodeMessageSent is the client's and the data source's work on one
// frame, without the socket: DecodeFrame, then the data source's mapping
// with nobody subscribed.
func BenchmarkDecodeMessageSent(b *testing.B) {
	src, err := New(Options{
		Host: "127.0.0.1:1", Key: "k",
		AuthEndpoint:        "http://127.0.0.1:1/unused",
		DisableUserChannel:  true,
		DisablePresence:     true,
		ConversationChannel: "conversation.{id}",
		Conversations:       []string{benchConv},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = src.Close() })
	var g benchFrames
	frames := make([][]byte, 1024)
	for i := range frames {
		frames[i] = append([]byte(nil), g.next(int64(i+1))...)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f, err := pusher.DecodeFrame(frames[i%len(frames)])
		if err != nil {
			b.Fatal(err)
		}
		src.handleFrame(f)
		i++
	}
}

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkIdleConnection reports the heap one connected data source
// holds, idle, with a presence and a private channel subscribed (KiB/conn),
// then what one subscriber on each typed stream adds
// (subscribers-KiB/conn), against a bare gorilla connection with its
// reader goroutine (raw-KiB/conn) on the same server.
// Goroutine stacks are not in the heap: goroutines/conn counts them, the
// loopback server's two per connection included in both figures.
func BenchmarkIdleConnection(b *testing.B) {
	const n = 50
	s := newBenchServer(b, false)
	go func() { // the bench server hands out connections; nobody needs them
		for {
			select {
			case <-s.conns:
			case <-s.stopped:
				return
			}
		}
	}()
	sign := pusher.AuthorizerFunc(func(_ context.Context, socketID, channel string) (pusher.Auth, error) {
		a := pusher.Auth{}
		if strings.HasPrefix(channel, "presence-") {
			a.ChannelData = `{"user_id":"1"}`
		}
		a.Auth = pusher.SignChannel("k", "secret", socketID, channel, a.ChannelData)
		return a, nil
	})
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		base, g0 := heapInUse(), runtime.NumGoroutine()
		raws := make([]*websocket.Conn, n)
		for i := range raws {
			c, _, err := websocket.DefaultDialer.Dial(s.wsURL(), nil)
			if err != nil {
				b.Fatal(err)
			}
			go func() {
				for {
					if _, _, err := c.ReadMessage(); err != nil {
						return
					}
				}
			}()
			raws[i] = c
		}
		raw := heapInUse() - base
		rawGoroutines := runtime.NumGoroutine() - g0
		for _, c := range raws {
			c.Close()
		}
		base = heapInUse()
		g1 := runtime.NumGoroutine()
		srcs := make([]*DataSource, n)
		for i := range srcs {
			src, err := New(Options{
				Host: s.host(), Key: "k", Authorizer: sign,
				UserID:              "1",
				DisableUserChannel:  true,
				ConversationChannel: "private-conversation.{id}",
				Conversations:       []string{"7"},
			})
			if err != nil {
				b.Fatal(err)
			}
			if err := src.Connect(ctx, "token"); err != nil {
				b.Fatal(err)
			}
			srcs[i] = src
		}
		used := heapInUse() - base
		if path := os.Getenv("IDLE_HEAP_PROFILE"); path != "" {
			f, _ := os.Create(path)
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
		g2 := runtime.NumGoroutine()
		for _, src := range srcs {
			_ = src.Messages(ctx)
			_ = src.Typing(ctx)
			_ = src.UserStatuses(ctx)
			_ = src.ConversationUpdates(ctx)
			_ = src.ReadReceipts(ctx)
			_ = src.Calls(ctx)
			_ = src.RawMessages(ctx)
			_ = src.ConnectionStates(ctx)
			_ = src.Errors(ctx)
		}
		subs := heapInUse() - base - used
		b.ReportMetric(float64(subs)/n/1024, "subscribers-KiB/conn")
		b.ReportMetric(float64(used)/n/1024, "KiB/conn")
		b.ReportMetric(float64(raw)/n/1024, "raw-KiB/conn")
		b.ReportMetric(float64(g2-g1)/n, "goroutines/conn")
		b.ReportMetric(float64(rawGoroutines)/n, "raw-goroutines/conn")
		for _, src := range srcs {
			_ = src.Close()
		}
		cancel()
	}
}
