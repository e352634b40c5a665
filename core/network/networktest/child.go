package networktest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A child server is a server run by the test binary in a child process,
// so that a benchmark measures only the client in its own process (CPU,
// heap, goroutines). The binary holds a test that serves only in the
// child:
//
//	func TestBenchServer(t *testing.T) {
//		if !networktest.InChild("MY_BENCH_SERVER") {
//			t.Skip("the benchmarks' server process")
//		}
//		networktest.ServeChild(mux, nil)
//	}
//
// and a benchmark starts it with StartChild(b, "TestBenchServer",
// "MY_BENCH_SERVER").

// InChild reports whether this process is a child started with envVar.
func InChild(envVar string) bool { return os.Getenv(envVar) == "1" }

// ServeChild serves h on a free loopback port, tells the parent its
// address, and ends the process once the parent closes its standard input
// (calling stop first, if set). It never returns.
func ServeChild(h http.Handler, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() { _ = http.Serve(ln, h) }()
	fmt.Printf("ADDR %s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	if stop != nil {
		stop()
	}
	os.Exit(0)
}

// StartChild runs the test binary again, running only the test testName
// with envVar=1, and returns the address the child's ServeChild announced.
// The child ends when tb's test does.
func StartChild(tb testing.TB, testName, envVar string) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+testName+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), envVar+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return addr
		}
	}
	tb.Fatalf("%s did not start: %v", testName, sc.Err())
	return ""
}
