package pushertest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chatwire/chatwire/core/pusher"
)

// User is the member an AuthServer token stands for on presence channels.
type User struct {
	ID string
	// Info is the member's user_info, JSON-encoded; nil sends none.
	Info any
}

// AuthServer is an in-process channel authorization endpoint in the style
// of Laravel's POST /broadcasting/auth: form fields socket_id and
// channel_name, the user's "Authorization: Bearer" token, an answer
// {"auth":...} for private channels and {"auth":...,"channel_data":...} for
// presence channels. An unknown token gets 401, a denied channel 403.
//
// NewAuthServer (tests) and RunAuthServer (programs) listen on 127.0.0.1;
// NewAuthHandler is the bare handler. Its methods are safe for concurrent
// use.
type AuthServer struct {
	key, secret string
	srv         *httptest.Server

	mu        sync.Mutex
	users     map[string]User
	deny      map[string]bool
	fail      []int
	requests  int
	masterKey string
}

// NewAuthServer starts an AuthServer that signs with the app's key and
// secret, and closes it when the test ends.
func NewAuthServer(t testing.TB, key, secret string) *AuthServer {
	t.Helper()
	s, err := RunAuthServer(key, secret)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// RunAuthServer starts an AuthServer on 127.0.0.1, for programs and tests
// alike (NewAuthServer is the test wrapper). The caller must Close it.
func RunAuthServer(key, secret string) (*AuthServer, error) {
	s := NewAuthHandler(key, secret)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("pushertest: auth server: %w", err)
	}
	s.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: s}}
	s.srv.Start()
	return s, nil
}

// NewAuthHandler returns the endpoints as an http.Handler that listens
// nowhere, for a program to serve at /broadcasting/auth and
// /broadcasting/user-auth on its own server (Endpoint and UserEndpoint are
// then "").
func NewAuthHandler(key, secret string) *AuthServer {
	return &AuthServer{key: key, secret: secret, users: map[string]User{}, deny: map[string]bool{}}
}

// Close stops a server started by RunAuthServer. Idempotent.
func (s *AuthServer) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// Endpoint returns the authorization URL, ".../broadcasting/auth".
func (s *AuthServer) Endpoint() string {
	if s.srv == nil {
		return ""
	}
	return s.srv.URL + "/broadcasting/auth"
}

// UserEndpoint returns the user authentication URL,
// ".../broadcasting/user-auth": a form with socket_id, an answer
// {"auth":...,"user_data":"{\"id\":...,\"user_info\":...}"}.
func (s *AuthServer) UserEndpoint() string {
	if s.srv == nil {
		return ""
	}
	return s.srv.URL + "/broadcasting/user-auth"
}

// AddUser makes token valid for user.
func (s *AuthServer) AddUser(token string, u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[token] = u
}

// RemoveToken makes token invalid (401 from now on).
func (s *AuthServer) RemoveToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.users, token)
}

// EncryptWith makes the server hand out shared secrets for
// private-encrypted- channels, derived from the app's encryption master
// key (base64 of 32 bytes), as Laravel's Pusher broadcaster does.
func (s *AuthServer) EncryptWith(masterKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.masterKey = masterKey
}

// Deny makes the server refuse channel with 403.
func (s *AuthServer) Deny(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny[channel] = true
}

// FailNext makes the next requests fail with these HTTP statuses, in order.
func (s *AuthServer) FailNext(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, statuses...)
}

// Requests returns how many requests the server has answered.
func (s *AuthServer) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// ServeHTTP answers one authorization request.
func (s *AuthServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	var status int
	if len(s.fail) > 0 {
		status, s.fail = s.fail[0], s.fail[1:]
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	user, known := s.users[token]
	channel := r.PostFormValue("channel_name")
	denied := s.deny[channel]
	masterKey := s.masterKey
	s.mu.Unlock()

	switch {
	case r.URL.Path != "/broadcasting/auth" && r.URL.Path != "/broadcasting/user-auth":
		http.NotFound(w, r)
		return
	case r.Method != http.MethodPost:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	case status != 0:
		http.Error(w, http.StatusText(status), status)
		return
	case token == "" || !known:
		http.Error(w, `{"message":"Unauthenticated."}`, http.StatusUnauthorized)
		return
	case denied:
		http.Error(w, "", http.StatusForbidden)
		return
	}
	socketID := r.PostFormValue("socket_id")
	if r.URL.Path == "/broadcasting/user-auth" {
		s.authenticateUser(w, socketID, user)
		return
	}
	if socketID == "" || channel == "" {
		http.Error(w, "socket_id and channel_name are required", http.StatusUnprocessableEntity)
		return
	}
	kind, err := pusher.ChannelKind(channel)
	if err != nil || kind == pusher.Public {
		http.Error(w, "", http.StatusForbidden)
		return
	}
	var auth pusher.Auth
	if kind == pusher.Presence {
		cd, err := json.Marshal(struct {
			UserID   string `json:"user_id"`
			UserInfo any    `json:"user_info,omitempty"`
		}{user.ID, user.Info})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		auth.ChannelData = string(cd)
	}
	if kind == pusher.PrivateEncrypted {
		if masterKey == "" {
			http.Error(w, "no encryption master key", http.StatusInternalServerError)
			return
		}
		if auth.SharedSecret, err = pusher.SharedSecret(channel, masterKey); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	auth.Auth = pusher.SignChannel(s.key, s.secret, socketID, channel, auth.ChannelData)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(auth)
}

// authenticateUser answers a user authentication request.
func (s *AuthServer) authenticateUser(w http.ResponseWriter, socketID string, user User) {
	if socketID == "" {
		http.Error(w, "socket_id is required", http.StatusUnprocessableEntity)
		return
	}
	data, err := json.Marshal(struct {
		ID       string `json:"id"`
		UserInfo any    `json:"user_info,omitempty"`
	}{user.ID, user.Info})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(pusher.UserAuth{
		Auth:     pusher.SignUser(s.key, s.secret, socketID, string(data)),
		UserData: string(data),
	})
}

// user returns the user a token stands for.
func (s *AuthServer) user(token string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[token]
	return u, ok && token != ""
}
