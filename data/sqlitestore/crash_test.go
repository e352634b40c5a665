package sqlitestore_test

// The crash test: a real child process (this test binary, re-executed as
// crashChild) holds a session with the SQLite store against the reference
// server in this process, and is killed with SIGKILL. The next child,
// started on the same file, must deliver what the dead one had queued,
// once each and in order, and every event missed while no child lived.
//
// `make test` runs the scripted crash and a few random rounds;
// `make chaos` runs hundreds (CHATWIRE_CRASH_ROUNDS; CHATWIRE_CRASH_SEED
// replays a run).

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/data/sqlitestore"
	"github.com/chatwire/chatwire/domain"
)

// crashRig is the server, the store's file and what the test knows of
// them across children.
type crashRig struct {
	t     *testing.T
	srv   *chattest.Server
	path  string
	token string
	up    bool
	// queued are the sends a child acknowledged as stored, in order.
	queued []string // client ids
	// position is the stored position when the last child died.
	position int64
	// seqs holds the seq of every message some child delivered or found
	// cached, by id.
	seqs  map[string]int64
	sends int // content counter
}

func newCrashRig(t *testing.T) *crashRig {
	// A history that holds every round's events: a sync from a position
	// the server has forgotten is a loss the protocol reports
	// (SyncIncomplete), not the store's.
	srv := chattest.NewServer(chattest.Options{HistorySize: 100_000})
	t.Cleanup(srv.Close)
	if err := srv.CreateConversation("c1", "Team", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	return &crashRig{t: t, srv: srv, path: filepath.Join(t.TempDir(), "alice.db"), token: srv.IssueToken("alice"), up: true, seqs: map[string]int64{}}
}

func (r *crashRig) start() *crashRun {
	c := startChild(r.t, "crash", r.srv.URL, r.path, r.token)
	return &crashRun{rig: r, c: c, since: r.position}
}

func (r *crashRig) setUp(up bool) {
	if up == r.up {
		return
	}
	if up {
		if err := r.srv.Start(); err != nil {
			r.t.Fatal(err)
		}
	} else {
		r.srv.Stop()
	}
	r.up = up
}

func (r *crashRig) post(content string) string {
	m, err := r.srv.Post(chattest.Message{ConversationID: "c1", SenderID: "bob", Content: content})
	if err != nil {
		r.t.Fatal(err)
	}
	return m.ID
}

// crashRun is one child and what it printed.
type crashRun struct {
	rig   *crashRig
	c     *child
	since int64 // the stored position it started from
	lines []string
	msgs  []printed
}

type printed struct {
	id  string
	seq int64
}

// next returns the child's next line, recording it; ok is false when the
// child's output has ended.
func (cr *crashRun) next(timeout time.Duration) (string, bool) {
	select {
	case l, ok := <-cr.c.lines:
		if ok {
			cr.record(l)
		}
		return l, ok
	case <-time.After(timeout):
		cr.rig.t.Fatalf("the child said nothing for %v; stderr:\n%s", timeout, cr.c.stderr)
		return "", false
	}
}

func (cr *crashRun) record(l string) {
	cr.lines = append(cr.lines, l)
	switch f := strings.Fields(l); f[0] {
	case "msg":
		seq, _ := strconv.ParseInt(f[2], 10, 64)
		cr.msgs = append(cr.msgs, printed{f[1], seq})
		if seq != 0 {
			cr.rig.seqs[f[1]] = seq
		}
	case "storeerror":
		cr.rig.t.Fatalf("the child could not store a send: %s", l)
	case "sent":
		if isRefusal(f[2]) {
			cr.rig.queued = slices.DeleteFunc(cr.rig.queued, func(id string) bool { return id == f[1] })
		}
	}
}

// isRefusal reports whether a "sent" outcome is a refusal: the send was
// refused after it was stored (the outbox full of recovered sends), so
// SendMessage told its caller and the store forgot it. A send ended by
// the child's own close stays stored for the next child.
func isRefusal(outcome string) bool {
	return outcome != "ok" && !strings.Contains(outcome, "closed")
}

// refused reports whether the child has already reported the send
// clientID refused.
func (cr *crashRun) refused(clientID string) bool {
	return slices.ContainsFunc(cr.lines, func(l string) bool {
		f := strings.Fields(l)
		return f[0] == "sent" && f[1] == clientID && isRefusal(f[2])
	})
}

// count returns how many lines of kind the child has printed.
func (cr *crashRun) count(kind string) int {
	n := 0
	for _, l := range cr.lines {
		if strings.HasPrefix(l, kind+" ") {
			n++
		}
	}
	return n
}

// until reads lines until done says so.
func (cr *crashRun) until(what string, done func(line string) bool) {
	cr.rig.t.Helper()
	for {
		l, ok := cr.next(waitFor)
		if !ok {
			cr.rig.t.Fatalf("the child ended before %s; stderr:\n%s", what, cr.c.stderr)
		}
		if done(l) {
			return
		}
	}
}

// send asks the child to send content and waits until it is stored.
func (cr *crashRun) send() {
	cr.rig.t.Helper()
	cr.rig.sends++
	content := fmt.Sprintf("q-%d", cr.rig.sends)
	if _, err := fmt.Fprintf(cr.c.stdin, "send %s\n", content); err != nil {
		cr.rig.t.Fatal(err)
	}
	cr.until("queued "+content, func(l string) bool {
		f := strings.Fields(l)
		if f[0] == "queued" && f[2] == content {
			// The send may have been refused (and forgotten by the
			// store) before the child said it was stored.
			if !cr.refused(f[1]) {
				cr.rig.queued = append(cr.rig.queued, f[1])
			}
			return true
		}
		return false
	})
}

// kill SIGKILLs the child, reads what it printed before dying, and checks
// the store it left.
func (cr *crashRun) kill() {
	t := cr.rig.t
	t.Helper()
	if err := cr.c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cr.drain()
	_ = cr.c.cmd.Wait()
	cr.checkLeft()
}

// quit ends the child cleanly.
func (cr *crashRun) quit() {
	t := cr.rig.t
	t.Helper()
	if _, err := fmt.Fprintln(cr.c.stdin, "quit"); err != nil {
		t.Fatal(err)
	}
	cr.drain()
	if err := cr.c.cmd.Wait(); err != nil {
		t.Fatalf("child: %v; stderr:\n%s", err, cr.c.stderr)
	}
	cr.checkLeft()
}

func (cr *crashRun) drain() {
	for {
		if _, ok := cr.next(waitFor); !ok {
			return
		}
	}
}

// checkLeft checks the run against the store its child left:
//   - it delivered no event twice, and none the store had recorded as
//     delivered when it started (ids once; seqs increase, all above
//     since);
//   - the stored position is never ahead of the cache: every message it
//     delivered at or below the position is cached, unless newer ones
//     have pushed it out (an event and the position it leads to are
//     written together);
//   - the stored position skips nothing: every message at the server
//     between the run's start and the stored position was delivered by a
//     child or is cached;
//   - no acknowledged send is lost: each is still stored, or at the server.
func (cr *crashRun) checkLeft() {
	t := cr.rig.t
	t.Helper()
	last := cr.since
	seen := map[string]bool{}
	for _, m := range cr.msgs {
		if seen[m.id] {
			t.Fatalf("delivered %s twice\n%s", m.id, strings.Join(cr.lines, "\n"))
		}
		seen[m.id] = true
		if m.seq == 0 { // a copy without seq (a re-echo): checked by id only
			continue
		}
		if m.seq <= last {
			t.Fatalf("delivered %s (seq %d) after seq %d: twice, or again after a restart from %d\n%s",
				m.id, m.seq, last, cr.since, strings.Join(cr.lines, "\n"))
		}
		last = m.seq
	}
	st, err := sqlitestore.Open(cr.rig.path, sqlitestore.Options{})
	if err != nil {
		t.Fatalf("open the store the child left: %v", err)
	}
	defer st.Close()
	state, err := st.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cached, err := st.Messages(t.Context(), "c1", 0)
	if err != nil {
		t.Fatal(err)
	}
	cr.rig.position = state.Position.Seq
	full := len(cached) >= data.DefaultCachedMessages // older messages have left the cache
	for _, m := range cr.msgs {
		if full && m.seq < cached[0].Seq {
			continue
		}
		if m.seq <= state.Position.Seq && !slices.ContainsFunc(cached, func(c domain.Message) bool { return c.ID == m.id }) {
			t.Fatalf("stored position %d, but message %s (seq %d) is not cached: lost if the app had not shown it",
				state.Position.Seq, m.id, m.seq)
		}
	}
	cr.checkNoneSkipped(state.Position.Seq, cached)
	atServer := serverClientIDs(t, cr.rig.srv)
	for _, id := range cr.rig.queued {
		stored := slices.ContainsFunc(state.Sends, func(s data.StoredSend) bool { return s.ClientID == id })
		if !stored && atServer[id] == 0 {
			t.Fatalf("send %s was acknowledged as stored, and is neither stored nor at the server; this run (from position %d) printed:\n%s\nstderr:\n%s",
				id, cr.since, strings.Join(cr.lines, "\n"), cr.c.stderr)
		}
	}
}

// checkNoneSkipped checks that the messages alice's history at the
// server holds between the run's start position and position were each
// delivered (by this child or an earlier one) or are cached: the position
// a store keeps never runs ahead of what the app has.
func (cr *crashRun) checkNoneSkipped(position int64, cached []domain.Message) {
	t := cr.rig.t
	t.Helper()
	in := map[string]bool{}
	for _, m := range cached {
		in[m.ID] = true
		cr.rig.seqs[m.ID] = m.Seq
	}
	for _, m := range cr.msgs {
		in[m.id] = true
	}
	for _, r := range cr.rig.srv.History("alice") {
		if r.MessageID == "" || r.Seq <= cr.since || r.Seq > position {
			continue
		}
		if !in[r.MessageID] && !cr.rig.delivered(r.MessageID) {
			t.Fatalf("stored position %d (from %d), but message %s (seq %d) was never delivered nor cached\n%s",
				position, cr.since, r.MessageID, r.Seq, strings.Join(cr.lines, "\n"))
		}
	}
}

// delivered reports whether some child delivered or cached the message id.
func (r *crashRig) delivered(id string) bool {
	_, ok := r.seqs[id]
	return ok
}

// serverClientIDs counts alice's messages at the server by client id.
func serverClientIDs(t *testing.T, srv *chattest.Server) map[string]int {
	ms, err := srv.Messages("c1")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range ms {
		if m.SenderID == "alice" {
			out[m.ClientID]++
		}
	}
	return out
}

// finish runs a last child with the server up until it has resent every
// stored send and caught up, then checks the end state: each acknowledged
// send at the server exactly once, in order; the cache equal to the
// conversation at the server.
func (r *crashRig) finish() {
	t := r.t
	t.Helper()
	r.setUp(true)
	run := r.start()
	var pending []string
	run.until("start", func(l string) bool {
		if f := strings.Fields(l); f[0] == "pending" {
			pending = append(pending, f[1])
		}
		return l == "start"
	})
	newest := r.post("the last word")
	recovered := 0
	caughtUp := false
	run.until("every pending send ended and the last word", func(l string) bool {
		f := strings.Fields(l)
		switch f[0] {
		case "recovered":
			if f[2] != "ok" {
				t.Fatalf("recovered send %s ended with %s", f[1], f[2])
			}
			recovered++
		case "msg":
			caughtUp = caughtUp || f[1] == newest
		}
		return recovered == len(pending) && caughtUp
	})
	run.quit()

	ms, err := r.srv.Messages("c1")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	count := map[string]int{}
	for _, m := range ms {
		if m.SenderID == "alice" {
			count[m.ClientID]++
			if slices.Contains(r.queued, m.ClientID) {
				order = append(order, m.ClientID)
			}
		}
	}
	for id, n := range count {
		if n != 1 {
			t.Errorf("send %s is stored %d times at the server", id, n)
		}
	}
	if !slices.Equal(order, r.queued) {
		t.Fatalf("the server holds the acknowledged sends as\n%v\nwant, in the order they were queued,\n%v", order, r.queued)
	}
	st, err := sqlitestore.Open(r.path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	state, _ := st.Load(t.Context())
	cached, _ := st.Messages(t.Context(), "c1", 0)
	var want, got []string
	for _, m := range ms[max(0, len(ms)-len(cached)):] {
		want = append(want, m.ID)
	}
	for _, m := range cached {
		got = append(got, m.ID)
	}
	if len(state.Sends) != 0 || len(cached) == 0 || !slices.Equal(got, want) {
		t.Fatalf("the store after the last child: %d sends; cache %v, want the server's %v", len(state.Sends), got, want)
	}
	t.Logf("%d messages at the server, %d acknowledged sends, each once and in order", len(ms), len(r.queued))
}

// A child killed during an outage, with sends queued: the next one, on the
// same file, resends them once each and in order, and delivers exactly
// what was missed while no child lived.
func TestCrashQueuedSendsSurviveSIGKILL(t *testing.T) {
	r := newCrashRig(t)
	a := r.start()
	a.until("connected", func(l string) bool { return l == "connected" })
	seen := []string{r.post("seen-1"), r.post("seen-2")}
	a.until("both seen", func(string) bool { return len(a.msgs) == 2 })
	a.until("their position stored", func(l string) bool {
		f := strings.Fields(l)
		seq, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
		return f[0] == "committed" && seq >= a.msgs[1].seq
	})
	r.setUp(false)
	for range 5 {
		a.send()
	}
	a.kill()
	missed := []string{r.post("missed-1"), r.post("missed-2")}

	r.setUp(true)
	b := r.start()
	b.until("the sends resent and the missed delivered", func(string) bool {
		return len(b.msgs) >= 7 && b.count("recovered") == 5
	})
	var pending []string
	for _, l := range b.lines {
		if f := strings.Fields(l); f[0] == "pending" {
			pending = append(pending, f[1])
		}
		if f := strings.Fields(l); f[0] == "recovered" && f[2] != "ok" {
			t.Fatalf("recovered send ended: %s", l)
		}
	}
	if !slices.Equal(pending, r.queued) {
		t.Fatalf("the second child found pending %v, want %v", pending, r.queued)
	}
	var ids []string
	for _, m := range b.msgs {
		ids = append(ids, m.id)
	}
	// seen-1 and seen-2 were delivered and their position stored before
	// the kill.
	if slices.Contains(ids, seen[0]) || slices.Contains(ids, seen[1]) {
		t.Fatalf("the second child delivered again what the first had: %v", b.lines)
	}
	if ids[0] != missed[0] || ids[1] != missed[1] {
		t.Fatalf("the second child delivered %v, want the missed %v first", ids, missed)
	}
	b.quit()
	r.finish()
}

// Children killed at random moments (while sends are written and not yet
// echoed, during reconnects and syncs, while events arrive), then one
// that lives: nothing acknowledged is lost or doubled, nothing delivered
// twice.
func TestCrashAtRandomMoments(t *testing.T) {
	rounds := 6
	if s := os.Getenv("CHATWIRE_CRASH_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("CHATWIRE_CRASH_ROUNDS: %v", err)
		}
		rounds = n
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CHATWIRE_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CHATWIRE_CRASH_SEED: %v", err)
		}
		seed = n
	}
	t.Logf("%d rounds, CHATWIRE_CRASH_SEED=%d", rounds, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	r := newCrashRig(t)
	// A first session binds the store: a store that never had one starts
	// at the live edge, like an app without a store, and would rightly
	// not replay what was posted before it.
	first := r.start()
	first.until("the store bound", func(l string) bool { return strings.HasPrefix(l, "committed ") })
	first.quit()
	for round := range rounds {
		r.setUp(rng.IntN(4) != 0)
		run := r.start()
		run.until("start", func(l string) bool { return l == "start" })
		for range rng.IntN(6) {
			switch rng.IntN(5) {
			case 0, 1:
				run.send()
			case 2:
				r.post(fmt.Sprintf("r%d", round))
			case 3:
				r.setUp(!r.up)
			case 4:
				time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
			}
		}
		// The moment: right away, just after a send is written, a little
		// later (into the reconnect, the sync or the echoes), or amid a
		// burst of inbound events.
		switch rng.IntN(4) {
		case 0:
		case 1:
			if r.up {
				run.send()
			}
		case 2:
			time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		case 3: // amid a burst of events being delivered and written
			if r.up {
				for i := range 30 {
					r.post(fmt.Sprintf("r%d-burst-%d", round, i))
				}
				time.Sleep(time.Duration(rng.IntN(15)) * time.Millisecond)
			}
		}
		run.kill()
	}
	r.finish()
}
