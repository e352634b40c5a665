package coderws_test

import (
	"testing"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/coderws"
	"github.com/chatwire/chatwire/core/network/networktest"
)

// coderHarness runs the coder/websocket client against the suite's gorilla
// server on loopback: the same server the gorilla client is proved against.
var coderHarness = networktest.Harness{
	NewClient: func(t testing.TB, _ networktest.Server, opts networktest.ClientOptions) network.WebSocketClient {
		return coderws.NewClient(coderws.Options{ReadLimit: opts.ReadLimit})
	},
	NewServer: networktest.NewLoopbackServer,
}

func TestConformance(t *testing.T) {
	networktest.RunConformance(t, coderHarness)
}
