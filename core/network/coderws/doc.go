// Package coderws is a network.WebSocketClient over
// github.com/coder/websocket: a second real transport next to the gorilla
// client in core/network, kept in its own package so that applications that
// do not use it do not compile it.
//
// It honours the whole WebSocketClient contract and passes the same
// conformance suite (core/network/networktest) as the gorilla and in-memory
// clients. Plug it into the default wiring with
//
//	data.New(data.Options{
//		BaseURL:   "wss://chat.example.com",
//		Transport: func() network.WebSocketClient { return coderws.NewClient(coderws.Options{}) },
//	})
//
// or into a network.ConnectionManager through ManagerOptions.NewClient.
// docs/transports.md compares it with the other transports.
package coderws
