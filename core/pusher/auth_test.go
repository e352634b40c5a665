package pusher

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// The examples of the Pusher authentication signature documentation.
func TestSignChannel(t *testing.T) {
	const key, secret = "278d425bdf160c739803", "7ad3773142a6692b25b8"
	got := SignChannel(key, secret, "1234.1234", "private-foobar", "")
	if want := key + ":58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"; got != want {
		t.Errorf("private: %s, want %s", got, want)
	}
	// Presence signs socket_id:channel:channel_data (Soketi accepts it in
	// the integration tests).
	const data = `{"user_id":10,"user_info":{"name":"Mr. Channels"}}`
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("1234.1234:presence-foobar:" + data))
	got = SignChannel(key, secret, "1234.1234", "presence-foobar", data)
	if want := key + ":" + hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("presence: %s, want %s", got, want)
	}
}

func TestAuthRedacted(t *testing.T) {
	a := Auth{Auth: "key:supersecretsignature", ChannelData: "{}"}
	for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%v", a), fmt.Sprintf("%+v", a), fmt.Sprintf("%#v", a)} {
		if strings.Contains(s, "supersecret") {
			t.Errorf("Auth printed its signature: %s", s)
		}
	}
}
