package chattest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
)

// IssueToken makes a new access token for userID and returns it. Tokens
// stay valid until ExpireTokens.
func (s *Server) IssueToken(userID string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := "cwt_" + hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = userID
	s.mu.Unlock()
	return tok
}

// ExpireTokens revokes the tokens IssueToken made for the given users, or
// every issued token when called with none. Open connections stay open;
// the next upgrade with a revoked token gets HTTP 401. Options.Authenticate
// is not affected.
func (s *Server) ExpireTokens(userIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(userIDs) == 0 {
		clear(s.tokens)
		return
	}
	drop := make(map[string]bool, len(userIDs))
	for _, id := range userIDs {
		drop[id] = true
	}
	for tok, id := range s.tokens {
		if drop[id] {
			delete(s.tokens, tok)
		}
	}
}

// tokenFrom returns the request's token: the Authorization header when
// present (it wins even when malformed, which yields ""), else ?token=.
func tokenFrom(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return ""
		}
		return strings.TrimSpace(tok)
	}
	return r.URL.Query().Get("token")
}

func (s *Server) authenticate(token string) (string, bool) {
	if token == "" {
		return "", false
	}
	s.mu.Lock()
	id, ok := s.tokens[token]
	s.mu.Unlock()
	if ok {
		return id, true
	}
	if s.opts.Authenticate != nil {
		id, ok := s.opts.Authenticate(token)
		if ok && id != "" {
			return id, true
		}
	}
	return "", false
}

func (s *Server) originAllowed(origin string) bool {
	if origin == "" || len(s.opts.AllowedOrigins) == 0 {
		return true
	}
	for _, o := range s.opts.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}
