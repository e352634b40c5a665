package sqlitestore

import (
	"cmp"
	"encoding/json"
	"slices"

	"github.com/ncruces/go-sqlite3"

	"github.com/chatwire/chatwire/domain"
)

// putMessages adds ms to the cache (replacing a message cached under the
// same id) and returns the conversations they belong to. Messages the
// per-conversation limit would drop at once (a burst larger than it: at
// least MessagesPerConversation newer ones in the batch) are not written.
func (s *Store) putMessages(ms []domain.Message) (touched []string, err error) {
	skip := s.droppedAtOnce(ms)
	room := int64(-1) // bytes free in a full file, once known
	for i, m := range ms {
		if !slices.Contains(touched, m.ConversationID) {
			touched = append(touched, m.ConversationID)
		}
		if skip != nil && skip[i] {
			continue
		}
		body, err := json.Marshal(toMessage(m))
		if err != nil {
			return nil, err
		}
		size := int64(len(body))
		if s.leaveOut { // a full file: leave out a message that cannot fit
			if room < 0 {
				if room, err = s.room(); err != nil {
					return nil, err
				}
			}
			if size > room/2 {
				continue
			}
			room -= size
		}
		if err := s.putMessage(m, body, size); err != nil {
			return nil, err
		}
	}
	return touched, nil
}

// putMessage caches m (its record body, of size bytes), replacing the
// message cached under its id.
func (s *Store) putMessage(m domain.Message, body []byte, size int64) error {
	if err := s.exec(`INSERT OR IGNORE INTO messages(conversation_id, id, created_at, seq, body, size) VALUES (?, ?, ?, ?, ?, ?)`,
		m.ConversationID, m.ID, orderKey(m.CreatedAt), m.Seq, body, size); err != nil {
		return err
	}
	if s.conn.Changes() == 1 {
		s.change.add(m.ConversationID, 1, size)
		return nil
	}
	var old int64
	if err := s.query("SELECT size FROM messages WHERE conversation_id = ? AND id = ?", func(r *sqlite3.Stmt) error {
		old = r.ColumnInt64(0)
		return nil
	}, m.ConversationID, m.ID); err != nil {
		return err
	}
	if err := s.exec("UPDATE messages SET created_at = ?, seq = ?, body = ?, size = ? WHERE conversation_id = ? AND id = ?",
		orderKey(m.CreatedAt), m.Seq, body, size, m.ConversationID, m.ID); err != nil {
		return err
	}
	s.change.add(m.ConversationID, 0, size-old)
	return nil
}

// room returns how many bytes the file may still grow by, free pages
// included.
func (s *Store) room() (int64, error) {
	var pages [4]int64
	for i, p := range []string{"max_page_count", "page_count", "freelist_count", "page_size"} {
		n, err := pragmaInt(s.conn, "PRAGMA "+p)
		if err != nil {
			return 0, err
		}
		pages[i] = n
	}
	return (pages[0] - pages[1] + pages[2]) * pages[3], nil
}

// droppedAtOnce marks the messages of ms whose id's latest version in ms
// has at least MessagesPerConversation strictly newer ones of its
// conversation in ms (counting each id once, as its latest version):
// written, they would be trimmed in the same commit. Every version of such
// an id is marked: an earlier one, written, would outlive the latest.
func (s *Store) droppedAtOnce(ms []domain.Message) []bool {
	limit := s.opts.MessagesPerConversation
	if len(ms) <= limit {
		return nil
	}
	counts := map[string]int{}
	for i := range ms {
		counts[ms[i].ConversationID]++
	}
	var skip []bool
	for conv, n := range counts {
		if n <= limit {
			continue
		}
		// The latest version of each id, walking back: in a flood, newest
		// first, which the sort below takes in one pass.
		latest := make(map[string]orderKeys, n)
		keys := make([]orderKeys, 0, n)
		for i := len(ms) - 1; i >= 0; i-- {
			m := &ms[i]
			if m.ConversationID != conv {
				continue
			}
			if _, seen := latest[m.ID]; !seen {
				k := orderKeys{orderKey(m.CreatedAt), m.Seq}
				latest[m.ID] = k
				keys = append(keys, k)
			}
		}
		if len(keys) <= limit {
			continue
		}
		slices.SortFunc(keys, func(a, b orderKeys) int { return b.compare(a) })
		threshold := keys[limit-1] // the limit-th newest
		for i := range ms {
			if ms[i].ConversationID == conv && latest[ms[i].ID].compare(threshold) < 0 {
				if skip == nil {
					skip = make([]bool, len(ms))
				}
				skip[i] = true
			}
		}
	}
	return skip
}

// orderKeys are a message's place in its conversation's order.
type orderKeys struct{ at, seq int64 }

func (k orderKeys) compare(o orderKeys) int {
	return cmp.Or(cmp.Compare(k.at, o.at), cmp.Compare(k.seq, o.seq))
}

// deleteMessages runs a DELETE … RETURNING conversation_id, size and
// accounts for what left.
func (s *Store) deleteMessages(query string, args ...any) error {
	return s.query(query, func(r *sqlite3.Stmt) error {
		s.change.add(r.ColumnText(0), -1, -r.ColumnInt64(1))
		return nil
	}, args...)
}

// cacheChange is how a write changes the cache, per conversation: saved
// in cache_counts at its end.
type cacheChange map[string]struct{ messages, bytes int64 }

func (c *cacheChange) add(conv string, messages, bytes int64) {
	if *c == nil {
		*c = cacheChange{}
	}
	d := (*c)[conv]
	d.messages += messages
	d.bytes += bytes
	(*c)[conv] = d
}

// saveChange records the current write's change in cache_counts.
func (s *Store) saveChange() error {
	defer func() { s.change = nil }()
	emptied := false
	for conv, d := range s.change {
		if d.messages == 0 && d.bytes == 0 {
			continue
		}
		if err := s.exec(`INSERT INTO cache_counts(conversation_id, messages, bytes) VALUES (?, ?, ?)
			ON CONFLICT(conversation_id) DO UPDATE SET messages = messages + excluded.messages, bytes = bytes + excluded.bytes`,
			conv, d.messages, d.bytes); err != nil {
			return err
		}
		emptied = emptied || d.messages < 0
	}
	if emptied {
		return s.exec("DELETE FROM cache_counts WHERE messages <= 0")
	}
	return nil
}

// cached returns how many messages conv has cached, this write included.
func (s *Store) cached(conv string) (int64, error) {
	var n int64
	err := s.query("SELECT messages FROM cache_counts WHERE conversation_id = ?", func(r *sqlite3.Stmt) error {
		n = r.ColumnInt64(0)
		return nil
	}, conv)
	return n + s.change[conv].messages, err
}

// cacheBytes returns the cache's size, this write included.
func (s *Store) cacheBytes() (int64, error) {
	var total int64
	err := s.query("SELECT coalesce(sum(bytes), 0) FROM cache_counts", func(r *sqlite3.Stmt) error {
		total = r.ColumnInt64(0)
		return nil
	})
	for _, d := range s.change {
		total += d.bytes
	}
	return total, err
}
