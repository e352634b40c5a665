package pushertest

import (
	"net/url"
	"testing"
	"time"
)

// The worked example of the Pusher HTTP API reference.
func TestSignRequest(t *testing.T) {
	body := []byte(`{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}`)
	q := SignRequest("278d425bdf160c739803", "7ad3773142a6692b25b8", "POST", "/apps/3/events", body, url.Values{}, time.Unix(1353088179, 0))
	if got := q.Get("body_md5"); got != "ec365a775a4cd0599faeb73354201b6f" {
		t.Errorf("body_md5 = %s", got)
	}
	if got := q.Get("auth_signature"); got != "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c" {
		t.Errorf("auth_signature = %s", got)
	}
	if q.Get("auth_version") != "1.0" || q.Get("auth_key") != "278d425bdf160c739803" || q.Get("auth_timestamp") != "1353088179" {
		t.Errorf("query = %v", q)
	}
}
