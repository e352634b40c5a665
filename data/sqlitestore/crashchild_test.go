package sqlitestore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/sqlitestore"
	"github.com/chatwire/chatwire/domain"
)

// crashChild is the app the crash test kills: a data source with the
// SQLite store at args[1], for the user whose token is args[2], on the
// server at args[0]. It reads commands on stdin and reports on stdout,
// one line each:
//
//	send CONTENT  → "queued CLIENT_ID CONTENT" once the send is stored,
//	                later "sent CLIENT_ID ok|ERROR"
//	quit          → closes everything, exits 0
//
// and unprompted: "pending CLIENT_ID CONTENT" for each send an earlier
// process left, "cached ID SEQ" for each cached message of c1, "start",
// "connected", "msg ID SEQ SENDER CONTENT" for each message delivered,
// "recovered CLIENT_ID ok|ERROR" as recovered sends end, "committed SEQ"
// when the store has the position SEQ, "storeerror CLIENT_ID ERROR" when
// a send could not be stored.
func crashChild(args []string) int {
	url, path, token := args[0], args[1], args[2]
	out := &lineWriter{}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	base, err := sqlitestore.Open(path, sqlitestore.Options{})
	if err != nil {
		return fail(err)
	}
	store := &notifyingStore{Store: base, stored: make(chan string, 16), out: out}
	src, err := data.New(data.Options{
		BaseURL:     url,
		TokenSource: func(context.Context) (string, error) { return token, nil },
		Connection:  data.ConnectionOptions{ReconnectDelay: 20 * time.Millisecond, MaxReconnectDelay: 100 * time.Millisecond},
		Store:       store,
	})
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		_ = src.Close()
		wg.Wait()
		_ = base.Close()
	}()
	pending, _ := src.PendingSends(ctx)
	for _, d := range pending {
		out.line("pending", d.ClientID, d.Content)
	}
	cached, _ := src.CachedMessages(ctx, "c1", 0)
	for _, m := range cached {
		out.line("cached", m.ID, fmt.Sprint(m.Seq))
	}
	msgs, recovered := src.Messages(ctx), src.RecoveredSends(ctx)
	wg.Go(func() {
		for m := range msgs {
			out.line("msg", m.ID, fmt.Sprint(m.Seq), m.SenderID, m.Content)
		}
	})
	wg.Go(func() {
		for r := range recovered {
			out.line("recovered", r.ClientID, outcome(r.Err))
		}
	})
	out.line("start")
	wg.Go(func() {
		if err := src.Connect(ctx, token); err == nil {
			out.line("connected")
		}
	})
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "quit":
			return 0
		case "send":
			id := uuid.NewString()
			done := make(chan struct{})
			wg.Go(func() {
				defer close(done)
				_, err := src.SendMessage(ctx, domain.MessageDraft{ConversationID: "c1", Content: arg, ClientID: id})
				out.line("sent", id, outcome(err))
			})
			store.waitStored(id, done)
			out.line("queued", id, arg)
		}
	}
	return 0
}

func outcome(err error) string {
	if err != nil {
		return strings.ReplaceAll(err.Error(), " ", "_")
	}
	return "ok"
}

// notifyingStore tells when a send's PutSend has returned, and prints
// "committed SEQ" when a commit has stored a position.
type notifyingStore struct {
	data.Store
	stored chan string
	out    *lineWriter
}

func (s *notifyingStore) Commit(ctx context.Context, b data.Batch) error {
	err := s.Store.Commit(ctx, b)
	if err == nil && b.Position != nil {
		s.out.line("committed", fmt.Sprint(b.Position.Seq))
	}
	return err
}

func (s *notifyingStore) PutSend(ctx context.Context, send data.StoredSend) error {
	err := s.Store.PutSend(ctx, send)
	if err != nil {
		s.out.line("storeerror", send.ClientID, outcome(err))
	}
	s.stored <- send.ClientID
	return err
}

// waitStored waits until the send id is stored, or has ended without.
func (s *notifyingStore) waitStored(id string, ended <-chan struct{}) {
	for {
		select {
		case got := <-s.stored:
			if got == id {
				return
			}
		case <-ended:
			return
		}
	}
}

// lineWriter writes whole lines to stdout, one at a time.
type lineWriter struct{ mu sync.Mutex }

func (w *lineWriter) line(fields ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Println(strings.Join(fields, " "))
}
