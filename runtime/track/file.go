package track

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// fileRetry is how often the tracker retries watching a directory that does not exist yet.
const fileRetry = time.Second

// FileSpec is a track_file (vrrp_track_file) block.
type FileSpec struct {
	Name string
	Path string
	// InitValue, when non-nil, is written to Path at start if the file does not exist
	// (`init_file [VALUE]`, VALUE defaults to 0); with InitOverwrite it is written even if it does.
	InitValue     *int64
	InitOverwrite bool
}

type fileTracker struct {
	spec FileSpec
	log  *slog.Logger
}

// NewFile returns a tracker for a track_file. Result.Value is the integer in the file; a missing,
// empty or unparsable file counts as 0 (the latter with a warning), as in keepalived.
func NewFile(spec FileSpec, log *slog.Logger) Tracker {
	return &fileTracker{spec: spec, log: loggerOr(log)}
}

func (f *fileTracker) Key() Key { return Key{KindFile, f.spec.Name} }

// InitFile applies init_file: it writes the initial value when configured and needed.
func (s FileSpec) InitFile() error {
	if s.InitValue == nil {
		return nil
	}
	if !s.InitOverwrite {
		if _, err := os.Stat(s.Path); err == nil {
			return nil
		}
	}
	if err := os.WriteFile(s.Path, []byte(strconv.FormatInt(*s.InitValue, 10)+"\n"), 0o644); err != nil {
		return fmt.Errorf("track_file %q: init_file: %w", s.Name, err)
	}
	return nil
}

// ParseFileValue parses a track_file's content: the first whitespace-separated word as a
// decimal integer. Empty content is 0; anything else unparsable is 0 with an error.
func ParseFileValue(content string) (int64, error) {
	fields := strings.Fields(content)
	if len(fields) == 0 {
		return 0, nil
	}
	v, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("value %q is not a decimal integer; using 0", fields[0])
	}
	return v, nil
}

func (f *fileTracker) read() Result {
	res := Result{Key: f.Key(), Up: true}
	data, err := os.ReadFile(f.spec.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res.Detail = f.spec.Path + " does not exist; value 0"
		return res
	case err != nil:
		res.Detail = fmt.Sprintf("read %s: %v; value 0", f.spec.Path, err)
		f.log.Warn("track_file unreadable", "tracker", f.Key().String(), "error", err)
		return res
	}
	v, err := ParseFileValue(string(data))
	if err != nil {
		f.log.Warn("track_file has an invalid value", "tracker", f.Key().String(), "path", f.spec.Path, "error", err)
		res.Detail = err.Error()
	} else {
		res.Detail = fmt.Sprintf("%s contains %d", f.spec.Path, v)
	}
	res.Value, res.Up = v, v == 0
	return res
}

func (f *fileTracker) Run(ctx context.Context, report func(Result)) {
	if err := f.spec.InitFile(); err != nil {
		f.log.Warn("track_file init_file failed", "tracker", f.Key().String(), "error", err)
	}
	path := filepath.Clean(f.spec.Path)
	dir := filepath.Dir(path)
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		f.log.Error("track_file cannot create an inotify watcher; value stays 0", "tracker", f.Key().String(), "error", err)
		report(Result{Key: f.Key(), Up: true, Detail: "inotify unavailable: " + err.Error()})
		<-ctx.Done()
		return
	}
	defer watcher.Close()

	// While the directory cannot be watched (it may not exist yet), retry every fileRetry.
	var retryTicker *time.Ticker
	var retry <-chan time.Time
	defer func() {
		if retryTicker != nil {
			retryTicker.Stop()
		}
	}()
	addWatch := func() bool {
		err := watcher.Add(dir)
		switch {
		case err == nil && retryTicker != nil:
			retryTicker.Stop()
			retryTicker, retry = nil, nil
		case err != nil && retryTicker == nil:
			f.log.Warn("track_file directory cannot be watched; retrying", "tracker", f.Key().String(), "dir", dir, "error", err)
			retryTicker = time.NewTicker(fileRetry)
			retry = retryTicker.C
		}
		return err == nil
	}
	addWatch()

	last := f.read()
	report(last)
	update := func() {
		if cur := f.read(); cur.Value != last.Value || cur.Up != last.Up {
			last = cur
			report(cur)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-retry:
			if addWatch() {
				update()
			}
		case ev, ok := <-watcher.Events:
			if !ok {
				return
			}
			if filepath.Clean(ev.Name) == path {
				update()
			}
		case err, ok := <-watcher.Errors:
			if !ok {
				return
			}
			// An overflow may hide events: re-read to be sure.
			f.log.Warn("track_file watcher error", "tracker", f.Key().String(), "error", err)
			update()
		}
	}
}
