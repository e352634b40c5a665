package pushertest

import (
	"encoding/json"
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
// It listens on 127.0.0.1 and is closed when the test ends. Its methods are
// safe for concurrent use.
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

// NewAuthServer starts an AuthServer that signs with the app's key and secret.
func NewAuthServer(t testing.TB, key, secret string) *AuthServer {
	t.Helper()
	s := &AuthServer{key: key, secret: secret, users: map[string]User{}, deny: map[string]bool{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pushertest: auth server: %v", err)
	}
	s.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: s}}
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// Endpoint returns the authorization URL, ".../broadcasting/auth".
func (s *AuthServer) Endpoint() string { return s.srv.URL + "/broadcasting/auth" }

// UserEndpoint returns the user authentication URL,
// ".../broadcasting/user-auth": a form with socket_id, an answer
// {"auth":...,"user_data":"{\"id\":...,\"user_info\":...}"}.
func (s *AuthServer) UserEndpoint() string { return s.srv.URL + "/broadcasting/user-auth" }

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
