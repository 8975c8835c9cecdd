package render

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteDir writes res into dir: keepalived.conf, and docker-compose.yml when
// the result has one. Each file is written to a temporary file in dir and
// renamed over its target only after every temporary file is complete, so a
// reader sees either the old files or the new ones, never a partial file.
// dir must exist.
func WriteDir(dir string, res *Result) error {
	files := []struct {
		name string
		data []byte
	}{{ConfigFile, res.KeepalivedConf}}
	if res.Compose != nil {
		files = append(files, struct {
			name string
			data []byte
		}{ComposeFile, res.Compose})
	}
	temps := make([]string, 0, len(files))
	cleanup := func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	for _, f := range files {
		tmp, err := writeTemp(dir, f.name, f.data)
		if err != nil {
			cleanup()
			return err
		}
		temps = append(temps, tmp)
	}
	var errs []error
	for i, f := range files {
		if err := os.Rename(temps[i], filepath.Join(dir, f.name)); err != nil {
			errs = append(errs, fmt.Errorf("writing %s: %w", filepath.Join(dir, f.name), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		cleanup()
		return err
	}
	return nil
}

// writeTemp writes data to a new temporary file next to name in dir, synced
// and with mode 0644, and returns its path.
func writeTemp(dir, name string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(0o644)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("writing %s: %w", filepath.Join(dir, name), werr)
	}
	return f.Name(), nil
}
