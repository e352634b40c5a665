// Package sqlitestore is a data.Store in an SQLite file: a session that
// survives the process. Sends made offline are on disk before SendMessage
// reports them queued, the position the next sync starts from and a
// bounded cache of messages and conversations are committed in batches
// off the goroutine that owns the data source's session, and the next
// process picks them up.
//
//	store, err := sqlitestore.Open(filepath.Join(dir, "chat.db"), sqlitestore.Options{})
//	if err != nil { ... } // data.ErrStoreLocked, data.ErrStoreCorrupt, data.ErrStoreVersion...
//	defer store.Close()
//	src, err := data.New(data.Options{BaseURL: url, TokenSource: tokens, Store: store})
//
// The file is SQLite in WAL mode through a pure-Go driver
// (github.com/ncruces/go-sqlite3: no cgo, so `go build` stays one command
// on every platform). It lives in its own package so that an app that does
// not want it does not link it. docs/storage.md describes the schema,
// the durability of each write, retention and the figures.
//
// One process holds a store at a time: Open takes an exclusive lock on
// the file (SQLite's exclusive locking mode) and a second Open, in this
// process or another, fails with data.ErrStoreLocked until Close.
package sqlitestore
