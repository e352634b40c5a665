// Package chattest is chatwire's reference chat server: an in-process
// implementation of the chat envelope protocol (docs/protocol.md) in the
// style of net/http/httptest, for the SDK's own tests, the demo
// (`chatwire serve`) and consumers' integration tests.
//
// NewServer listens on a loopback port at once; clients dial
// srv.URL + "/chat" with a token from IssueToken. The server keeps its
// state in memory: conversations and their members, messages, read markers,
// calls, and a bounded per-user history of replayable events for sync.
// Tests shape that state with CreateConversation, AddMember, Post... and
// read it back with Messages, UnreadCount, LastSeq and History.
//
// Fault injection lets a test play a bad network or a bad backend:
// DropAll (TCP closed without a close frame), CloseAll (a close frame with a
// code), Stall (TCP open, nothing read or written for a while), Inject (raw
// bytes as a text frame), RefuseUpgrades (HTTP errors for the next upgrades)
// and Stop/Start (the listener goes away and comes back on the same address,
// state kept).
//
// Concurrency: every method of Server is safe for concurrent use. Each
// connection has one reader goroutine (the HTTP handler's) and one writer
// goroutine fed by a bounded send queue; all state sits behind one mutex,
// and events are queued under it, so every connection sees a user's events
// in seq order. Close is idempotent and returns after every goroutine the
// server started has ended.
package chattest
