package chattest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

const memoryWait = 10 * time.Second // guards against deadlocks only

// A unit test drives the reference server through the SDK itself, over
// the in-memory transport: data.New with the server's Transport, no
// socket and no port (the server here never listens).
func ExampleServer_Transport() {
	srv := chattest.NewUnstartedServer(chattest.Options{})
	defer srv.Close()
	_ = srv.CreateConversation("general", "General", "alice", "bob")

	connect := func(user string) *data.ChatWebSocketDataSource {
		src, err := data.New(data.Options{
			BaseURL:     "ws://chattest.memory", // a name: nothing is dialled
			Transport:   srv.Transport(),
			TokenSource: func(context.Context) (string, error) { return srv.IssueToken(user), nil },
		})
		if err != nil {
			panic(err)
		}
		if err := src.Connect(context.Background(), ""); err != nil {
			panic(err)
		}
		return src
	}
	alice, bob := connect("alice"), connect("bob")
	defer alice.Close()
	defer bob.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inbox := alice.Messages(ctx)
	if _, err := bob.SendMessage(ctx, domain.MessageDraft{ConversationID: "general", Content: "hi alice"}); err != nil {
		panic(err)
	}
	m := <-inbox
	fmt.Printf("%s → alice in %s: %s\n", m.SenderID, m.ConversationID, m.Content)
	// Output: bob → alice in general: hi alice
}

// memorySource is a data source for user over srv's in-memory transport.
func memorySource(t *testing.T, srv *chattest.Server, user string) *data.ChatWebSocketDataSource {
	t.Helper()
	src, err := data.New(data.Options{
		BaseURL:     "ws://chattest.memory",
		Transport:   srv.Transport(),
		TokenSource: func(context.Context) (string, error) { return srv.IssueToken(user), nil },
		Connection:  data.ConnectionOptions{ReconnectDelay: 10 * time.Millisecond, MaxReconnectDelay: 50 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return src
}

func memoryCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), memoryWait)
	t.Cleanup(cancel)
	return ctx
}

func awaitState(t *testing.T, states <-chan domain.ConnectionState, what string, ok func(domain.ConnectionState) bool) domain.ConnectionState {
	t.Helper()
	for {
		select {
		case st, open := <-states:
			if !open {
				t.Fatalf("states closed while waiting for %s", what)
			}
			if ok(st) {
				return st
			}
		case <-time.After(memoryWait):
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// The server's rules hold over the in-memory transport: a refused token is
// an HTTP 401 at the dial, which the SDK reports as ErrUnauthorized.
func TestMemoryTransportRefusesABadToken(t *testing.T) {
	srv := chattest.NewUnstartedServer(chattest.Options{})
	defer srv.Close()
	src, err := data.New(data.Options{BaseURL: "ws://chattest.memory", Transport: srv.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Connect(memoryCtx(t), "not-a-token"); !errors.Is(err, domain.ErrUnauthorized) {
		t.Fatalf("Connect = %v, want ErrUnauthorized", err)
	}
}

func TestMemoryTransportRefusedUpgradeKeepsItsStatus(t *testing.T) {
	srv := chattest.NewUnstartedServer(chattest.Options{})
	defer srv.Close()
	srv.RefuseUpgrades(1, http.StatusNotFound)
	c := srv.Transport()()
	err := c.Connect(memoryCtx(t), "ws://chattest.memory/chat", http.Header{"Authorization": {"Bearer " + srv.IssueToken("alice")}})
	var de *network.DialError
	if !errors.As(err, &de) || de.StatusCode != http.StatusNotFound {
		t.Fatalf("Connect = %v, want a dial error with 404", err)
	}
}

// A dropped connection and a close with a code reach the client as they
// would over TCP, and the SDK reconnects and catches up.
func TestMemoryTransportFaultsAndReconnect(t *testing.T) {
	srv := chattest.NewUnstartedServer(chattest.Options{})
	defer srv.Close()
	if err := srv.CreateConversation("c1", "One", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	alice := memorySource(t, srv, "alice")
	ctx := memoryCtx(t)
	states, inbox := alice.ConnectionStates(ctx), alice.Messages(ctx)
	if err := alice.Connect(ctx, ""); err != nil {
		t.Fatal(err)
	}
	for _, fault := range []struct {
		name string
		do   func()
		code int
	}{
		{"drop", srv.DropAll, network.CloseAbnormal},
		{"close 4008", func() { srv.CloseAll(chattest.ClosePolicy, "slow down") }, chattest.ClosePolicy},
	} {
		fault.do()
		st := awaitState(t, states, fault.name+": reconnecting", func(s domain.ConnectionState) bool { return s.Status == domain.Reconnecting })
		var ce *network.CloseError
		if !errors.As(st.Err, &ce) || ce.Code != fault.code {
			t.Fatalf("%s: state error %v, want close code %d", fault.name, st.Err, fault.code)
		}
		awaitState(t, states, fault.name+": connected again", func(s domain.ConnectionState) bool { return s.Status == domain.Connected })
	}
	// A message posted while nobody listens arrives through the catch-up
	// or live, once.
	if _, err := srv.Post(chattest.Message{ConversationID: "c1", SenderID: "bob", Content: "still there?"}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-inbox:
		if m.Content != "still there?" {
			t.Fatalf("got %+v", m)
		}
	case <-time.After(memoryWait):
		t.Fatal("the message never came")
	}
	if srv.Connections("alice") != 1 {
		t.Fatalf("%d connections for alice, want 1", srv.Connections("alice"))
	}
}

// Closing the client and the server leaves nothing running (TestMain's
// goleak checks the bridge's goroutines).
func TestMemoryTransportClosesCleanly(t *testing.T) {
	srv := chattest.NewUnstartedServer(chattest.Options{})
	alice := memorySource(t, srv, "alice")
	bob := memorySource(t, srv, "bob")
	ctx := memoryCtx(t)
	for _, s := range []*data.ChatWebSocketDataSource{alice, bob} {
		if err := s.Connect(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	_ = alice.Close()
	deadline := time.Now().Add(memoryWait)
	for srv.Connections("alice") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the server still holds alice's connection after she closed")
		}
		time.Sleep(time.Millisecond)
	}
	srv.Close() // closes bob's connection with 1001; bob is left reconnecting
	_ = bob.Close()
}
