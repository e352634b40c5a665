package pushertest

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSoketiLifecycle(t *testing.T) {
	s := StartSoketi(t, SoketiOptions{})
	if s.Port == 0 || !strings.HasPrefix(s.Host(), "127.0.0.1:") {
		t.Fatalf("host %s", s.Host())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	api := s.API()
	// Soketi checks the signature: a valid one is accepted...
	if err := api.Trigger(ctx, TriggerParams{Channels: []string{"c"}, Event: "e", Data: map[string]int{"a": 1}}); err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	// ...a wrong secret is refused.
	bad := *api
	bad.Secret = "wrong"
	if err := bad.Trigger(ctx, TriggerParams{Channels: []string{"c"}, Event: "e", Data: "{}"}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong secret: %v, want a 401 refusal", err)
	}

	s.Stop()
	if _, err := http.Get(s.URL()); err == nil {
		t.Fatal("server still answers after Stop")
	}
	s.Stop() // idempotent
	s.Start()
	if err := api.Trigger(ctx, TriggerParams{Channels: []string{"c"}, Event: "e", Data: "{}"}); err != nil {
		t.Fatalf("after restart on the same port: %v", err)
	}
}

func TestFindSoketiEnv(t *testing.T) {
	t.Setenv(SoketiBinEnv, "/nonexistent/soketi")
	if _, err := FindSoketi(); err == nil || !strings.Contains(err.Error(), SoketiBinEnv) {
		t.Fatalf("FindSoketi = %v, want an error naming %s", err, SoketiBinEnv)
	}
}

// The package pushertest installs for other modules is the one CI installs.
func TestEmbeddedPackageMatchesCI(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"package.json", "package-lock.json"} {
		ci, err := os.ReadFile(filepath.Join(root, ".ci", "soketi", name))
		if err != nil {
			t.Fatal(err)
		}
		embedded, err := fs.ReadFile(soketiPackage, "soketipkg/"+name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ci, embedded) {
			t.Errorf("soketipkg/%s differs from .ci/soketi/%s: copy it over", name, name)
		}
	}
}
