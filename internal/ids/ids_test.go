package ids_test

import (
	"regexp"
	"testing"

	"github.com/chatwire/chatwire/internal/ids"
)

var v4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewIsAVersion4UUIDAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := ids.New()
		if !v4.MatchString(id) {
			t.Fatalf("%q is not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("%q came twice", id)
		}
		seen[id] = true
	}
}
