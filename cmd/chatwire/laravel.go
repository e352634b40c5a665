package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/chatwire/chatwire/core/pusher/pushertest"
)

// laravelOptions configure runLaravel.
type laravelOptions struct {
	Addr                string // where the app listens
	Server              string // the Pusher-protocol server's HTTP base URL
	AppID, Key, Secret  string
	EncryptionMasterKey string
	Users               userFlag
}

// userSpec is a --user value: token=id:name.
type userSpec struct{ Token, ID, Name string }

// userFlag collects repeated --user flags.
type userFlag []userSpec

func (f *userFlag) String() string {
	var s []string
	for _, u := range *f {
		s = append(s, u.Token+"="+u.ID+":"+u.Name)
	}
	return strings.Join(s, " ")
}

var errBadUser = errors.New("want token=id:name")

// Set parses token=id:name (the name may be empty: token=id:).
func (f *userFlag) Set(v string) error {
	token, rest, ok := strings.Cut(v, "=")
	id, name, _ := strings.Cut(rest, ":")
	if !ok || strings.TrimSpace(token) == "" || strings.TrimSpace(id) == "" {
		return fmt.Errorf("%w, got %q", errBadUser, v)
	}
	*f = append(*f, userSpec{Token: strings.TrimSpace(token), ID: strings.TrimSpace(id), Name: strings.TrimSpace(name)})
	return nil
}

// defaultUsers are the users when no --user is given.
var defaultUsers = userFlag{{"token-ann", "1", "Ann"}, {"token-bob", "2", "Bob"}}

func laravelCommand() (*flag.FlagSet, func(context.Context, []string, io.Reader, io.Writer, io.Writer) int) {
	fs := newFlagSet("laravel", "[--addr host:port] [--server http://host:port] [--app-id ID --key KEY --secret SECRET] [--user token=id:name ...]",
		"Plays the Laravel app behind a Pusher-protocol server (Soketi, Reverb, Pusher)\n"+
			"for trying the Pusher path by hand: POST /broadcasting/auth and\n"+
			"/broadcasting/user-auth sign with the app secret for the users' bearer\n"+
			"tokens; POST /api/conversations/{id}/messages and /read broadcast\n"+
			"App\\Events\\MessageSent and App\\Events\\MessagesRead on\n"+
			"private-conversation.{id} through the server's HTTP API, to others;\n"+
			"POST /api/events {\"channel\",\"event\",\"data\"} broadcasts any event.\n"+
			"Development only: tokens are given on the command line. See docs/pusher.md.")
	o := laravelOptions{}
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8000", "address the app listens on")
	fs.StringVar(&o.Server, "server", "http://127.0.0.1:6001", "the Pusher-protocol server's HTTP API base URL")
	fs.StringVar(&o.AppID, "app-id", "app-id", "the app id on the server")
	fs.StringVar(&o.Key, "key", "app-key", "the app key")
	fs.StringVar(&o.Secret, "secret", "app-secret", "the app secret (signs subscriptions and API calls)")
	fs.StringVar(&o.EncryptionMasterKey, "encryption-master-key", "", "base64 of 32 bytes: enables private-encrypted- channels")
	fs.Var(&o.Users, "user", "a user `token=id:name` (repeatable; default token-ann=1:Ann and token-bob=2:Bob)")
	return fs, func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
		if len(args) > 0 {
			return usageError(fs, stderr, "unexpected arguments %q", args)
		}
		if u, err := url.Parse(o.Server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError(fs, stderr, "--server %q: want an http:// or https:// URL", o.Server)
		}
		if o.Key == "" || o.Secret == "" || o.AppID == "" {
			return usageError(fs, stderr, "--app-id, --key and --secret must not be empty")
		}
		if len(o.Users) == 0 {
			o.Users = defaultUsers
		}
		l, err := net.Listen("tcp", o.Addr)
		if err != nil {
			fmt.Fprintf(stderr, "chatwire laravel: listen on %s: %v\n", o.Addr, err)
			return exitFailure
		}
		if err := runLaravel(ctx, l, stdout, o); err != nil {
			fmt.Fprintf(stderr, "chatwire laravel: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
}

// newLaravelApp builds the app's handler for o.
func newLaravelApp(o laravelOptions) *pushertest.LaravelApp {
	auth := pushertest.NewAuthHandler(o.Key, o.Secret)
	if o.EncryptionMasterKey != "" {
		auth.EncryptWith(o.EncryptionMasterKey)
	}
	for _, u := range o.Users {
		var info any
		if u.Name != "" {
			info = map[string]string{"name": u.Name}
		}
		auth.AddUser(u.Token, pushertest.User{ID: u.ID, Info: info})
	}
	api := &pushertest.API{BaseURL: strings.TrimSuffix(o.Server, "/"), AppID: o.AppID, Key: o.Key, Secret: o.Secret, EncryptionMasterKey: o.EncryptionMasterKey}
	return &pushertest.LaravelApp{API: api, Auth: auth}
}

// runLaravel serves the app on l until ctx ends.
func runLaravel(ctx context.Context, l net.Listener, w io.Writer, o laravelOptions) error {
	srv := &http.Server{Handler: newLaravelApp(o), ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + l.Addr().String()
	fmt.Fprintf(w, "chatwire laravel: the app is at %s, broadcasting through %s (app %s)\n", base, o.Server, o.AppID)
	fmt.Fprintf(w, "  channel auth  POST %s/broadcasting/auth\n", base)
	fmt.Fprintf(w, "  user auth     POST %s/broadcasting/user-auth\n", base)
	fmt.Fprintf(w, "  messages      POST %s/api/conversations/{id}/messages\n", base)
	fmt.Fprintf(w, "  events        POST %s/api/events\n", base)
	for _, u := range o.Users {
		fmt.Fprintf(w, "user %s (%s): --token %s\n", u.ID, u.Name, u.Token)
	}
	host := strings.TrimPrefix(strings.TrimPrefix(o.Server, "http://"), "https://")
	if len(o.Users) > 0 {
		u := o.Users[0]
		fmt.Fprintf(w, "connect: chatwire connect --pusher-key %s --host %s --auth-endpoint %s/broadcasting/auth --api %s --user %s --token %s --conversation 7\n",
			o.Key, strings.TrimSuffix(host, "/"), base, base, u.ID, u.Token)
	}
	fmt.Fprintln(w, "press Ctrl-C to stop")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still running after 5s (a slow broadcast) are cut off:
		// the user asked to stop.
		_ = srv.Close()
	}
	<-errc
	fmt.Fprintln(w, "app closed")
	return nil
}
