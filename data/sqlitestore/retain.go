package sqlitestore

import (
	"errors"

	"github.com/ncruces/go-sqlite3"
)

// retain applies the retention limits at the end of a commit: the newest
// MessagesPerConversation of each conversation it touched, then the
// oldest messages of any conversation leave until the cache fits
// MaxCacheBytes (then down to 90% of it). It records the cache's new
// counts.
func (s *Store) retain(touched []string) error {
	for _, conv := range touched {
		n, err := s.cached(conv)
		if err != nil {
			return err
		}
		if over := n - int64(s.opts.MessagesPerConversation); over > 0 {
			if err := s.deleteMessages(`DELETE FROM messages WHERE rowid IN (SELECT rowid FROM messages WHERE conversation_id = ?
				ORDER BY created_at, seq, rowid LIMIT ?) RETURNING conversation_id, size`, conv, over); err != nil {
				return err
			}
		}
	}
	total, err := s.cacheBytes()
	if err != nil {
		return err
	}
	if total > s.opts.MaxCacheBytes {
		// Down to 90%: the scan for the oldest runs once in a while, not
		// at every commit of a full cache.
		if err := s.dropOldest(total - s.opts.MaxCacheBytes*9/10); err != nil {
			return err
		}
	}
	return s.saveChange()
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
		if err := s.deleteMessages("DELETE FROM messages WHERE rowid = ? RETURNING conversation_id, size", id); err != nil {
			return err
		}
	}
	return nil
}

// makingRoom runs write; when the file is full it gives up the oldest half
// of the cache and tries again, until the write fits or the cache is
// empty; then once more leaving out the messages that still do not fit.
// Sends and the position matter more than the cache.
func (s *Store) makingRoom(write func() error) error {
	defer func() { s.leaveOut = false }()
	for {
		err := write()
		if !errors.Is(err, sqlite3.FULL) {
			return err
		}
		dropped, derr := s.dropOldestHalf()
		switch {
		case derr != nil, dropped == 0 && s.leaveOut:
			return err
		case dropped == 0:
			s.leaveOut = true
		}
	}
}

// dropOldestHalf removes the oldest half of the cached messages and
// returns how many went.
func (s *Store) dropOldestHalf() (dropped int, err error) {
	err = s.inTx(func() error {
		s.change = nil
		err := s.deleteMessages(`DELETE FROM messages WHERE rowid IN (SELECT rowid FROM messages ORDER BY created_at, seq, rowid
			LIMIT (SELECT (count(*) + 1) / 2 FROM messages)) RETURNING conversation_id, size`)
		if err != nil {
			return err
		}
		for _, d := range s.change {
			dropped -= int(d.messages)
		}
		return s.saveChange()
	})
	return dropped, err
}
