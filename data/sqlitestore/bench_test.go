package sqlitestore_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/sqlitestore"
	"github.com/chatwire/chatwire/domain"
)

// The benchmarks put the SQLite store beside the memory store (and no
// store) in one run; compare them with benchstat:
//
//	go test -run '^$' -bench . -count 6 ./data/sqlitestore/ | tee store.txt
//	benchstat -col /store store.txt
//
//   - BenchmarkPipelineChatMessage: data/bench_test.go's envelope pipeline
//     (a loopback server floods chat.message frames, one Messages
//     subscriber), timed until every message is delivered and, with a
//     store, committed to it;
//   - BenchmarkDurableSend: PutSend, durable when it returns;
//   - BenchmarkFirstScreen: from nothing to the first cached screen (open,
//     data.New, the conversation list, a conversation's newest 50) with
//     10,000 messages cached.

var benchStores = []struct {
	name string
	open func(b *testing.B) data.Store // nil: no store
}{
	{"none", nil},
	{"memory", func(*testing.B) data.Store { return data.NewMemoryStore(0) }},
	{"sqlite", func(b *testing.B) data.Store { return openBenchStore(b, sqlitestore.Options{}) }},
	// Every batch committed as soon as the data source has it.
	{"sqlite-eager", func(b *testing.B) data.Store { return openBenchStore(b, sqlitestore.Options{CommitInterval: -1}) }},
}

func openBenchStore(b *testing.B, opts sqlitestore.Options) *sqlitestore.Store {
	st, err := sqlitestore.Open(filepath.Join(b.TempDir(), "bench.db"), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

func BenchmarkPipelineChatMessage(b *testing.B) {
	for _, bs := range benchStores {
		b.Run("store="+bs.name, func(b *testing.B) {
			var store data.Store
			var cs *countingStore
			if bs.open != nil {
				cs = &countingStore{Store: bs.open(b)}
				store = cs
			}
			s := newFloodServer(b)
			src, err := data.New(data.Options{BaseURL: s.url(), Store: store, StreamBuffer: 8192})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = src.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			msgs, errs := src.Messages(ctx), src.Errors(ctx)
			if err := src.Connect(ctx, "token"); err != nil {
				b.Fatal(err)
			}
			conn := <-s.conns
			b.Cleanup(func() { conn.Close() })
			b.SetBytes(int64(len((&frames{}).next(1042))))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			wrote := flood(conn, b.N)
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
			if store != nil { // until the last one is written
				for {
					ms, err := store.Messages(ctx, benchConv, 1)
					if err != nil {
						b.Fatal(err)
					}
					if len(ms) == 1 && ms[0].Seq == int64(b.N) {
						break
					}
					time.Sleep(100 * time.Microsecond)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			if cs != nil {
				b.ReportMetric(float64(cs.commits.Load()), "commits")
			}
			b.StopTimer()
			if err := <-wrote; err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkCommit is the store alone: batches of 100 messages, as the data
// source commits them, into one conversation (each past the cache's 500
// replaces the oldest) or spread over 100; sqlite-eager, as no interval
// between commits applies here.
func BenchmarkCommit(b *testing.B) {
	for _, convs := range []int{1, 100} {
		for _, bs := range []struct {
			name string
			open func(b *testing.B) data.Store
		}{benchStores[1], benchStores[3]} { // the transactions alone: no interval
			b.Run(fmt.Sprintf("convs=%d/store=%s", convs, bs.name), func(b *testing.B) {
				st := bs.open(b)
				ctx := context.Background()
				seq := int64(0)
				b.ReportAllocs()
				for b.Loop() {
					var batch data.Batch
					for range 100 {
						seq++
						conv := fmt.Sprintf("conv-%03d", seq%int64(convs))
						m := domain.Message{ID: fmt.Sprintf("6f1c2e4a-9b3d-4c7e-8a15-%012d", seq), ConversationID: conv, SenderID: "bob",
							Content: benchText, Kind: domain.KindText, CreatedAt: t0.Add(time.Duration(seq) * time.Millisecond), Seq: seq}
						batch.Messages = append(batch.Messages, m)
						batch.Conversations = append(batch.Conversations, domain.ConversationUpdate{ConversationID: conv, LastMessage: &m})
					}
					batch.Position = &domain.Position{Seq: seq}
					if err := st.Commit(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}

func BenchmarkDurableSend(b *testing.B) {
	for _, bs := range benchStores[1:3] {
		b.Run("store="+bs.name, func(b *testing.B) {
			st := bs.open(b)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				id := fmt.Sprintf("6f1c2e4a-9b3d-4c7e-8a15-%012d", i)
				if err := st.PutSend(ctx, data.StoredSend{ClientID: id, CreatedAt: time.Now(),
					Draft: domain.MessageDraft{ClientID: id, ConversationID: benchConv, Content: benchText}}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
		})
	}
}

func BenchmarkFirstScreen(b *testing.B) {
	const convs, perConv = 20, 500 // 10,000 messages
	fill := func(st data.Store) {
		for c := range convs {
			conv := fmt.Sprintf("conv-%02d", c)
			var batch data.Batch
			for i := range perConv {
				batch.Messages = append(batch.Messages, domain.Message{ID: fmt.Sprintf("%s-m%03d", conv, i), ConversationID: conv,
					SenderID: "bob", Content: benchText, Kind: domain.KindText, CreatedAt: t0.Add(time.Duration(i) * time.Second), Seq: int64(c*perConv + i + 1)})
			}
			last := batch.Messages[perConv-1]
			unread := 3
			batch.Conversations = []domain.ConversationUpdate{{ConversationID: conv, Title: "Conversation " + conv,
				ParticipantIDs: []string{"alice", "bob"}, LastMessage: &last, UnreadCount: &unread, UpdatedAt: last.CreatedAt}}
			if err := st.Commit(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
		}
	}
	screen := func(b *testing.B, st data.Store) {
		src, err := data.New(data.Options{BaseURL: "ws://127.0.0.1:1", Store: st})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		list, err := src.CachedConversations(ctx)
		if err != nil || len(list) != convs {
			b.Fatalf("%d conversations, %v", len(list), err)
		}
		ms, err := src.CachedMessages(ctx, list[0].ConversationID, 50)
		if err != nil || len(ms) != 50 {
			b.Fatalf("%d messages, %v", len(ms), err)
		}
		_ = src.Close()
	}
	b.Run("store=memory", func(b *testing.B) {
		st := data.NewMemoryStore(0)
		fill(st)
		b.ReportAllocs()
		for b.Loop() {
			screen(b, st)
		}
	})
	b.Run("store=sqlite", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "bench.db")
		st, err := sqlitestore.Open(path, sqlitestore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		fill(st)
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() { // open included: the app starts from the file
			st, err := sqlitestore.Open(path, sqlitestore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			screen(b, st)
			if err := st.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// countingStore counts the commits the data source makes.
type countingStore struct {
	data.Store
	commits atomic.Int64
}

func (c *countingStore) Commit(ctx context.Context, b data.Batch) error {
	c.commits.Add(1)
	return c.Store.Commit(ctx, b)
}

const (
	benchConv = "c7a1d2e3-f405-4b6c-9d8e-1a2b3c4d5e6f"
	benchText = "Running late, start without me!"
)

// frames builds chat.message frames as data/bench_test.go does, each with
// its own seq and id, reusing one buffer.
type frames struct{ buf []byte }

func (g *frames) next(seq int64) []byte {
	b := append(g.buf[:0], `{"type":"chat.message","seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"payload":{"id":"6f1c2e4a-9b3d-4c7e-8a15-`...)
	b = fmt.Appendf(b, "%012x", seq)
	b = append(b, `","client_id":"0d3b8f7c-2a41-4e55-b0c9-7a6e1f2d3c4b","conversation_id":"`+benchConv+
		`","sender_id":"u5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f80","content":"`+benchText+`","kind":"text","created_at":"2026-11-22T10:15:30.123Z"}}`...)
	g.buf = b
	return b
}

// floodServer is a loopback server that sends session.ready, then hands
// the connection to the benchmark.
type floodServer struct {
	srv   *httptest.Server
	conns chan *websocket.Conn
	wg    sync.WaitGroup
	stop  chan struct{}
}

func newFloodServer(b testing.TB) *floodServer {
	s := &floodServer{conns: make(chan *websocket.Conn, 1), stop: make(chan struct{})}
	up := websocket.Upgrader{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		ready := `{"type":"session.ready","payload":{"user_id":"u1","session_id":"s1","last_seq":0}}`
		if err := c.WriteMessage(websocket.TextMessage, []byte(ready)); err != nil {
			c.Close()
			return
		}
		s.wg.Go(func() { // discard what the client sends until it goes
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		})
		select {
		case s.conns <- c:
		case <-s.stop:
			c.Close()
		}
	}))
	b.Cleanup(func() {
		close(s.stop)
		s.srv.Close()
		s.wg.Wait()
	})
	return s
}

func (s *floodServer) url() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") }

// flood writes n frames on c; the channel reports the first write error.
func flood(c *websocket.Conn, n int) <-chan error {
	done := make(chan error, 1)
	go func() {
		var g frames
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
