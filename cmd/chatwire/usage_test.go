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
