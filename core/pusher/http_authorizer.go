package pusher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/chatwire/chatwire/core/clock"
)

// HTTPAuthorizerOptions configure an HTTPAuthorizer. They are copied by
// NewHTTPAuthorizer; zero values take the documented defaults.
type HTTPAuthorizerOptions struct {
	// Endpoint is the auth URL, for Laravel "https://app.example/broadcasting/auth".
	// Required for Authorize.
	Endpoint string
	// UserEndpoint is the user authentication URL, for Laravel
	// "https://app.example/broadcasting/user-auth". Required for
	// AuthenticateUser.
	UserEndpoint string
	// Tokens supplies the bearer token and refreshes it once when the
	// endpoint answers 401, 403 or 419; nil sends no Authorization header.
	Tokens *Tokens
	// Header holds extra request headers (cookies, CSRF token...).
	Header http.Header
	// HTTPClient sends the requests; nil means a client without its own
	// timeout (Timeout bounds each request).
	HTTPClient *http.Client
	// Timeout bounds each request; zero means 10s.
	Timeout time.Duration
	// Retries is how many times a 5xx answer, a timeout or a network error
	// is retried; zero means 3, negative means none.
	Retries int
	// Backoff is the wait before the first retry, doubled after each; zero
	// means 250ms.
	Backoff time.Duration
	// Clock drives the backoff waits; nil means the wall clock.
	Clock clock.Clock
	// Logger receives debug logs; nil means silent. Tokens and signatures
	// never appear.
	Logger *slog.Logger
}

// HTTPAuthorizer authorizes channels through an HTTP endpoint in the style
// of Laravel's POST /broadcasting/auth: a form with socket_id and
// channel_name, the user's bearer token, and a JSON answer
// {"auth":"...","channel_data":"..."}.
//
// On 401, 403 or 419 it asks the token source for a fresh token once and
// retries; on 5xx, a timeout or a network error it retries with backoff up
// to Options.Retries times; then it fails with an *AuthError. It is safe for
// concurrent use.
type HTTPAuthorizer struct {
	opts HTTPAuthorizerOptions
	log  *slog.Logger
}

var (
	_ Authorizer        = (*HTTPAuthorizer)(nil)
	_ UserAuthenticator = (*HTTPAuthorizer)(nil)
)

// statusSessionExpired is Laravel's 419: the session or CSRF token expired.
const statusSessionExpired = 419

// maxAuthBody bounds the auth endpoint's answer.
const maxAuthBody = 64 << 10

// NewHTTPAuthorizer returns an HTTPAuthorizer for opts.Endpoint.
func NewHTTPAuthorizer(opts HTTPAuthorizerOptions) *HTTPAuthorizer {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Retries == 0 {
		opts.Retries = 3
	} else if opts.Retries < 0 {
		opts.Retries = 0
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 250 * time.Millisecond
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	opts.Header = opts.Header.Clone()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &HTTPAuthorizer{opts: opts, log: log}
}

// Authorize asks the endpoint to sign channel for socketID.
func (a *HTTPAuthorizer) Authorize(ctx context.Context, socketID, channel string) (Auth, error) {
	if a.opts.Endpoint == "" {
		return Auth{}, errors.New("pusher: http authorizer: no endpoint")
	}
	var auth Auth
	form := url.Values{"socket_id": {socketID}, "channel_name": {channel}}
	err := a.post(ctx, a.opts.Endpoint, form, channel, func(body []byte) bool {
		return json.Unmarshal(body, &auth) == nil && auth.Auth != ""
	})
	return auth, err
}

// AuthenticateUser asks the user endpoint to sign a sign-in for socketID
// (Laravel's /broadcasting/user-auth: a form with socket_id, an answer
// {"auth":"...","user_data":"..."}).
func (a *HTTPAuthorizer) AuthenticateUser(ctx context.Context, socketID string) (UserAuth, error) {
	if a.opts.UserEndpoint == "" {
		return UserAuth{}, errors.New("pusher: http authorizer: no user endpoint")
	}
	var ua UserAuth
	form := url.Values{"socket_id": {socketID}}
	err := a.post(ctx, a.opts.UserEndpoint, form, "user", func(body []byte) bool {
		return json.Unmarshal(body, &ua) == nil && ua.Auth != "" && ua.UserData != ""
	})
	return ua, err
}

// post sends form to endpoint with the refresh and retry policy, until
// accept takes a 200 answer's body.
func (a *HTTPAuthorizer) post(ctx context.Context, endpoint string, form url.Values, what string, accept func([]byte) bool) error {
	token, err := a.token(ctx, "")
	if err != nil {
		return err
	}
	refreshed := false
	delay := a.opts.Backoff
	retries := 0
	for {
		status, err := a.do(ctx, endpoint, token, form, accept)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case (status == http.StatusUnauthorized || status == http.StatusForbidden || status == statusSessionExpired) && !refreshed && a.opts.Tokens != nil:
			a.log.Debug("pusher: auth refused, refreshing token", "for", what, "status", status)
			refreshed = true
			fresh, terr := a.token(ctx, token)
			if terr != nil {
				return terr
			}
			if fresh == token {
				return err // nothing fresher to try: the refusal stands
			}
			token = fresh
			continue
		case retryable(status, err) && retries < a.opts.Retries:
			retries++
			a.log.Debug("pusher: auth failed, retrying", "for", what, "status", status, "retry", retries, "delay", delay)
			if err := a.sleep(ctx, delay); err != nil {
				return err
			}
			delay *= 2
			continue
		}
		return err
	}
}

// retryable reports whether a failed request is worth repeating: a 5xx
// answer, or no answer at all (timeout, network error).
func retryable(status int, err error) bool {
	if status >= 500 {
		return true
	}
	var ae *AuthError
	return status == 0 && errors.As(err, &ae) && ae.StatusCode == 0 && !errors.Is(err, errBadAnswer)
}

var errBadAnswer = errors.New("invalid answer")

// token returns the bearer token to send; refused is "" on a first try.
func (a *HTTPAuthorizer) token(ctx context.Context, refused string) (string, error) {
	if a.opts.Tokens == nil {
		return "", nil
	}
	t, err := a.opts.Tokens.Get(ctx, refused)
	if err != nil {
		return "", fmt.Errorf("pusher: token source: %w", err)
	}
	return t, nil
}

// do sends one request; accept reads a 200 answer. It returns the HTTP
// status (0 when no answer arrived) and, on failure, an *AuthError.
func (a *HTTPAuthorizer) do(ctx context.Context, endpoint, token string, form url.Values, accept func([]byte) bool) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, &AuthError{Err: fmt.Errorf("%w: bad endpoint", errBadAnswer)}
	}
	for k, v := range a.opts.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.opts.HTTPClient.Do(req)
	if err != nil {
		// url.Error strings hold only the method and URL, never headers.
		return 0, &AuthError{Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAuthBody))
	if err != nil {
		return 0, &AuthError{Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, &AuthError{StatusCode: resp.StatusCode}
	}
	if !accept(body) {
		return 0, &AuthError{Err: fmt.Errorf("%w: no auth in the answer", errBadAnswer)}
	}
	return resp.StatusCode, nil
}

func (a *HTTPAuthorizer) sleep(ctx context.Context, d time.Duration) error {
	done := make(chan struct{})
	stop := a.opts.Clock.AfterFunc(d, func() { close(done) })
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		stop()
		return ctx.Err()
	}
}
