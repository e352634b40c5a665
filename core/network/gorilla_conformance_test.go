package network_test

import (
	"testing"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/networktest"
)

// gorillaHarness runs GorillaClient against a real gorilla server on
// loopback.
var gorillaHarness = networktest.Harness{
	NewClient: func(t testing.TB, _ networktest.Server, opts networktest.ClientOptions) network.WebSocketClient {
		return network.NewGorillaClient(network.GorillaOptions{ReadLimit: opts.ReadLimit})
	},
	NewServer: networktest.NewLoopbackServer,
}

func TestGorillaConformance(t *testing.T) {
	networktest.RunConformance(t, gorillaHarness)
}
