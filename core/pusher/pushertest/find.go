package pushertest

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// SkipSoketiEnv, set to "1", skips the Soketi-backed tests of a module
// other than chatwire's own when Soketi is missing and cannot be installed
// (they fail by default there, so that a missing server is never a silent
// "ok").
const SkipSoketiEnv = "CHATWIRE_SKIP_SOKETI"

// soketiPackage is .ci/soketi's package.json and lock: what pushertest
// installs into the user's cache when no Soketi is found.
//
//go:embed soketipkg/package.json soketipkg/package-lock.json
var soketiPackage embed.FS

// FindSoketi returns the soketi executable's path, or an error saying how
// to install it. It looks, in order, at $CHATWIRE_SOKETI_BIN,
// .ci/soketi/node_modules/.bin/soketi under chatwire's module root, the
// soketi in PATH, and the copy InstallSoketi puts in the user's cache.
func FindSoketi() (string, error) {
	if bin := os.Getenv(SoketiBinEnv); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("soketi not found at $%s=%s: %w", SoketiBinEnv, bin, err)
		}
		return bin, nil
	}
	if root, err := moduleRoot(); err == nil {
		bin := filepath.Join(root, DefaultSoketiBin)
		if _, err := os.Stat(bin); err == nil {
			return bin, nil
		}
		return "", fmt.Errorf("soketi not installed at %s: run .ci/soketi/install.sh (or make soketi) or set $%s", bin, SoketiBinEnv)
	}
	if bin, err := exec.LookPath("soketi"); err == nil {
		return bin, nil
	}
	if dir, err := cacheDir(); err == nil {
		bin := filepath.Join(dir, "node_modules", ".bin", "soketi")
		if _, err := os.Stat(bin); err == nil {
			return bin, nil
		}
	}
	return "", fmt.Errorf("soketi not found: set $%s, put soketi in PATH (npm install -g @soketi/soketi), or let pushertest install it (needs npm)", SoketiBinEnv)
}

// cacheDir is where InstallSoketi installs, per version of the package.
func cacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "chatwire", "soketi-1.6.1"), nil
}

var installMu sync.Mutex

// InstallSoketi installs Soketi (the versions .ci/soketi pins) with npm
// into the user's cache directory, once, and returns the executable. Test
// binaries of several packages may run it at once: each installs into a
// directory of its own and the first to finish is kept.
func InstallSoketi(ctx context.Context) (string, error) {
	installMu.Lock()
	defer installMu.Unlock()
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "node_modules", ".bin", "soketi")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errors.New("npm not found: install Node.js 18 or newer")
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "soketi-install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for _, name := range []string{"package.json", "package-lock.json"} {
		b, err := fs.ReadFile(soketiPackage, "soketipkg/"+name)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return "", err
		}
	}
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--no-save")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm install of soketi failed: %w\n%s", err, tail(out, 2000))
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(bin); statErr != nil { // nobody else won either
			return "", err
		}
	}
	return bin, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// RequireSoketi returns the soketi executable, installing it into the
// user's cache with npm when it is nowhere to be found. When that is
// impossible: in chatwire's own module the test is skipped (CI=true fails
// it: CI installs Soketi); in any other module it fails with the reason,
// unless $CHATWIRE_SKIP_SOKETI is "1" — never a silent "ok".
func RequireSoketi(t testing.TB) string {
	t.Helper()
	bin, err := FindSoketi()
	if err == nil {
		return bin
	}
	_, inChatwire := moduleRoot()
	if inChatwire != nil { // a consumer's module: install it
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		t.Logf("pushertest: soketi not found; installing it with npm into the user cache (once)")
		bin, ierr := InstallSoketi(ctx)
		if ierr == nil {
			return bin
		}
		err = fmt.Errorf("%v; installing it: %v", err, ierr)
	}
	switch {
	case os.Getenv("CI") == "true":
		t.Fatalf("CI=true but %v", err)
	case inChatwire == nil || os.Getenv(SkipSoketiEnv) == "1":
		t.Skipf("skipping Soketi integration test: %v", err)
	default:
		t.Fatalf("Soketi-backed test cannot run: %v (set %s=1 to skip these tests)", err, SkipSoketiEnv)
	}
	return ""
}
