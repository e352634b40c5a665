// Package domaintest provides a fake domain.ChatWebSocketDataSource for the
// tests of code built on the port (notifiers, view models, bots), as
// net/http/httptest does for handlers. It imports only domain and the
// standard library.
//
// A Source behaves like a real data source seen from above: streams close
// when their ctx ends or the Source closes, every subscriber that keeps
// reading gets every event in order, Close is idempotent and nothing is sent
// after it returns. There is no server behind it: the test plays the server.
//
//   - Push delivers any event (a Message, a TypingIndicator, a CallEvent...)
//     to the subscribers of its stream and records it in History.
//   - SetState sets the connection state; PushError reports an error.
//   - Every send (SendMessage, SendTyping, MarkRead, SendCallSignal) is
//     recorded as a *Send and answered by the Source's Answerer: Confirm
//     (the default), Fail(err), or Hang, which leaves the send waiting until
//     the test calls Confirm or Fail on it, ctx ends or the Source closes.
//   - CutOff ends every subscription of one stream, as a real data source
//     cuts off a subscriber that stopped reading.
//
// A confirmed message is returned to its sender and delivered on Messages,
// as a server's echo is.
//
// The generated gomock mock of the port, mocks/domainmock, suits a test that
// checks exact calls; a Source suits a test that plays a session.
package domaintest
