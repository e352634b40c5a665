package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal starts a clean shutdown; stopping the relay then
	// gives the next one its default effect, so a second Ctrl-C still ends
	// a shutdown that hangs.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand: its flags are parsed by run, the rest by itself.
type command struct {
	name    string
	summary string
	// flags returns a FlagSet (ContinueOnError) bound to the returned
	// runner, which runs the command once the flags are parsed.
	flags func() (*flag.FlagSet, func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int)
}

func commands() []command {
	return []command{
		{"demo", "run an embedded server and three simulated users; print the live transcript", demoCommand},
		{"serve", "run the reference chat server for local development (token = user id)", serveCommand},
		{"connect", "an interactive terminal client: type to send, /help for commands", connectCommand},
		{"laravel", "play the Laravel app behind Soketi/Reverb/Pusher: auth endpoints and events", laravelCommand},
	}
}

// run dispatches args to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return help(rest, stdout, stderr)
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "chatwire: unknown command %q\n\n", name)
		usage(stderr)
		return exitUsage
	}
	fs, runner := cmd.flags()
	fs.SetOutput(stderr)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage // the FlagSet has printed the error and its usage
	}
	return runner(ctx, fs.Args(), stdin, stdout, stderr)
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// help prints the general usage, or one command's.
func help(args []string, stdout, stderr io.Writer) int {
	switch len(args) {
	case 0:
		usage(stdout)
		return exitOK
	case 1:
		cmd, ok := lookup(args[0])
		if !ok {
			fmt.Fprintf(stderr, "chatwire: unknown command %q\n\n", args[0])
			usage(stderr)
			return exitUsage
		}
		fs, _ := cmd.flags()
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	default:
		fmt.Fprintln(stderr, "chatwire: help takes at most one command")
		return exitUsage
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "chatwire: a real-time chat SDK's demo, reference server and terminal client")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  chatwire <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-8s %s\n", "help", "show this text, or a command's flags: chatwire help <command>")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Examples:")
	fmt.Fprintln(w, "  chatwire demo")
	fmt.Fprintln(w, "  chatwire serve --addr 127.0.0.1:8080")
	fmt.Fprintln(w, "  chatwire connect --url ws://127.0.0.1:8080 --token alice --conversation lobby")
	fmt.Fprintln(w, "  chatwire laravel --server http://127.0.0.1:6001 --key app-key --secret app-secret")
	fmt.Fprintln(w, "  chatwire connect --pusher-key app-key --host 127.0.0.1:6001 --auth-endpoint http://127.0.0.1:8000/broadcasting/auth --api http://127.0.0.1:8000 --user 1 --token token-ann")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 runtime failure, 2 usage error.")
}

// newFlagSet returns a ContinueOnError FlagSet whose usage names the command.
func newFlagSet(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("chatwire "+name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: chatwire %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

// usageError reports a bad argument the FlagSet could not catch, with the
// command's usage, and returns exitUsage.
func usageError(fs *flag.FlagSet, stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.SetOutput(stderr)
	fs.Usage()
	return exitUsage
}

// debugLogger is what --verbose turns on: every layer's debug logs on w.
func debugLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
