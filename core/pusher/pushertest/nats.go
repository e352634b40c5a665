package pushertest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// NATSBinEnv names the environment variable that points at the nats-server
// executable.
const NATSBinEnv = "CHATWIRE_NATS_BIN"

// DefaultNATSBin is where .ci/cluster/install.sh builds nats-server,
// relative to the module root.
const DefaultNATSBin = ".ci/bin/nats-server"

// NATSVersion is the nats-server the cluster suite is run against.
const NATSVersion = "v2.15.3"

// natsUser is the user of the Soketi account.
const natsUser = "soketi"

// NATSOptions configure StartNATS. Zero values take the documented
// defaults.
type NATSOptions struct {
	// Bin is the nats-server executable; "" means FindNATS.
	Bin string
	// StartTimeout bounds each start until the server is healthy; zero
	// means 30s.
	StartTimeout time.Duration
	// Log receives the server's output; nil keeps the last lines for
	// failure messages only.
	Log io.Writer
}

// NATS is a nats-server process on 127.0.0.1, the broker of a Soketi
// cluster. It holds one account, for Soketi alone: the adapter counts the
// connections of its account to know how many nodes must answer a
// cross-node query, so any other client in it makes every such query wait
// for its timeout (5s). Clients without credentials are refused. It keeps
// its ports across Stop and Start.
//
// Concurrency: as Soketi.
type NATS struct {
	// Port takes client connections; MonitorPort serves the monitoring
	// endpoints (/healthz, /connz).
	Port, MonitorPort int
	// User and Password are the credentials of the Soketi account.
	User, Password string

	t    testing.TB
	dir  string
	opts NATSOptions
	proc *process
}

// StartNATS starts a nats-server on free loopback ports and waits until it
// is healthy. It skips or fails the test as RequireNATS does when
// nats-server is missing, and stops the server when the test ends.
func StartNATS(t testing.TB, opts NATSOptions) *NATS {
	t.Helper()
	if opts.Bin == "" {
		opts.Bin = RequireNATS(t)
	}
	n, err := RunNATS(opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	n.t = t
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// RunNATS starts a nats-server on free loopback ports and waits until it
// is healthy, for programs and tests alike. The caller must Close it.
func RunNATS(opts NATSOptions) (*NATS, error) {
	if opts.Bin == "" {
		bin, err := FindNATS()
		if err != nil {
			return nil, err
		}
		opts.Bin = bin
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 30 * time.Second
	}
	n := &NATS{User: natsUser, Password: randomToken(), opts: opts}
	var err error
	if n.Port, err = freeTCPPort(); err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	if n.MonitorPort, err = freeTCPPort(); err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	if n.dir, err = os.MkdirTemp("", "chatwire-nats-"); err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	cfg := filepath.Join(n.dir, "nats.conf")
	if err := os.WriteFile(cfg, []byte(n.config()), 0o600); err != nil {
		_ = n.Close()
		return nil, fmt.Errorf("nats: write config: %w", err)
	}
	n.proc = &process{name: "nats-server", bin: opts.Bin, args: []string{"-c", cfg}, log: opts.Log}
	if err := n.start(); err != nil {
		_ = n.Close()
		return nil, err
	}
	return n, nil
}

// config is the server's configuration: loopback only, one account for
// Soketi.
func (n *NATS) config() string {
	return fmt.Sprintf(`listen: "127.0.0.1:%d"
http: "127.0.0.1:%d"
accounts: {
  SOKETI: { users: [ { user: %q, password: %q } ] }
}
`, n.Port, n.MonitorPort, n.User, n.Password)
}

// Addr returns "127.0.0.1:port", the address Soketi connects to.
func (n *NATS) Addr() string { return "127.0.0.1:" + strconv.Itoa(n.Port) }

// Start starts the server (again) on its ports; see Soketi.Start.
func (n *NATS) Start() error {
	if n.t != nil {
		n.t.Helper()
	}
	err := n.start()
	if err != nil && n.t != nil {
		n.t.Fatalf("%v", err)
	}
	return err
}

func (n *NATS) start() error {
	exited, err := n.proc.start()
	if err != nil {
		return err
	}
	url := "http://127.0.0.1:" + strconv.Itoa(n.MonitorPort) + "/healthz"
	if err := waitHTTP(url, exited, n.opts.StartTimeout); err != nil {
		n.Kill()
		return fmt.Errorf("nats: %w\n--- nats-server output ---\n%s", err, n.proc.output())
	}
	return nil
}

// Stop shuts the server down (SIGTERM) and waits until it has exited.
func (n *NATS) Stop() { n.proc.stop(false, 10*time.Second) }

// Kill ends the server at once (SIGKILL).
func (n *NATS) Kill() { n.proc.stop(true, 0) }

// Restart stops the server and starts it again on the same ports.
func (n *NATS) Restart() error {
	if n.t != nil {
		n.t.Helper()
	}
	n.Stop()
	return n.Start()
}

// Output returns the last lines the server printed.
func (n *NATS) Output() string { return n.proc.output() }

// Close kills the server and removes its configuration. Idempotent.
func (n *NATS) Close() error {
	if n.proc != nil {
		n.Kill()
	}
	if n.dir != "" {
		return os.RemoveAll(n.dir)
	}
	return nil
}

// FindNATS returns the nats-server executable's path, or an error saying
// how to get it. It looks, in order, at $CHATWIRE_NATS_BIN,
// .ci/bin/nats-server under chatwire's module root, and nats-server in
// PATH.
func FindNATS() (string, error) {
	if bin := os.Getenv(NATSBinEnv); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("nats-server not found at $%s=%s: %w", NATSBinEnv, bin, err)
		}
		return bin, nil
	}
	if root, err := moduleRoot(); err == nil {
		bin := filepath.Join(root, DefaultNATSBin)
		if _, err := os.Stat(bin); err == nil {
			return bin, nil
		}
	}
	if bin, err := exec.LookPath("nats-server"); err == nil {
		return bin, nil
	}
	return "", fmt.Errorf("nats-server not found: run .ci/cluster/install.sh (or make cluster), "+
		"or go install github.com/nats-io/nats-server/v2@%s and put it in PATH or $%s", NATSVersion, NATSBinEnv)
}

// RequireNATS returns the nats-server executable. When there is none, it
// fails the test under CI=true and skips it otherwise, saying how to get
// it.
func RequireNATS(t testing.TB) string {
	t.Helper()
	bin, err := FindNATS()
	if err == nil {
		return bin
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %v", err)
	}
	t.Skipf("skipping NATS cluster test: %v", err)
	return ""
}
