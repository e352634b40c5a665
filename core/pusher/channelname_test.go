package pusher

import (
	"errors"
	"strings"
	"testing"
)

func TestChannelKind(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		err  error
	}{
		{"chat", Public, nil},
		{"private-conversation.42", Private, nil},
		{"presence-online", Presence, nil},
		{"private-user.a@b.c", Private, nil},
		{"a-_=@,.;Z9", Public, nil},
		{"private-encrypted-secret", PrivateEncrypted, nil},
		{"private-encrypted-", 0, ErrInvalidChannel},
		{"cache-prices", Public, nil},
		{"private-cache-x", Private, nil},
		{"presence-cache-room", Presence, nil},
		{"private-encrypted-cache-x", PrivateEncrypted, nil},
		{"", 0, ErrInvalidChannel},
		{"private-", 0, ErrInvalidChannel},
		{"presence-", 0, ErrInvalidChannel},
		{"has space", 0, ErrInvalidChannel},
		{"#server-to-user-1", 0, ErrInvalidChannel},
		{"emoji-\u263a", 0, ErrInvalidChannel},
		{strings.Repeat("a", MaxChannelNameLength), Public, nil},
		{strings.Repeat("a", MaxChannelNameLength+1), 0, ErrInvalidChannel},
	}
	for _, tt := range tests {
		kind, err := ChannelKind(tt.name)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("ChannelKind(%q) error = %v, want %v", tt.name, err, tt.err)
			continue
		}
		if tt.err != nil {
			var ne *ChannelNameError
			if !errors.As(err, &ne) {
				t.Errorf("ChannelKind(%q) error is %T, want *ChannelNameError", tt.name, err)
			}
			continue
		}
		if kind != tt.kind {
			t.Errorf("ChannelKind(%q) = %v, want %v", tt.name, kind, tt.kind)
		}
	}
}

func TestKindString(t *testing.T) {
	if Public.String() != "public" || Private.String() != "private" || Presence.String() != "presence" || Kind(9).String() != "unknown" {
		t.Fatal("Kind.String")
	}
}
