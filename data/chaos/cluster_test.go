package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// waitFor bounds every wait; the machine is shared, so it is generous.
const waitFor = 60 * time.Second

// chaosConnection reconnects fast and detects dead peers within a few
// seconds; scenarios that test detection tighten it.
var chaosConnection = data.ConnectionOptions{
	HandshakeTimeout:  3 * time.Second,
	ReconnectDelay:    50 * time.Millisecond,
	MaxReconnectDelay: 500 * time.Millisecond,
	HeartbeatInterval: 2 * time.Second,
	PongTimeout:       3 * time.Second,
}

// client is one SDK user and what it saw.
type client struct {
	user string
	conv string
	src  *data.ChatWebSocketDataSource

	mu       sync.Mutex
	inbox    []domain.Message
	states   []stateAt
	errs     []error
	attempts []time.Time // when the transport was asked for a new socket

	tokenCalls atomic.Int32
	staleToken atomic.Pointer[string] // handed out once instead of a fresh token
}

type stateAt struct {
	at time.Time
	s  domain.ConnectionState
}

// cluster is a chattest server behind a fault proxy and its clients.
type cluster struct {
	t       *testing.T
	srv     *chattest.Server
	proxy   *faultProxy
	clients []*client
	readers sync.WaitGroup
	closed  bool

	mu        sync.Mutex
	attempted map[string]string           // content -> sender, every SendMessage call
	confirmed map[string][]domain.Message // sender -> confirmed messages in order
	failed    map[string]int              // sender -> failed sends
}

type clusterOptions struct {
	users      int // spread round-robin over convs
	convs      int
	connection data.ConnectionOptions
}

// newCluster starts the server, the proxy and users clients, connected.
func newCluster(t *testing.T, o clusterOptions) *cluster {
	t.Helper()
	srv := chattest.NewServer(chattest.Options{})
	t.Cleanup(srv.Close)
	c := &cluster{
		t:         t,
		srv:       srv,
		proxy:     newFaultProxy(t, srv.URL[len("ws://"):]),
		attempted: map[string]string{},
		confirmed: map[string][]domain.Message{},
		failed:    map[string]int{},
	}
	members := make([][]string, o.convs)
	for i := range o.users {
		members[i%o.convs] = append(members[i%o.convs], fmt.Sprintf("user%02d", i))
	}
	for i, ms := range members {
		if err := srv.CreateConversation(fmt.Sprintf("conv%d", i), "", ms...); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for i := range o.users {
		cl := &client{user: fmt.Sprintf("user%02d", i), conv: fmt.Sprintf("conv%d", i%o.convs)}
		opts := data.Options{
			BaseURL: c.proxy.URL(),
			TokenSource: func(context.Context) (string, error) {
				cl.tokenCalls.Add(1)
				if p := cl.staleToken.Swap(nil); p != nil {
					return *p, nil
				}
				return srv.IssueToken(cl.user), nil
			},
			Transport: func() network.WebSocketClient {
				cl.mu.Lock()
				cl.attempts = append(cl.attempts, time.Now())
				cl.mu.Unlock()
				return network.NewGorillaClient(network.GorillaOptions{})
			},
			Connection:   o.connection,
			StreamBuffer: 4096,
		}
		src, err := data.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		cl.src = src
		c.clients = append(c.clients, cl)
		msgs, states, errs := cl.src.Messages(ctx), cl.src.ConnectionStates(ctx), cl.src.Errors(ctx)
		c.readers.Add(3)
		go func() {
			defer c.readers.Done()
			for m := range msgs {
				cl.mu.Lock()
				cl.inbox = append(cl.inbox, m)
				cl.mu.Unlock()
			}
		}()
		go func() {
			defer c.readers.Done()
			for s := range states {
				cl.mu.Lock()
				cl.states = append(cl.states, stateAt{time.Now(), s})
				cl.mu.Unlock()
			}
		}()
		go func() {
			defer c.readers.Done()
			for err := range errs {
				cl.mu.Lock()
				cl.errs = append(cl.errs, err)
				cl.mu.Unlock()
			}
		}()
	}
	t.Cleanup(c.close)
	for _, cl := range c.clients {
		cctx, cancel := context.WithTimeout(ctx, waitFor)
		err := cl.src.Connect(cctx, srv.IssueToken(cl.user))
		cancel()
		if err != nil {
			t.Fatalf("%s: Connect: %v", cl.user, err)
		}
	}
	return c
}

// close closes every client and waits for the stream readers.
func (c *cluster) close() {
	if c.closed {
		return
	}
	c.closed = true
	for _, cl := range c.clients {
		_ = cl.src.Close()
	}
	c.readers.Wait()
}

// traffic makes every client send a message every gap until stop is
// closed; wait returns when every sender has finished its last send.
type traffic struct {
	stop chan struct{}
	wg   sync.WaitGroup
}

func (c *cluster) startTraffic(gap time.Duration) *traffic {
	tr := &traffic{stop: make(chan struct{})}
	for _, cl := range c.clients {
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-tr.stop:
					return
				default:
				}
				content := fmt.Sprintf("%s#%04d", cl.user, i)
				c.mu.Lock()
				c.attempted[content] = cl.user
				c.mu.Unlock()
				ctx, cancel := context.WithTimeout(context.Background(), waitFor)
				m, err := cl.src.SendMessage(ctx, domain.MessageDraft{ConversationID: cl.conv, Content: content})
				cancel()
				c.mu.Lock()
				if err != nil {
					c.failed[cl.user]++
				} else {
					c.confirmed[cl.user] = append(c.confirmed[cl.user], m)
				}
				c.mu.Unlock()
				if err != nil {
					c.t.Logf("%s: SendMessage %q: %v", cl.user, content, err)
				}
				select {
				case <-tr.stop:
					return
				case <-time.After(gap):
				}
			}
		}()
	}
	return tr
}

func (tr *traffic) finish() {
	close(tr.stop)
	tr.wg.Wait()
}

// run sends traffic for d while fault runs (fault may block; it gets the
// traffic's duration), then stops the traffic and verifies delivery.
func (c *cluster) run(d time.Duration, fault func()) {
	c.t.Helper()
	tr := c.startTraffic(40 * time.Millisecond)
	start := time.Now()
	if fault != nil {
		fault()
	}
	if rest := d - time.Since(start); rest > 0 {
		time.Sleep(rest)
	}
	tr.finish()
	c.verify()
}

func (c *cluster) totalConfirmed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, ms := range c.confirmed {
		n += len(ms)
	}
	return n
}

// verify waits until every member holds every confirmed message of its
// conversation, closes the clients, and checks exactly-once delivery,
// per-sender order and that nothing unsent appeared.
func (c *cluster) verify() {
	t := c.t
	t.Helper()
	c.mu.Lock()
	byConv := map[string]map[string][]domain.Message{} // conv -> sender -> msgs
	for sender, ms := range c.confirmed {
		for _, m := range ms {
			if byConv[m.ConversationID] == nil {
				byConv[m.ConversationID] = map[string][]domain.Message{}
			}
			byConv[m.ConversationID][sender] = append(byConv[m.ConversationID][sender], m)
		}
	}
	failed := 0
	for _, n := range c.failed {
		failed += n
	}
	c.mu.Unlock()
	c.mu.Lock()
	for _, cl := range c.clients {
		if len(c.confirmed[cl.user]) == 0 {
			t.Errorf("%s: no send confirmed during the scenario", cl.user)
		}
	}
	c.mu.Unlock()
	if failed > 0 {
		t.Errorf("%d sends failed (each must either be confirmed or fail; with a %v timeout none should)", failed, waitFor)
	}
	for _, cl := range c.clients {
		want := map[string]bool{}
		for _, ms := range byConv[cl.conv] {
			for _, m := range ms {
				want[m.ID] = true
			}
		}
		deadline := time.Now().Add(waitFor)
		for {
			cl.mu.Lock()
			have := 0
			for _, m := range cl.inbox {
				if want[m.ID] {
					have++
				}
			}
			cl.mu.Unlock()
			if have >= len(want) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s holds %d of %d confirmed messages", cl.user, have, len(want))
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	c.close()
	for _, cl := range c.clients {
		c.checkInbox(cl, byConv[cl.conv])
	}
	t.Logf("%d clients, %d messages confirmed, each checked at every member", len(c.clients), c.totalConfirmed())
}

func (c *cluster) checkInbox(cl *client, confirmed map[string][]domain.Message) {
	t := c.t
	t.Helper()
	seen := map[string]int{}
	bySender := map[string][]string{}
	for _, m := range cl.inbox {
		seen[m.ID]++
		bySender[m.SenderID] = append(bySender[m.SenderID], m.ID)
		c.mu.Lock()
		sender, ok := c.attempted[m.Content]
		c.mu.Unlock()
		if !ok || sender != m.SenderID || m.ConversationID != cl.conv {
			t.Errorf("%s received a message nobody sent: %+v", cl.user, m)
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s received message %s %d times", cl.user, id, n)
		}
	}
	for sender, ms := range confirmed {
		pos := map[string]int{}
		for i, id := range bySender[sender] {
			pos[id] = i
		}
		last := -1
		for _, m := range ms {
			p, ok := pos[m.ID]
			if !ok {
				t.Errorf("%s never received %s's confirmed %q", cl.user, sender, m.Content)
				continue
			}
			if p < last {
				t.Errorf("%s received %s's %q out of order", cl.user, sender, m.Content)
			}
			last = p
		}
	}
}

// status is the client's current connection status.
func (cl *client) status() domain.ConnectionStatus { return cl.src.ConnectionState().Status }

// waitAll waits until every client is in status st.
func (c *cluster) waitAll(what string, st domain.ConnectionStatus) {
	c.t.Helper()
	deadline := time.Now().Add(waitFor)
	for _, cl := range c.clients {
		for cl.status() != st {
			if time.Now().After(deadline) {
				c.t.Fatalf("%s: %s still %v", what, cl.user, cl.status())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// statesMatching counts the transitions of cl to st whose cause matches
// target: one per connection failure. The data source republishes its
// state (same At) when session.ready and sync.done arrive, so transitions
// are told apart by At.
func (cl *client) statesMatching(st domain.ConnectionStatus, target error) int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	seen := map[time.Time]bool{}
	for _, s := range cl.states {
		if s.s.Status == st && errors.Is(s.s.Err, target) {
			seen[s.s.At] = true
		}
	}
	return len(seen)
}

func (c *cluster) eventually(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
