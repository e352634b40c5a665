package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestUsageAndExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // must appear on stdout
		stderr string // must appear on stderr
	}{
		{"no command", nil, exitUsage, "", "Usage:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"help", []string{"help"}, exitOK, "Commands:", ""},
		{"--help", []string{"--help"}, exitOK, "chatwire connect --url", ""},
		{"help connect", []string{"help", "connect"}, exitOK, "-token", ""},
		{"help serve", []string{"help", "serve"}, exitOK, "-conversation", ""},
		{"help unknown", []string{"help", "nope"}, exitUsage, "", `unknown command "nope"`},
		{"help two args", []string{"help", "demo", "serve"}, exitUsage, "", "at most one"},
		{"demo -h", []string{"demo", "-h"}, exitOK, "", "Usage: chatwire demo"},
		{"demo unknown flag", []string{"demo", "--nope"}, exitUsage, "", "flag provided but not defined"},
		{"demo extra args", []string{"demo", "now"}, exitUsage, "", "unexpected arguments"},
		{"demo bad duration", []string{"demo", "--beat", "soon"}, exitUsage, "", "invalid value"},
		{"serve bad conversation", []string{"serve", "--conversation", "lobby"}, exitUsage, "", "want id:title:member,member"},
		{"serve conversation without members", []string{"serve", "--conversation", "lobby:Lobby:"}, exitUsage, "", "no members"},
		{"serve extra args", []string{"serve", "now"}, exitUsage, "", "unexpected arguments"},
		{"connect without url", []string{"connect", "--token", "alice"}, exitUsage, "", "--url is required"},
		{"connect without token", []string{"connect", "--url", "ws://127.0.0.1:1"}, exitUsage, "", "--token is required"},
		{"connect http url", []string{"connect", "--url", "http://127.0.0.1:1", "--token", "a"}, exitUsage, "", "scheme must be ws or wss"},
		{"connect url with query", []string{"connect", "--url", "ws://127.0.0.1:1/?token=x", "--token", "a"}, exitUsage, "", "no query"},
		{"connect empty conversation", []string{"connect", "--url", "ws://127.0.0.1:1", "--token", "a", "--conversation", " "}, exitUsage, "", "--conversation"},
		{"connect negative since", []string{"connect", "--url", "ws://127.0.0.1:1", "--token", "a", "--since", "-1"}, exitUsage, "", "--since"},
		{"help connect pusher", []string{"help", "connect"}, exitOK, "-pusher-key", ""},
		{"connect pusher without host", pusherArgs("--host", ""), exitUsage, "", "--host is required with --pusher-key"},
		{"connect pusher without user", pusherArgs("--user", ""), exitUsage, "", "--user is required with --pusher-key"},
		{"connect pusher without auth endpoint", pusherArgs("--auth-endpoint", ""), exitUsage, "", "--auth-endpoint is required with --pusher-key"},
		{"connect pusher without token", pusherArgs("--token", ""), exitUsage, "", "--token is required"},
		{"connect pusher with url", append(pusherArgs(), "--url", "ws://127.0.0.1:1"), exitUsage, "", "--url and --pusher-key"},
		{"connect pusher with since", append(pusherArgs(), "--since", "3"), exitUsage, "", "--since is not supported with --pusher-key"},
		{"connect pusher empty key", pusherArgs("--pusher-key", ""), exitUsage, "", "--url is required"},
		{"connect pusher host with scheme", pusherArgs("--host", "ws://127.0.0.1:6001"), exitUsage, "", "want host:port"},
		{"connect pusher host with path", pusherArgs("--host", "127.0.0.1:6001/app"), exitUsage, "", "want host:port"},
		{"connect pusher bad auth endpoint", pusherArgs("--auth-endpoint", "127.0.0.1/broadcasting/auth"), exitUsage, "", "--auth-endpoint"},
		{"connect pusher bad api", append(pusherArgs(), "--api", "ws://127.0.0.1:1"), exitUsage, "", "--api"},
		{"connect pusher bad user", pusherArgs("--user", "a b"), exitUsage, "", "--user \"a b\" cannot name a channel"},
		{"connect pusher bad conversation", append(pusherArgs(), "--conversation", "a/b"), exitUsage, "", "--conversation \"a/b\" cannot name a channel"},
		{"connect host without pusher key", []string{"connect", "--url", "ws://127.0.0.1:1", "--token", "a", "--host", "127.0.0.1:6001"}, exitUsage, "", "--host needs --pusher-key"},
		{"connect tls without pusher key", []string{"connect", "--url", "ws://127.0.0.1:1", "--token", "a", "--tls"}, exitUsage, "", "--tls needs --pusher-key"},
		{"connect api without pusher key", []string{"connect", "--url", "ws://127.0.0.1:1", "--token", "a", "--api", "http://127.0.0.1:1"}, exitUsage, "", "--api needs --pusher-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, &stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, &stderr)
			}
		})
	}
}

// pusherArgs returns a valid `connect --pusher-key` command line, with
// the flags in override (name, value pairs) replaced; an empty value drops
// the flag.
func pusherArgs(override ...string) []string {
	flags := [][2]string{{"--pusher-key", "app-key"}, {"--host", "127.0.0.1:1"},
		{"--auth-endpoint", "http://127.0.0.1:1/broadcasting/auth"}, {"--user", "alice"}, {"--token", "a"}}
	args := []string{"connect"}
	for _, f := range flags {
		for i := 0; i+1 < len(override); i += 2 {
			if override[i] == f[0] {
				f[1] = override[i+1]
			}
		}
		if f[1] != "" {
			args = append(args, f[0], f[1])
		}
	}
	return args
}

func TestParseConversation(t *testing.T) {
	tests := []struct {
		in      string
		want    conversationSpec
		wantErr bool
	}{
		{"lobby:Lobby:alice,bob", conversationSpec{"lobby", "Lobby", []string{"alice", "bob"}}, false},
		{"room::ann", conversationSpec{"room", "", []string{"ann"}}, false},
		{"t:A title: with colon:ann, ben ,", conversationSpec{"t", "A title", nil}, true}, // the title ends at the second colon
		{"x:y:a,,b", conversationSpec{"x", "y", []string{"a", "b"}}, false},
		{":Title:ann", conversationSpec{}, true},
		{"id:title", conversationSpec{}, true},
		{"id:title:bad user", conversationSpec{}, true},
	}
	for _, tt := range tests {
		got, err := parseConversation(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseConversation(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got.ID != tt.want.ID || got.Title != tt.want.Title || strings.Join(got.Members, ",") != strings.Join(tt.want.Members, ",") {
			t.Errorf("parseConversation(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
