package pusher

import "strings"

// Kind is a channel's type, given by its name prefix.
type Kind int

const (
	// Public channels need no authorization.
	Public Kind = iota
	// Private channels ("private-") need an authorization per socket.
	Private
	// Presence channels ("presence-") need an authorization carrying the
	// member's data, and keep a member list.
	Presence
	// PrivateEncrypted channels ("private-encrypted-") are private channels
	// whose event data the backend encrypts end to end; the authorization
	// carries the channel's shared secret.
	PrivateEncrypted
)

func (k Kind) String() string {
	switch k {
	case Public:
		return "public"
	case Private:
		return "private"
	case Presence:
		return "presence"
	case PrivateEncrypted:
		return "private-encrypted"
	}
	return "unknown"
}

// MaxChannelNameLength is the longest channel name the protocol allows.
const MaxChannelNameLength = 164

// ChannelKind validates a channel name and returns its kind. Names are 1 to
// 164 characters of [A-Za-z0-9_\-=@,.;]; "#"-prefixed server channels and
// other bad names are refused with ErrInvalidChannel as a
// *ChannelNameError. Cache channels ("cache-", "private-cache-",
// "presence-cache-", "private-encrypted-cache-") are of the kind their
// prefix names.
func ChannelKind(name string) (Kind, error) {
	if name == "" {
		return 0, &ChannelNameError{Name: name, Reason: "empty name", Err: ErrInvalidChannel}
	}
	if len(name) > MaxChannelNameLength {
		return 0, &ChannelNameError{Name: name[:20] + "...", Reason: "longer than 164 characters", Err: ErrInvalidChannel}
	}
	for i := 0; i < len(name); i++ {
		if !validChannelByte(name[i]) {
			return 0, &ChannelNameError{Name: name, Reason: "invalid character " + quoteByte(name[i]), Err: ErrInvalidChannel}
		}
	}
	switch {
	case strings.HasPrefix(name, "private-encrypted-"):
		if len(name) == len("private-encrypted-") {
			return 0, &ChannelNameError{Name: name, Reason: "no name after the prefix", Err: ErrInvalidChannel}
		}
		return PrivateEncrypted, nil
	case strings.HasPrefix(name, "private-"):
		if len(name) == len("private-") {
			return 0, &ChannelNameError{Name: name, Reason: "no name after the prefix", Err: ErrInvalidChannel}
		}
		return Private, nil
	case strings.HasPrefix(name, "presence-"):
		if len(name) == len("presence-") {
			return 0, &ChannelNameError{Name: name, Reason: "no name after the prefix", Err: ErrInvalidChannel}
		}
		return Presence, nil
	}
	return Public, nil
}

func validChannelByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("_-=@,.;", c) >= 0
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	const hexdigits = "0123456789abcdef"
	return "0x" + string([]byte{hexdigits[c>>4], hexdigits[c&15]})
}
