// Package mocks holds go.uber.org/mock mocks of chatwire's seams, generated
// by `make generate` from the //go:generate lines beside each interface:
//
//   - mocks/domainmock: domain.ChatWebSocketDataSource, for unit tests of
//     code that consumes a chat session (notifiers, view models, bots).
//   - mocks/networkmock: network.WebSocketClient, for narrow unit tests of
//     code above the transport.
//
// The files are never edited by hand; the test in this package fails when
// they are stale.
package mocks
