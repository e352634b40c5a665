package pushertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SoketiBinEnv names the environment variable that points at the soketi
// executable.
const SoketiBinEnv = "CHATWIRE_SOKETI_BIN"

// DefaultSoketiBin is where .ci/soketi/install.sh puts soketi, relative to
// the module root.
const DefaultSoketiBin = ".ci/soketi/node_modules/.bin/soketi"

// modulePath identifies the module root when looking for DefaultSoketiBin.
const modulePath = "github.com/chatwire/chatwire"

// SoketiOptions configure StartSoketi. Zero values take the documented
// defaults.
type SoketiOptions struct {
	// Bin is the soketi executable; "" means $CHATWIRE_SOKETI_BIN, or else
	// DefaultSoketiBin under the module root.
	Bin string
	// AppID, Key and Secret are the one app's credentials; "" means
	// "app-id", "app-key" and "app-secret".
	AppID, Key, Secret string
	// DisableClientMessages turns client events off (they are on by default).
	DisableClientMessages bool
	// UserAuthentication requires every connection to sign in
	// (pusher:signin) within UserAuthenticationTimeout, else the server
	// closes it with 4009; off by default.
	UserAuthentication bool
	// UserAuthenticationTimeout: zero means 30s.
	UserAuthenticationTimeout time.Duration
	// NATS, if set, makes the server a node of a cluster: Soketi's "nats"
	// adapter on that server, in its Soketi account. Nil means a server on
	// its own.
	NATS *NATS
	// Metrics turns on the Prometheus /metrics endpoint on MetricsPort
	// (Connections reads it). /ready is served there either way.
	Metrics bool
	// ShutdownGracePeriod is how long a stopping server waits, once it
	// has closed every connection with 4200, before it exits (meanwhile
	// GET /ready answers 200 with an error body); zero means 100ms.
	ShutdownGracePeriod time.Duration
	// StartTimeout bounds each start until the server answers GET /; zero
	// means 30s.
	StartTimeout time.Duration
	// Log receives the server's output; nil keeps the last lines for
	// failure messages only.
	Log io.Writer
}

// Soketi is a Soketi server process on 127.0.0.1. It keeps its ports across
// Stop and Start, so clients can reconnect to the same address.
//
// Concurrency: every method is safe from any goroutine, but started by
// StartSoketi, Start and Restart report failures with t.Fatal, so call
// them from the goroutine of that test (or of one of its subtests).
type Soketi struct {
	AppID, Key, Secret string
	// EncryptionMasterKey is a random key (base64 of 32 bytes) for
	// private-encrypted- channels, made at start: give it to the
	// AuthServer (EncryptWith); API uses it to encrypt.
	EncryptionMasterKey string
	// Port serves both WebSocket connections and the HTTP API.
	Port int
	// MetricsPort serves /ready, and /metrics with SoketiOptions.Metrics.
	MetricsPort int

	t    testing.TB // set by StartSoketi: Start and Restart fail it
	dir  string     // holds the configuration
	opts SoketiOptions
	proc *process
}

// StartSoketi starts a Soketi server on free loopback ports and waits until
// it answers. It skips or fails the test as RequireSoketi does when soketi
// is missing, and stops the server when the test ends. Start and Restart
// then fail the test on error.
func StartSoketi(t testing.TB, opts SoketiOptions) *Soketi {
	t.Helper()
	if opts.Bin == "" {
		opts.Bin = RequireSoketi(t)
	}
	s, err := RunSoketi(opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	s.t = t
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// RunSoketi starts a Soketi server on free loopback ports and waits until
// it answers, for programs and tests alike (StartSoketi is the test
// wrapper). The caller must Close it.
func RunSoketi(opts SoketiOptions) (*Soketi, error) {
	s, err := newSoketi(opts)
	if err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// newSoketi picks the ports and writes the configuration of a server it
// does not start yet.
func newSoketi(opts SoketiOptions) (*Soketi, error) {
	if opts.Bin == "" {
		bin, err := FindSoketi()
		if err != nil {
			return nil, err
		}
		opts.Bin = bin
	}
	if opts.AppID == "" {
		opts.AppID = "app-id"
	}
	if opts.Key == "" {
		opts.Key = "app-key"
	}
	if opts.Secret == "" {
		opts.Secret = "app-secret"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 30 * time.Second
	}
	if opts.ShutdownGracePeriod <= 0 {
		opts.ShutdownGracePeriod = 100 * time.Millisecond
	}
	s := &Soketi{AppID: opts.AppID, Key: opts.Key, Secret: opts.Secret, EncryptionMasterKey: randomKey(), opts: opts}
	var err error
	if s.Port, err = freeTCPPort(); err != nil {
		return nil, fmt.Errorf("soketi: %w", err)
	}
	if s.MetricsPort, err = freeTCPPort(); err != nil {
		return nil, fmt.Errorf("soketi: %w", err)
	}
	clusterPort, err := freeUDPPort()
	if err != nil {
		return nil, fmt.Errorf("soketi: %w", err)
	}
	b, _ := json.Marshal(soketiConfig(opts, s.Port, s.MetricsPort, clusterPort))
	if s.dir, err = os.MkdirTemp("", "chatwire-soketi-"); err != nil {
		return nil, fmt.Errorf("soketi: %w", err)
	}
	cfg := filepath.Join(s.dir, "soketi.json")
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		_ = os.RemoveAll(s.dir)
		return nil, fmt.Errorf("soketi: write config: %w", err)
	}
	s.proc = &process{name: "soketi", bin: opts.Bin, args: []string{"start", "--config=" + cfg}, log: opts.Log}
	return s, nil
}

// soketiConfig is Soketi's configuration for one app on loopback.
func soketiConfig(opts SoketiOptions, port, metricsPort, clusterPort int) map[string]any {
	userAuthTimeout := opts.UserAuthenticationTimeout
	if userAuthTimeout <= 0 {
		userAuthTimeout = 30 * time.Second
	}
	cfg := map[string]any{
		"debug": false,
		"host":  "127.0.0.1",
		"port":  port,
		"appManager.array.apps": []map[string]any{{
			"id": opts.AppID, "key": opts.Key, "secret": opts.Secret,
			"enableClientMessages": !opts.DisableClientMessages, "enabled": true,
			"maxConnections": -1, "enableUserAuthentication": opts.UserAuthentication,
			"maxBackendEventsPerSecond": -1, "maxClientEventsPerSecond": -1,
			"maxReadRequestsPerSecond": -1, "webhooks": []any{},
		}},
		"cluster.address":           "127.0.0.1",
		"cluster.unicast":           "127.0.0.1",
		"cluster.port":              clusterPort,
		"metrics.enabled":           opts.Metrics,
		"metrics.host":              "127.0.0.1",
		"metrics.port":              metricsPort,
		"shutdownGracePeriod":       opts.ShutdownGracePeriod.Milliseconds(),
		"userAuthenticationTimeout": userAuthTimeout.Milliseconds(),
	}
	if n := opts.NATS; n != nil {
		cfg["adapter.driver"] = "nats"
		cfg["adapter.nats.servers"] = []string{n.Addr()}
		cfg["adapter.nats.user"] = n.User
		cfg["adapter.nats.pass"] = n.Password
	}
	return cfg
}

// Close kills the server and removes its configuration. Idempotent.
func (s *Soketi) Close() error {
	s.Kill()
	if s.dir != "" {
		return os.RemoveAll(s.dir)
	}
	return nil
}

// Host returns "127.0.0.1:port", the address clients connect to.
func (s *Soketi) Host() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// URL returns the HTTP base URL, "http://127.0.0.1:port".
func (s *Soketi) URL() string { return "http://" + s.Host() }

// API returns a client of the server's HTTP events API.
func (s *Soketi) API() *API {
	return &API{BaseURL: s.URL(), AppID: s.AppID, Key: s.Key, Secret: s.Secret, EncryptionMasterKey: s.EncryptionMasterKey}
}

// Start starts the server (again) on its ports and waits until it answers
// GET /. Started by StartSoketi, it fails the test if the server does not
// come up; else it returns the error.
func (s *Soketi) Start() error {
	if s.t != nil {
		s.t.Helper()
	}
	err := s.start()
	if err != nil && s.t != nil {
		s.t.Fatalf("%v", err)
	}
	return err
}

func (s *Soketi) start() error {
	exited, err := s.proc.start()
	if err != nil {
		return err
	}
	if err := waitHTTP(s.URL()+"/", exited, s.opts.StartTimeout); err != nil {
		s.Kill()
		return fmt.Errorf("soketi: %w\n--- soketi output ---\n%s", err, s.proc.output())
	}
	return nil
}

// waitHTTP polls url until it answers 200, the process exits or timeout
// passes.
func waitHTTP(url string, exited <-chan struct{}, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errExited
		case <-ctx.Done():
			return fmt.Errorf("no answer on %s within %v", url, timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop shuts the server down gracefully (SIGTERM) and waits until it has
// exited: it closes client connections with 4200 (reconnect), waits its
// ShutdownGracePeriod and exits; 10s later it is killed. Stop on a stopped
// server does nothing.
func (s *Soketi) Stop() { s.proc.stop(false, s.opts.ShutdownGracePeriod+10*time.Second) }

// Kill ends the server at once (SIGKILL), as a crash would: clients see the
// socket drop without a close frame. Kill on a stopped server does
// nothing.
func (s *Soketi) Kill() { s.proc.stop(true, 0) }

// Restart stops the server gracefully and starts it again on the same
// ports; see Start for its errors.
func (s *Soketi) Restart() error {
	if s.t != nil {
		s.t.Helper()
	}
	s.Stop()
	return s.Start()
}

// Running reports whether the server process is up: started, and neither
// stopped nor exited by itself.
func (s *Soketi) Running() bool { return s.proc.running() }

// Exited returns a channel that is closed when the running server process
// exits, whatever the reason; nil when it is not running.
func (s *Soketi) Exited() <-chan struct{} { return s.proc.done() }

// Output returns the last lines the server printed.
func (s *Soketi) Output() string { return s.proc.output() }

func freeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// moduleRoot walks up from the working directory to chatwire's go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module "+modulePath)) {
			first, _, _ := strings.Cut(string(b), "\n")
			if strings.TrimSpace(strings.TrimPrefix(first, "module")) == modulePath {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the " + modulePath + " module")
		}
		dir = parent
	}
}

// randomKey returns base64 of 32 random bytes.
func randomKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// randomToken returns hex of 16 random bytes, a password.
func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
