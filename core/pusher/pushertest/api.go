package pushertest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chatwire/chatwire/core/pusher"
)

// API is a client of a Pusher-protocol server's HTTP events API: it plays
// the application backend that triggers events. It is safe for concurrent
// use; the zero HTTPClient means http.DefaultClient.
type API struct {
	BaseURL            string // "http://127.0.0.1:6001"
	AppID, Key, Secret string
	// EncryptionMasterKey (base64 of 32 bytes) encrypts the data of events
	// on private-encrypted- channels, as Pusher's server libraries do; ""
	// refuses to trigger on them.
	EncryptionMasterKey string
	HTTPClient          *http.Client
	// Now returns the auth_timestamp's time; nil means time.Now.
	Now func() time.Time
}

// TriggerParams is one event to trigger.
type TriggerParams struct {
	Channels []string
	Event    string
	// Data is sent as the event's data string: a string or []byte as is,
	// json.RawMessage as its text, anything else JSON-encoded.
	Data any
	// SocketID, if set, excludes that connection from the recipients.
	SocketID string
}

// Trigger posts one event to POST /apps/{app_id}/events, signed with the
// app secret. An event on a private-encrypted- channel (the only channel
// of that trigger) is encrypted with the channel's shared secret.
func (a *API) Trigger(ctx context.Context, p TriggerParams) error {
	data, err := dataString(p.Data)
	if err != nil {
		return err
	}
	if data, err = a.encrypt(p.Channels, data); err != nil {
		return fmt.Errorf("pushertest: trigger %s: %w", p.Event, err)
	}
	body, err := json.Marshal(struct {
		Name     string   `json:"name"`
		Channels []string `json:"channels"`
		Data     string   `json:"data"`
		SocketID string   `json:"socket_id,omitempty"`
	}{p.Event, p.Channels, data, p.SocketID})
	if err != nil {
		return err
	}
	path := "/apps/" + a.AppID + "/events"
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	q := SignRequest(a.Key, a.Secret, http.MethodPost, path, body, url.Values{}, now())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.BaseURL+path+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	client := a.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("pushertest: trigger %s: %w", p.Event, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pushertest: trigger %s: HTTP %d: %s", p.Event, resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	// Soketi on the uWebSockets.js fork answers some refusals with 200 and
	// the real status in the body: {"error":"...","code":401}.
	var refusal struct {
		Error string `json:"error"`
		Code  int    `json:"code"`
	}
	if json.Unmarshal(msg, &refusal) == nil && refusal.Error != "" {
		return fmt.Errorf("pushertest: trigger %s: refused with code %d: %s", p.Event, refusal.Code, refusal.Error)
	}
	return nil
}

// encrypt encrypts data for an encrypted channel, if channels holds one.
func (a *API) encrypt(channels []string, data string) (string, error) {
	encrypted := false
	for _, c := range channels {
		encrypted = encrypted || strings.HasPrefix(c, "private-encrypted-")
	}
	if !encrypted {
		return data, nil
	}
	if len(channels) != 1 {
		return "", errors.New("an encrypted event goes to one channel only")
	}
	if a.EncryptionMasterKey == "" {
		return "", errors.New("no encryption master key for an encrypted channel")
	}
	secret, err := pusher.SharedSecret(channels[0], a.EncryptionMasterKey)
	if err != nil {
		return "", err
	}
	box, err := pusher.Encrypt(secret, []byte(data))
	if err != nil {
		return "", err
	}
	return string(box), nil
}

func dataString(v any) (string, error) {
	switch d := v.(type) {
	case string:
		return d, nil
	case json.RawMessage:
		return string(d), nil
	case []byte:
		return string(d), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("pushertest: encode event data: %w", err)
	}
	return string(b), nil
}

// SignRequest returns query with the Pusher HTTP API signature added:
// auth_key, auth_timestamp, auth_version=1.0, body_md5 (for a body) and
// auth_signature = hex(HMAC-SHA256(secret, METHOD + "\n" + path + "\n" +
// sorted query)). query is not modified.
func SignRequest(key, secret, method, path string, body []byte, query url.Values, now time.Time) url.Values {
	q := url.Values{}
	for k, v := range query {
		q[k] = append([]string(nil), v...)
	}
	q.Set("auth_key", key)
	q.Set("auth_timestamp", strconv.FormatInt(now.Unix(), 10))
	q.Set("auth_version", "1.0")
	if len(body) > 0 {
		sum := md5.Sum(body)
		q.Set("body_md5", hex.EncodeToString(sum[:]))
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+q.Get(k))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(method + "\n" + path + "\n" + strings.Join(parts, "&")))
	q.Set("auth_signature", hex.EncodeToString(mac.Sum(nil)))
	return q
}
