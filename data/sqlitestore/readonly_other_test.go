//go:build !linux

package sqlitestore_test

import (
	"os"
	"testing"
)

// makeReadOnly makes path unwritable for this process by its mode.
func makeReadOnly(t *testing.T, path string) {
	t.Helper()
	if os.Getuid() == 0 {
		t.Skip("root writes whatever the mode")
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
}
