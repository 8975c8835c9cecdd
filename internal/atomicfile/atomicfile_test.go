package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	for _, perm := range []os.FileMode{0o600, 0o644} {
		dir := t.TempDir()
		text := func(s string) func(*os.File) error {
			return func(f *os.File) error { _, err := f.WriteString(s); return err }
		}
		if err := Write(dir, "f", perm, text("old\n")); err != nil {
			t.Fatal(err)
		}
		failed := Write(dir, "f", perm, func(f *os.File) error {
			f.WriteString("partial")
			return errors.New("disk full")
		})
		if failed == nil {
			t.Fatal("a failed write reported success")
		}
		b, err := os.ReadFile(filepath.Join(dir, "f"))
		if err != nil || string(b) != "old\n" {
			t.Fatalf("after a failed write: %q, %v; want the old file", b, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("temporary files left: %v", entries)
		}
		if info, _ := os.Stat(filepath.Join(dir, "f")); info.Mode().Perm() != perm {
			t.Errorf("mode %v, want %v", info.Mode().Perm(), perm)
		}
		if err := Write(filepath.Join(dir, "missing"), "f", perm, text("x")); err == nil {
			t.Error("writing into a missing directory succeeded")
		}
	}
}
