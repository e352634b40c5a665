package laravel_test

import (
	"slices"
	"testing"

	"github.com/chatwire/chatwire/domain"
)

// Issue 12, defects 1 and 2: what Connect waited for is visible when it
// returns: the socket id in SocketID and ConnectionState, the presence
// members in Members.
func TestConnectReturnsWithSocketIDAndMembers(t *testing.T) {
	app := newLaravelApp(t)
	ann := app.connect(t, "token-ann", nil)
	for i := range 10 {
		bob := app.connect(t, "token-bob", nil)
		id := bob.SocketID()
		st := bob.ConnectionState()
		if id == "" || st.SessionID != id || st.Status != domain.Connected {
			t.Fatalf("connect %d: SocketID %q, state %+v right after Connect", i, id, st)
		}
		if m := bob.Members(); !slices.Equal(m, []string{"1", "2"}) {
			t.Fatalf("connect %d: Members() = %v right after Connect, want [1 2]", i, m)
		}
		_ = bob.Close()
	}
	if m := ann.Members(); !slices.Contains(m, "1") {
		t.Fatalf("ann's members %v", m)
	}
}
