package sqlitestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/domain"
)

// Load returns what the store holds: the account, the position and the
// sends not yet ended, oldest first.
func (s *Store) Load(ctx context.Context) (data.StoreState, error) {
	var st data.StoreState
	err := s.do(ctx, "load", func() error {
		err := s.query("SELECT server, user_id, epoch, seq FROM session", func(r *sqlite3.Stmt) error {
			st.Account = data.Account{Server: r.ColumnText(0), UserID: r.ColumnText(1)}
			st.Position = domain.Position{Epoch: r.ColumnText(2), Seq: r.ColumnInt64(3)}
			return nil
		})
		if err != nil {
			return err
		}
		return s.query("SELECT client_id, draft, created_at FROM sends ORDER BY n", func(r *sqlite3.Stmt) error {
			var d draftRecord
			if err := decode(r.ColumnRawText(1), &d); err != nil {
				return err
			}
			created, err := time.Parse(time.RFC3339Nano, r.ColumnText(2))
			if err != nil {
				return fmt.Errorf("%w: a send's time: %w", data.ErrStoreCorrupt, err)
			}
			st.Sends = append(st.Sends, data.StoredSend{ClientID: r.ColumnText(0), Draft: d.domain(), CreatedAt: created})
			return nil
		})
	})
	return st, err
}

// PutSend records a send; it is on disk (synced) when PutSend returns. A
// send already stored under its client id is kept as it is.
func (s *Store) PutSend(ctx context.Context, send data.StoredSend) error {
	draft, err := json.Marshal(toDraft(send.Draft))
	if err != nil {
		return fmt.Errorf("chatwire: store put a send: %w", err)
	}
	return s.do(ctx, "put a send", func() error {
		return s.makingRoom(func() error {
			if err := s.exec("PRAGMA synchronous=FULL"); err != nil {
				return err
			}
			err := s.exec("INSERT INTO sends(client_id, draft, created_at) VALUES (?, ?, ?) ON CONFLICT(client_id) DO NOTHING",
				send.ClientID, draft, send.CreatedAt.Format(time.RFC3339Nano))
			return errors.Join(err, s.exec("PRAGMA synchronous=NORMAL"))
		})
	})
}

// Commit applies b in one transaction, at least Options.CommitInterval
// after the previous one. It is written but not synced when Commit
// returns: a power loss may lose the latest batches, never part of one; a
// crash of the process loses none that Commit had applied.
func (s *Store) Commit(ctx context.Context, b data.Batch) error {
	if wait := time.Until(time.Unix(0, s.lastCommit.Load()).Add(s.opts.CommitInterval)); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("chatwire: store commit: %w", ctx.Err())
		}
	}
	defer func() { s.lastCommit.Store(time.Now().UnixNano()) }()
	return s.do(ctx, "commit", func() error {
		return s.makingRoom(func() error { return s.inTx(func() error { return s.apply(&b) }) })
	})
}

func (s *Store) apply(b *data.Batch) error {
	s.change = nil
	if a := b.Account; a != nil {
		if err := s.exec("UPDATE session SET server = ?, user_id = ?", a.Server, a.UserID); err != nil {
			return err
		}
	}
	if p := b.Position; p != nil {
		if err := s.exec("UPDATE session SET epoch = ?, seq = ?", p.Epoch, p.Seq); err != nil {
			return err
		}
	}
	for _, id := range b.EndedSends {
		if err := s.exec("DELETE FROM sends WHERE client_id = ?", id); err != nil {
			return err
		}
	}
	touched, err := s.putMessages(b.Messages)
	if err != nil {
		return err
	}
	latest := make(map[string]int, len(b.Conversations)) // a later snapshot replaces an earlier one
	for i, c := range b.Conversations {
		latest[c.ConversationID] = i
	}
	for i, c := range b.Conversations {
		if latest[c.ConversationID] != i {
			continue
		}
		body, err := json.Marshal(toConversation(c))
		if err != nil {
			return err
		}
		err = s.exec(`INSERT INTO conversations(conversation_id, body) VALUES (?, ?)
			ON CONFLICT(conversation_id) DO UPDATE SET body = excluded.body`, c.ConversationID, body)
		if err != nil {
			return err
		}
	}
	for _, id := range b.DeletedConversations {
		if err := s.exec("DELETE FROM conversations WHERE conversation_id = ?", id); err != nil {
			return err
		}
		if err := s.deleteMessages("DELETE FROM messages WHERE conversation_id = ? RETURNING conversation_id, size", id); err != nil {
			return err
		}
	}
	return s.retain(touched)
}

// Messages returns up to limit of a conversation's newest cached messages
// (all of them when limit is zero or less), oldest first.
func (s *Store) Messages(ctx context.Context, conversationID string, limit int) ([]domain.Message, error) {
	if limit <= 0 {
		limit = -1
	}
	var out []domain.Message
	err := s.do(ctx, "read messages", func() error {
		return s.query(`SELECT body FROM messages WHERE conversation_id = ?
			ORDER BY created_at DESC, seq DESC, rowid DESC LIMIT ?`, func(r *sqlite3.Stmt) error {
			var m messageRecord
			if err := decode(r.ColumnRawText(0), &m); err != nil {
				return err
			}
			out = append(out, m.domain())
			return nil
		}, conversationID, limit)
	})
	slices.Reverse(out)
	return out, err
}

// Conversations returns the cached snapshots, by conversation id.
func (s *Store) Conversations(ctx context.Context) ([]domain.ConversationUpdate, error) {
	var out []domain.ConversationUpdate
	err := s.do(ctx, "read conversations", func() error {
		return s.query("SELECT body FROM conversations ORDER BY conversation_id", func(r *sqlite3.Stmt) error {
			var c conversationRecord
			if err := decode(r.ColumnRawText(0), &c); err != nil {
				return err
			}
			out = append(out, c.domain())
			return nil
		})
	})
	return out, err
}

// Wipe forgets everything, and rewrites the file so that nothing of what
// it held stays on disk (sign-out). The store stays open.
func (s *Store) Wipe(ctx context.Context) error {
	return s.do(ctx, "wipe", func() error {
		err := s.inTx(func() error {
			return s.conn.Exec(`DELETE FROM sends; DELETE FROM messages; DELETE FROM conversations;
				UPDATE session SET server = '', user_id = '', epoch = '', seq = 0; DELETE FROM cache_counts;`)
		})
		if err != nil {
			return err
		}
		return s.conn.Exec("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
	})
}

func decode(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: a record: %w", data.ErrStoreCorrupt, err)
	}
	return nil
}
