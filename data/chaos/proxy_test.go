package chaos_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
)

// faultProxy is an in-process Toxiproxy on a loopback port in front of
// upstream. Toxics apply to every link, current and future.
type faultProxy struct {
	t *testing.T
	p *toxiproxy.Proxy
}

func newFaultProxy(t *testing.T, upstream string) *faultProxy {
	t.Helper()
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := toxiproxy.NewProxy(api, t.Name(), "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("start proxy: %v", err)
	}
	fp := &faultProxy{t: t, p: p}
	t.Cleanup(func() {
		// Toxics removed first let the links drain before the sockets close.
		p.Toxics.ResetToxics(context.Background())
		p.Stop()
	})
	return fp
}

// URL is the proxy's ws:// base for data.Options.BaseURL.
func (f *faultProxy) URL() string { return "ws://" + f.p.Listen }

// add installs a toxic; attrs is the JSON object of its attributes.
func (f *faultProxy) add(name, typ, streamDir, attrs string) {
	f.t.Helper()
	js := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1,"attributes":%s}`, name, typ, streamDir, attrs)
	if _, err := f.p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		f.t.Fatalf("add toxic %s: %v", name, err)
	}
}

// both installs the toxic on both directions, named name_up and name_down.
func (f *faultProxy) both(name, typ, attrs string) {
	f.t.Helper()
	f.add(name+"_up", typ, "upstream", attrs)
	f.add(name+"_down", typ, "downstream", attrs)
}

func (f *faultProxy) remove(names ...string) {
	f.t.Helper()
	for _, n := range names {
		if err := f.p.Toxics.RemoveToxic(context.Background(), n); err != nil {
			f.t.Fatalf("remove toxic %s: %v", n, err)
		}
	}
}

func (f *faultProxy) removeBoth(name string) { f.remove(name+"_up", name+"_down") }

// reset removes every toxic.
func (f *faultProxy) reset() { f.p.Toxics.ResetToxics(context.Background()) }

// disable closes the listener and every proxied connection; enable reopens
// the listener on the same address.
func (f *faultProxy) disable() { f.p.Stop() }

func (f *faultProxy) enable() {
	f.t.Helper()
	if err := f.p.Start(); err != nil {
		f.t.Fatalf("restart proxy: %v", err)
	}
}
