package pushertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LaravelApp is the Laravel side of a chat app, as an http.Handler: the
// broadcasting endpoints and a small JSON API that stores nothing but
// broadcasts through a Pusher-protocol server's HTTP API, as a Laravel app
// with ShouldBroadcast events does. `chatwire laravel` serves it, and tests
// may too.
//
//	POST /broadcasting/auth                   channel authorization (Auth)
//	POST /broadcasting/user-auth              user authentication (Auth)
//	POST /api/conversations/{id}/messages     {"client_id","content","kind"} → 201 {"data": message};
//	                                          broadcasts App\Events\MessageSent {"message": ...}
//	                                          on private-conversation.{id}, to others (X-Socket-ID)
//	POST /api/conversations/{id}/read         {"message_id"} → 204; broadcasts App\Events\MessagesRead
//	POST /api/events                          {"channel","event","data"} → 204; broadcasts any event
//
// Every /api request needs "Authorization: Bearer <token>" of a user added
// to Auth. It is safe for concurrent use.
type LaravelApp struct {
	// API broadcasts; required.
	API *API
	// Auth signs subscriptions and sign-ins and knows the users' tokens;
	// required.
	Auth *AuthServer

	mu     sync.Mutex
	nextID int
}

// ServeHTTP routes a request.
func (a *LaravelApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/broadcasting/") {
		a.Auth.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, `{"message":"method not allowed"}`, http.StatusMethodNotAllowed)
		return
	}
	user, ok := a.Auth.user(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	if !ok {
		http.Error(w, `{"message":"Unauthenticated."}`, http.StatusUnauthorized)
		return
	}
	var in map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		http.Error(w, `{"message":"the body must be a JSON object"}`, http.StatusBadRequest)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "api" && parts[1] == "events":
		a.event(w, r, in)
	case len(parts) == 4 && parts[0] == "api" && parts[1] == "conversations" && parts[3] == "messages":
		a.message(w, r, user, parts[2], in)
	case len(parts) == 4 && parts[0] == "api" && parts[1] == "conversations" && parts[3] == "read":
		a.read(w, r, user, parts[2], in)
	default:
		http.NotFound(w, r)
	}
}

func (a *LaravelApp) message(w http.ResponseWriter, r *http.Request, user User, conv string, in map[string]any) {
	content, _ := in["content"].(string)
	if content == "" {
		http.Error(w, `{"message":"The content field is required."}`, http.StatusUnprocessableEntity)
		return
	}
	kind, _ := in["kind"].(string)
	if kind == "" {
		kind = "text"
	}
	a.mu.Lock()
	a.nextID++
	id := "msg-" + strconv.Itoa(a.nextID)
	a.mu.Unlock()
	msg := map[string]any{
		"id": id, "client_id": in["client_id"], "conversation_id": conv, "user_id": user.ID,
		"body": content, "kind": kind, "created_at": time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"),
	}
	if err := a.API.Trigger(r.Context(), TriggerParams{
		Channels: []string{"private-conversation." + conv}, Event: `App\Events\MessageSent`,
		Data: map[string]any{"message": msg}, SocketID: r.Header.Get("X-Socket-ID"),
	}); err != nil {
		http.Error(w, fmt.Sprintf(`{"message":%q}`, err.Error()), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"data": msg})
}

func (a *LaravelApp) read(w http.ResponseWriter, r *http.Request, user User, conv string, in map[string]any) {
	if err := a.API.Trigger(r.Context(), TriggerParams{
		Channels: []string{"private-conversation." + conv}, Event: `App\Events\MessagesRead`,
		Data:     map[string]any{"conversation_id": conv, "user_id": user.ID, "message_id": in["message_id"]},
		SocketID: r.Header.Get("X-Socket-ID"),
	}); err != nil {
		http.Error(w, fmt.Sprintf(`{"message":%q}`, err.Error()), http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *LaravelApp) event(w http.ResponseWriter, r *http.Request, in map[string]any) {
	channel, _ := in["channel"].(string)
	event, _ := in["event"].(string)
	if channel == "" || event == "" {
		http.Error(w, `{"message":"channel and event are required"}`, http.StatusUnprocessableEntity)
		return
	}
	if err := a.API.Trigger(r.Context(), TriggerParams{Channels: []string{channel}, Event: event, Data: in["data"]}); err != nil {
		http.Error(w, fmt.Sprintf(`{"message":%q}`, err.Error()), http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
