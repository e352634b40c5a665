package pushertest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chatwire/chatwire/core/pusher"
)

func postAuth(t *testing.T, s *AuthServer, token, socketID, channel string) (int, pusher.Auth) {
	t.Helper()
	form := url.Values{"socket_id": {socketID}, "channel_name": {channel}}
	req, _ := http.NewRequest(http.MethodPost, s.Endpoint(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a pusher.Auth
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, a
}

func TestAuthServer(t *testing.T) {
	s := NewAuthServer(t, "key", "secret")
	s.AddUser("t1", User{ID: "42", Info: map[string]string{"name": "Ann"}})

	status, a := postAuth(t, s, "t1", "1.2", "private-a")
	if status != 200 || a.Auth != pusher.SignChannel("key", "secret", "1.2", "private-a", "") || a.ChannelData != "" {
		t.Fatalf("private: %d %q %q", status, a.Auth, a.ChannelData)
	}
	status, a = postAuth(t, s, "t1", "1.2", "presence-room")
	if want := `{"user_id":"42","user_info":{"name":"Ann"}}`; status != 200 || a.ChannelData != want {
		t.Fatalf("presence: %d channel data %s, want %s", status, a.ChannelData, want)
	}
	if a.Auth != pusher.SignChannel("key", "secret", "1.2", "presence-room", a.ChannelData) {
		t.Fatal("presence signature does not cover the channel data")
	}
	if status, _ := postAuth(t, s, "", "1.2", "private-a"); status != 401 {
		t.Fatalf("no token: %d", status)
	}
	if status, _ := postAuth(t, s, "nope", "1.2", "private-a"); status != 401 {
		t.Fatalf("unknown token: %d", status)
	}
	s.Deny("private-b")
	if status, _ := postAuth(t, s, "t1", "1.2", "private-b"); status != 403 {
		t.Fatalf("denied channel: %d", status)
	}
	if status, _ := postAuth(t, s, "t1", "1.2", "public"); status != 403 {
		t.Fatalf("public channel: %d", status)
	}
	s.FailNext(503, 500)
	for _, want := range []int{503, 500, 200} {
		if status, _ := postAuth(t, s, "t1", "1.2", "private-a"); status != want {
			t.Fatalf("FailNext: %d, want %d", status, want)
		}
	}
	s.RemoveToken("t1")
	if status, _ := postAuth(t, s, "t1", "1.2", "private-a"); status != 401 {
		t.Fatalf("removed token: %d", status)
	}
	if n := s.Requests(); n != 10 {
		t.Fatalf("Requests() = %d, want 10", n)
	}
}
