package presentation

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatwire/chatwire/domain"
)

// BenchmarkStoreUpdate measures one publish to 8 subscribers that never read.
func BenchmarkStoreUpdate(b *testing.B) {
	s := newStore(0)
	defer s.close()
	for range 8 {
		s.changes(b.Context())
	}
	for b.Loop() {
		s.update(func(v int) (int, bool) { return v + 1, true })
	}
}

// BenchmarkMessagesMerge measures filing one message into a full window of
// DefaultMessageWindow messages (copy on write, sorted insert, trim).
func BenchmarkMessagesMerge(b *testing.B) {
	n := &MessagesNotifier{opts: MessagesOptions{Window: DefaultMessageWindow}}
	var list []Message
	for i := range DefaultMessageWindow {
		list, _, _ = n.merge(list, domain.Message{ID: fmt.Sprintf("m%05d", i), ConversationID: "c", CreatedAt: t0.Add(time.Duration(i) * time.Second)}, "me", nil)
	}
	i := DefaultMessageWindow
	for b.Loop() {
		list, _, _ = n.merge(list, domain.Message{ID: fmt.Sprintf("m%05d", i), ConversationID: "c", CreatedAt: t0.Add(time.Duration(i) * time.Second)}, "me", nil)
		i++
	}
}
