// Package atomicfile replaces files through a temporary file renamed over
// them, so that a reader sees the old content or the new, never a part of
// it. It does not fsync: the files it writes (state dumps, the running
// config for operators) are for readers on this host, and a slow disk must
// not hold up a daemon's loop.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write replaces dir/name, with permissions perm, by what write writes. On
// any error the old file is left as it was and no temporary file remains.
func Write(dir, name string, perm os.FileMode, write func(f *os.File) error) error {
	path := filepath.Join(dir, name)
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	err = write(f)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
