package network_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/network"
)

// testCA is a self-signed certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "chatwire test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// leaf issues a server certificate for the given IPs and DNS names, valid
// from notBefore to notAfter.
func (ca *testCA) leaf(t *testing.T, ips []net.IP, dns []string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "chatwire test server"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  ips,
		DNSNames:     dns,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsEcho is a wss:// echo server on loopback with cert; it counts the
// requests that reached the HTTP handler (after the TLS handshake).
func tlsEcho(t *testing.T, cert tls.Certificate) (url string, requests *atomic.Int32) {
	t.Helper()
	requests = new(atomic.Int32)
	echo := echoHandler(websocket.Upgrader{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		echo(w, r)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return "wss" + strings.TrimPrefix(srv.URL, "https"), requests
}

var loopbackIP = []net.IP{net.IPv4(127, 0, 0, 1)}

// wss:// with a private CA works when the CA is in TLSConfig.RootCAs.
func TestTLSCustomCA(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	ca := newTestCA(t)
	url, requests := tlsEcho(t, ca.leaf(t, loopbackIP, nil, time.Now().Add(-time.Minute), time.Now().Add(time.Hour)))

	c := network.NewGorillaClient(network.GorillaOptions{TLSConfig: &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12}})
	if err := c.Connect(ctx, url, nil); err != nil {
		t.Fatalf("Connect with the custom CA: %v", err)
	}
	roundTrip(t, ctx, c, "over a private CA")
	if err := c.Close(network.CloseNormal, ""); err != nil {
		t.Errorf("Close: %v", err)
	}
	if requests.Load() != 1 {
		t.Errorf("server saw %d requests, want 1", requests.Load())
	}
}

// A certificate the client cannot verify fails closed: Connect returns a
// *DialError wrapping the verification error, no request reaches the
// server (so no token is sent), and the client is done.
func TestTLSUntrustedCertificateFailsClosed(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	ca := newTestCA(t)
	valid := func() (time.Time, time.Time) { return time.Now().Add(-time.Minute), time.Now().Add(time.Hour) }
	nb, na := valid()
	for _, tc := range []struct {
		name string
		cert tls.Certificate
		conf func() *tls.Config
	}{
		{"unknown authority", ca.leaf(t, loopbackIP, nil, nb, na), func() *tls.Config { return nil }},
		{"other CA", ca.leaf(t, loopbackIP, nil, nb, na), func() *tls.Config { return &tls.Config{RootCAs: newTestCA(t).pool} }},
		{"wrong host", ca.leaf(t, nil, []string{"chat.example.com"}, nb, na), func() *tls.Config { return &tls.Config{RootCAs: ca.pool} }},
		{"expired", ca.leaf(t, loopbackIP, nil, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour)), func() *tls.Config { return &tls.Config{RootCAs: ca.pool} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, requests := tlsEcho(t, tc.cert)
			c := network.NewGorillaClient(network.GorillaOptions{TLSConfig: tc.conf()})
			const secret = "cwt_tls_secret_token"
			err := c.Connect(ctx, url+"/chat", http.Header{"Authorization": {"Bearer " + secret}})
			var de *network.DialError
			if !errors.As(err, &de) || de.StatusCode != 0 {
				t.Fatalf("Connect = %v, want a *DialError without HTTP status", err)
			}
			var verr *tls.CertificateVerificationError
			if !errors.As(err, &verr) {
				t.Errorf("Connect = %v, want a wrapped *tls.CertificateVerificationError", err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("dial error leaks the token: %v", err)
			}
			select {
			case <-c.Done():
			case <-ctx.Done():
				t.Fatal("client not done after a failed handshake")
			}
			if err := c.Send(ctx, []byte("x")); err == nil {
				t.Error("Send after a failed TLS handshake succeeded")
			}
			if n := requests.Load(); n != 0 {
				t.Errorf("%d requests reached the server through an unverified connection", n)
			}
		})
	}
}

// The ConnectionManager over wss:// with a private CA connects, and with an
// untrusted certificate it never reports connected.
func TestTLSConnectionManager(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	ca := newTestCA(t)
	url, _ := tlsEcho(t, ca.leaf(t, loopbackIP, nil, time.Now().Add(-time.Minute), time.Now().Add(time.Hour)))
	manager := func(conf *tls.Config) *network.ConnectionManager {
		m := network.NewConnectionManager(network.ManagerOptions{
			NewClient: func() network.WebSocketClient {
				return network.NewGorillaClient(network.GorillaOptions{TLSConfig: conf})
			},
			Endpoint: func(context.Context) (string, http.Header, error) {
				return url, http.Header{"Authorization": {"Bearer t"}}, nil
			},
			ReconnectDelay: 10 * time.Millisecond,
			MaxAttempts:    2,
		})
		t.Cleanup(func() { _ = m.Close() })
		return m
	}

	trusted := manager(&tls.Config{RootCAs: ca.pool})
	if err := trusted.Connect(ctx); err != nil {
		t.Fatalf("Connect with the custom CA: %v", err)
	}
	if st := trusted.State(); st.State != network.StateConnected {
		t.Errorf("state = %v, want connected", st.State)
	}

	untrusted := manager(nil)
	err := untrusted.Connect(ctx)
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) {
		t.Errorf("Connect to an untrusted server = %v, want a certificate verification error", err)
	}
	if st := untrusted.State(); st.State != network.StateFailed {
		t.Errorf("state = %v, want failed", st.State)
	}
}
