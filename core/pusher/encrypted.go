package pusher

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/secretbox"
)

// End-to-end encrypted channels (private-encrypted-): the backend's auth
// endpoint returns, beside the signature, the channel's shared secret
// (base64 of 32 bytes); the backend encrypts each event's data with NaCl
// secretbox and sends {"nonce": base64, "ciphertext": base64}. The server
// never sees the plain data. Client events are not allowed on them.

// ErrDecrypt: an event on an encrypted channel could not be decrypted (a
// wrong or rotated shared secret, or data not in the encrypted form).
var ErrDecrypt = errors.New("pusher: event could not be decrypted")

// encryptedData is the data of an event on an encrypted channel.
type encryptedData struct {
	Nonce      string `json:"nonce"`
	Ciphertext string `json:"ciphertext"`
}

// decodeSharedSecret reads an authorization's shared_secret.
func decodeSharedSecret(s string) (*[32]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, errors.New("shared_secret is not base64 of 32 bytes")
	}
	var key [32]byte
	copy(key[:], b)
	return &key, nil
}

// decrypt opens an encrypted event's data (as sent: a JSON string holding
// the object, or the object).
func decrypt(key *[32]byte, data json.RawMessage) (json.RawMessage, error) {
	var d encryptedData
	if err := json.Unmarshal(unwrapData(data), &d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	nonce, err := base64.StdEncoding.DecodeString(d.Nonce)
	if err != nil || len(nonce) != 24 {
		return nil, fmt.Errorf("%w: bad nonce", ErrDecrypt)
	}
	box, err := base64.StdEncoding.DecodeString(d.Ciphertext)
	if err != nil {
		return nil, fmt.Errorf("%w: bad ciphertext", ErrDecrypt)
	}
	var n [24]byte
	copy(n[:], nonce)
	plain, ok := secretbox.Open(nil, box, &n, key)
	if !ok {
		return nil, fmt.Errorf("%w: authentication failed", ErrDecrypt)
	}
	return plain, nil
}

// SharedSecret returns the shared secret (base64) of an encrypted channel
// for a backend that holds the app's encryption master key (base64 of 32
// bytes): base64(SHA-256(channel + master key)), as Pusher's server
// libraries derive it. Backends and tests use it; clients never hold the
// master key.
func SharedSecret(channel, masterKeyBase64 string) (string, error) {
	master, err := base64.StdEncoding.DecodeString(masterKeyBase64)
	if err != nil || len(master) != 32 {
		return "", errors.New("pusher: encryption master key is not base64 of 32 bytes")
	}
	sum := sha256.Sum256(append([]byte(channel), master...))
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// Encrypt returns the data a backend sends on an encrypted channel for
// plain (JSON), with the channel's shared secret (base64):
// {"nonce":..., "ciphertext":...}.
func Encrypt(sharedSecret string, plain []byte) (json.RawMessage, error) {
	key, err := decodeSharedSecret(sharedSecret)
	if err != nil {
		return nil, fmt.Errorf("pusher: %w", err)
	}
	var nonce [24]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	box := secretbox.Seal(nil, plain, &nonce, key)
	return json.Marshal(encryptedData{
		Nonce:      base64.StdEncoding.EncodeToString(nonce[:]),
		Ciphertext: base64.StdEncoding.EncodeToString(box),
	})
}
