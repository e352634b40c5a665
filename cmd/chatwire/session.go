package main

import (
	"context"
	"sync"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

// session is one user's connection as an app holds it: a data source, the
// notifiers over it, and a watcher printing both to a transcript.
//
// Concurrency: start, close and the notifiers' actions may be called from
// any goroutine. close is idempotent and waits: after it returns nothing
// more is printed or recorded.
type session struct {
	user      string
	src       domain.ChatWebSocketDataSource
	n         *presentation.Notifiers
	w         *watcher
	closeOnce sync.Once
}

// newSession builds the notifiers over src and starts watching both; call
// start to connect. column is the transcript's user column. token, when
// not nil, gives the token start connects with; nil leaves it to src.
func newSession(src domain.ChatWebSocketDataSource, user, column string, token domain.TokenSource, tr *transcript, rec *recorder) *session {
	n := presentation.NewNotifiers(src, presentation.NotifiersOptions{UserID: user,
		Connection: presentation.ConnectionOptions{TokenSource: token}})
	return &session{user: user, src: src, n: n, w: watch(src, n, tr, column, user, rec)}
}

// start connects, waiting until connected, failed or ctx ends.
func (s *session) start(ctx context.Context) error { return s.n.Start(ctx) }

// close closes the notifiers and the data source, then waits until the
// watcher has printed everything they delivered.
func (s *session) close() {
	s.closeOnce.Do(func() {
		s.n.Close()
		_ = s.src.Close()
	})
	s.w.wait()
}
