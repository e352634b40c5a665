package sqlitestore

import (
	"errors"

	"github.com/ncruces/go-sqlite3"
)

// retain applies the retention limits after a batch: the newest
// MessagesPerConversation of each conversation it touched, then the
// oldest messages of any conversation leave until the cache fits
// MaxCacheBytes.
func (s *Store) retain(touched []string) error {
	for _, id := range touched {
		err := s.exec(`DELETE FROM messages WHERE rowid IN (SELECT rowid FROM messages WHERE conversation_id = ?
			ORDER BY created_at DESC, seq DESC, rowid DESC LIMIT -1 OFFSET ?)`, id, s.opts.MessagesPerConversation)
		if err != nil {
			return err
		}
	}
	var total int64
	if err := s.query("SELECT bytes FROM cache_size", func(r *sqlite3.Stmt) error {
		total = r.ColumnInt64(0)
		return nil
	}); err != nil {
		return err
	}
	if total <= s.opts.MaxCacheBytes {
		return nil
	}
	return s.dropOldest(total - s.opts.MaxCacheBytes)
}

// dropOldest removes the oldest cached messages until at least bytes have
// gone.
func (s *Store) dropOldest(bytes int64) error {
	var rowids []int64
	freed := int64(0)
	err := s.query("SELECT rowid, size FROM messages ORDER BY created_at, seq, rowid", func(r *sqlite3.Stmt) error {
		rowids = append(rowids, r.ColumnInt64(0))
		freed += r.ColumnInt64(1)
		if freed >= bytes {
			return errStop
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range rowids {
		if err := s.exec("DELETE FROM messages WHERE rowid = ?", id); err != nil {
			return err
		}
	}
	return nil
}

// makingRoom runs write; when the file is full it gives up the oldest half
// of the cache and tries again, until the write fits or the cache is
// empty. Sends and the position matter more than the cache.
func (s *Store) makingRoom(write func() error) error {
	for {
		err := write()
		if !errors.Is(err, sqlite3.FULL) {
			return err
		}
		dropped, derr := s.dropOldestHalf()
		if derr != nil || dropped == 0 {
			return err
		}
	}
}

// dropOldestHalf removes the oldest half of the cached messages and
// returns how many went.
func (s *Store) dropOldestHalf() (int64, error) {
	err := s.exec(`DELETE FROM messages WHERE rowid IN (SELECT rowid FROM messages ORDER BY created_at, seq, rowid
		LIMIT (SELECT (count(*) + 1) / 2 FROM messages))`)
	if err != nil {
		return 0, err
	}
	return s.conn.Changes(), nil
}
