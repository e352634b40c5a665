package sqlitestore

// createMigrations makes the table that records which migrations ran; the
// schema's version is the highest.
const createMigrations = `
CREATE TABLE schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL -- unix seconds
);`

// migrations[v-1] brings a store from version v-1 to v, in the open's
// transaction. Append to add a version; never edit one that shipped.
var migrations = []string{
	// 1: the session, the sends and the cache.
	`
CREATE TABLE session (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	server  TEXT    NOT NULL DEFAULT '',
	user_id TEXT    NOT NULL DEFAULT '',
	epoch   TEXT    NOT NULL DEFAULT '',
	seq     INTEGER NOT NULL DEFAULT 0
);
INSERT INTO session(id) VALUES (1);

-- Sends not yet ended, in the order they were made.
CREATE TABLE sends (
	n          INTEGER PRIMARY KEY AUTOINCREMENT,
	client_id  TEXT    NOT NULL UNIQUE,
	draft      TEXT    NOT NULL, -- JSON, draftRecord
	created_at TEXT    NOT NULL  -- RFC 3339
);

-- The message cache: per conversation, ordered by (created_at, seq).
CREATE TABLE messages (
	conversation_id TEXT    NOT NULL,
	id              TEXT    NOT NULL,
	created_at      INTEGER NOT NULL, -- unix ns, for ordering (body has the exact time)
	seq             INTEGER NOT NULL,
	body            TEXT    NOT NULL, -- JSON, messageRecord
	size            INTEGER NOT NULL, -- bytes of body, for the size limit
	PRIMARY KEY (conversation_id, id)
);
CREATE INDEX messages_in_conversation ON messages (conversation_id, created_at, seq);

CREATE TABLE conversations (
	conversation_id TEXT PRIMARY KEY,
	body            TEXT NOT NULL -- JSON, conversationRecord
);

-- How many messages, of how many bytes, each conversation has cached.
CREATE TABLE cache_counts (
	conversation_id TEXT PRIMARY KEY,
	messages        INTEGER NOT NULL,
	bytes           INTEGER NOT NULL
);
`,
}
