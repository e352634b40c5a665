// Package chaos holds chatwire's reliability suite: SDK clients talk to the
// reference server (data/chattest) through an in-process Toxiproxy on
// loopback, and each scenario injects a network or backend fault while
// several users send and receive continuously. After each scenario every
// message SendMessage confirmed must have reached every member exactly once,
// in per-sender order, nothing unsent may appear, and no goroutine may be
// left behind.
//
// The package is a nested module so that Toxiproxy and its dependencies stay
// out of the SDK's go.mod. It has no non-test code besides this file.
//
// Run it with `go test -race -count=1 ./...` in data/chaos (make chaos); the
// 1,000-client load run is gated: `CHATWIRE_LOAD=1 go test -run TestLoad
// -count=1 -timeout 10m -v ./...`. docs/reliability.md records the figures.
package chaos
