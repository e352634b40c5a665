package memory_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/memory"
	"github.com/chatwire/chatwire/core/network/networktest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// memoryHost adapts memory.Server to networktest.Server.
type memoryHost struct{ srv *memory.Server }

func (h memoryHost) URL() string { return h.srv.URL() }

func (h memoryHost) Accept(ctx context.Context) (networktest.ServerConn, error) {
	c, err := h.srv.Accept(ctx)
	if err != nil {
		return nil, err
	}
	return c, nil
}

var memoryHarness = networktest.Harness{
	NewServer: func(t testing.TB, opts networktest.ServerOptions) networktest.Server {
		var upgrade func(*memory.Request) int
		if opts.RefuseStatus != 0 {
			upgrade = func(*memory.Request) int { return opts.RefuseStatus }
		}
		srv := memory.NewServer(memory.ServerOptions{Upgrade: upgrade})
		t.Cleanup(func() { srv.Close() })
		return memoryHost{srv}
	},
	NewClient: func(t testing.TB, srv networktest.Server, opts networktest.ClientOptions) network.WebSocketClient {
		return memory.NewClient(srv.(memoryHost).srv, memory.Options{ReadLimit: opts.ReadLimit})
	},
}

func TestConformance(t *testing.T) {
	networktest.RunConformance(t, memoryHarness)
}
