package sqlitestore_test

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// fsImmutable is FS_IMMUTABLE_FL of linux/fs.h.
const fsImmutable = 0x10

// makeReadOnly makes path unwritable for this process: by its mode, or,
// as root (who writes whatever the mode), with the immutable attribute.
func makeReadOnly(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(path, 0o400); err != nil {
			t.Fatal(err)
		}
		return
	}
	setImmutable := func(on bool) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
		if err != nil {
			return err
		}
		if on {
			flags |= fsImmutable
		} else {
			flags &^= fsImmutable
		}
		return unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags))
	}
	if err := setImmutable(true); err != nil {
		t.Skipf("running as root on a file system that cannot make a file immutable: %v", err)
	}
	t.Cleanup(func() {
		if err := setImmutable(false); err != nil {
			t.Errorf("clear the immutable attribute of %s: %v", path, err)
		}
	})
}
