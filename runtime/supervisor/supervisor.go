// Package supervisor keeps a havip engine running on the config its inputs
// describe, and applies every new version of it without disturbing what did
// not change.
//
// The inputs are a Source: a keepalived.conf with the files it includes
// (File) or a catalog template with answers (Template). Run renders and
// validates them, starts the engine, writes the rendered keepalived.conf to
// the output directory for operators, then watches the inputs: every file
// read and every include pattern (a new file in conf.d/ that the pattern
// matches is a change). It watches each input's directory, not the file,
// so that atomic renames and the kubelet's ConfigMap update (a new
// ..TIMESTAMP directory, then the ..data symlink swapped by a rename) are
// seen: an event on the file's name, on ..data, or a change of what the
// file's path resolves to, triggers a reload after the events have been
// quiet for the debounce interval. A reload renders, parses and validates
// anew and hands the config to the engine's Apply; a render or validation
// error is logged with its file:line or variable and the running config
// keeps running; a render identical to the running one (same content hash)
// changes nothing. Reload forces a reload at once (SIGHUP). With NoWatch
// nothing is watched and only Reload reloads.
package supervisor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/havip/havip/config"
	"github.com/havip/havip/internal/atomicfile"
	"github.com/havip/havip/render"
)

// DefaultDebounce is how long the inputs must be quiet before a reload: a
// ConfigMap update or an editor's save is a burst of events.
const DefaultDebounce = 300 * time.Millisecond

// rewatchInterval is how often a watched directory that disappeared is
// looked for again.
const rewatchInterval = time.Second

// dataLink is the symlink the kubelet swaps to update a mounted ConfigMap.
const dataLink = "..data"

// Engine runs configs: *engine.Engine, or a test double.
type Engine interface {
	Run(ctx context.Context) error
	Apply(cfg *config.Config) error
}

// Options configure a Supervisor.
type Options struct {
	Source Source
	// NewEngine prepares the engine for the first config (engine.New).
	NewEngine func(cfg *config.Config, log *slog.Logger) (Engine, error)
	// OutputDir receives the running keepalived.conf, written atomically;
	// empty writes nothing.
	OutputDir string
	// Debounce is the quiet time before a reload; 0 means DefaultDebounce.
	Debounce time.Duration
	// NoWatch turns file watching off: only Reload reloads (havip run).
	NoWatch bool
	Hooks   Hooks
	Log     *slog.Logger
}

// Hooks tell the caller what the supervisor does; each may be nil. They run
// on Run's goroutine, which they hold up.
type Hooks struct {
	// Running: the engine was started on the first config.
	Running func(cfg *config.Config)
	// Reloading: a reload starts; Reloaded follows it.
	Reloading func()
	// Reloaded: the reload ended with cfg running, or with err and the
	// previous config still running.
	Reloaded func(cfg *config.Config, err error)
}

// Supervisor runs an engine on a Source's config and reloads it.
type Supervisor struct {
	opts   Options
	log    *slog.Logger
	reload chan struct{}

	// Owned by Run.
	engine   Engine
	running  [sha256.Size]byte // content hash of the running config
	watched  map[string]bool   // watched directories: true once the watch is in place
	targets  map[string]string // input file -> what it resolved to at the last check
	patterns []string          // include patterns: a file that matches one is an input

	stats stats // reload counters (stats.go)
}

// New returns a supervisor; Run starts it.
func New(opts Options) *Supervisor {
	if opts.Debounce == 0 {
		opts.Debounce = DefaultDebounce
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	return &Supervisor{opts: opts, log: log, reload: make(chan struct{}, 1)}
}

// Reload asks Run for a reload now, even of an identical config. It never
// blocks; requests made while one is pending are merged.
func (s *Supervisor) Reload() {
	select {
	case s.reload <- struct{}{}:
	default:
	}
}

// Run renders the config, starts the engine on it and reloads on every
// change of the inputs until ctx is done; then it stops the engine, which
// releases the instances, and returns. A first config that cannot be
// rendered or run is an error and nothing is started.
func (s *Supervisor) Run(ctx context.Context) error {
	src := s.opts.Source
	first, err := src.Render()
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	s.logWarnings(first)
	s.watched, s.targets = map[string]bool{}, map[string]string{}
	var w *fsnotify.Watcher // nil with NoWatch
	var events chan fsnotify.Event
	var watchErrors chan error
	var rewatchTick <-chan time.Time
	if !s.opts.NoWatch {
		if w, err = fsnotify.NewWatcher(); err != nil {
			return fmt.Errorf("watching %s: %w", src, err)
		}
		defer w.Close()
		events, watchErrors = w.Events, w.Errors
		rewatch := time.NewTicker(rewatchInterval)
		defer rewatch.Stop()
		rewatchTick = rewatch.C
		s.track(w, first.Inputs, false)
	}

	if s.engine, err = s.opts.NewEngine(first.Config, s.log); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	s.running = sha256.Sum256(first.Text)
	s.applied(s.running, false)
	s.write(first)
	engineCtx, stopEngine := context.WithCancel(context.Background())
	defer stopEngine()
	engineDone := make(chan error, 1)
	go func() { engineDone <- s.engine.Run(engineCtx) }()
	s.log.Info("supervising", "source", src.String(), "sha256", short(s.running), "output", s.opts.OutputDir, "watch", !s.opts.NoWatch)
	if h := s.opts.Hooks.Running; h != nil {
		h(first.Config)
	}

	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	for {
		select {
		case <-ctx.Done():
			stopEngine()
			return <-engineDone
		case err := <-engineDone:
			if err == nil {
				err = errors.New("the engine stopped")
			}
			return err
		case ev := <-events:
			if s.relevant(ev) {
				debounce.Reset(s.opts.Debounce)
			}
		case err := <-watchErrors:
			s.log.Warn("watching the config inputs", "err", err)
		case <-rewatchTick:
			if s.rewatch(w) {
				debounce.Reset(s.opts.Debounce)
			}
		case <-debounce.C:
			s.apply(w, false)
		case <-s.reload:
			debounce.Stop()
			s.log.Info("reload requested")
			s.apply(w, true)
		}
	}
}

// relevant reports whether ev may have changed an input, and notes a
// watched directory that went away.
func (s *Supervisor) relevant(ev fsnotify.Event) bool {
	name := filepath.Clean(ev.Name)
	if _, ok := s.watched[name]; ok && ev.Has(fsnotify.Remove|fsnotify.Rename) {
		s.watched[name] = false
		return true
	}
	if filepath.Base(name) == dataLink {
		return true // any op: some kernels report the swap as a write
	}
	changed := false
	for _, p := range s.patterns {
		if ok, _ := filepath.Match(p, name); ok {
			changed = true
		}
	}
	for f, target := range s.targets {
		if name == f && ev.Op != fsnotify.Chmod {
			changed = true
		}
		if t := resolve(f); t != target {
			s.targets[f] = t
			changed = true
		}
	}
	return changed
}

// track makes the watch set the Source's files plus inputs; with keep, it
// adds to the current set instead (after a failed render, whose inputs may
// be incomplete). Directories no longer needed lose their watch.
func (s *Supervisor) track(w *fsnotify.Watcher, inputs config.Inputs, keep bool) {
	if w == nil {
		return // NoWatch
	}
	dirs := map[string]bool{}
	targets := map[string]string{}
	var patterns []string
	if keep {
		for dir := range s.watched {
			dirs[dir] = true
		}
		targets = s.targets
		patterns = s.patterns
	}
	for _, f := range append(s.opts.Source.Files(), inputs.Files...) {
		f = filepath.Clean(f)
		dirs[filepath.Dir(f)] = true
		if _, ok := targets[f]; !ok {
			targets[f] = resolve(f)
		}
	}
	for _, p := range inputs.Patterns {
		p = filepath.Clean(p)
		if !slices.Contains(patterns, p) {
			patterns = append(patterns, p)
		}
		// A pattern whose directory is itself a pattern (/etc/k/*/x.conf) is
		// followed through the files it matched, which are in Files.
		if dir := filepath.Dir(p); !hasMeta(dir) {
			dirs[dir] = true
		}
	}
	for dir, ok := range s.watched {
		if !dirs[dir] {
			if ok {
				_ = w.Remove(dir) // fails only when the directory went away, which removed the watch
			}
			delete(s.watched, dir)
		}
	}
	for dir := range dirs {
		if _, ok := s.watched[dir]; !ok {
			s.watched[dir] = false
		}
	}
	s.targets, s.patterns = targets, patterns
	s.rewatch(w)
}

// hasMeta reports whether path has a character filepath.Match treats specially.
func hasMeta(path string) bool { return strings.ContainsAny(path, `*?[\`) }

// rewatch adds the watches that are not in place (a directory missing at
// start, or removed and recreated since); it reports whether it added one.
func (s *Supervisor) rewatch(w *fsnotify.Watcher) bool {
	added := false
	for dir, ok := range s.watched {
		if ok {
			continue
		}
		if err := w.Add(dir); err != nil {
			continue
		}
		s.watched[dir] = true
		added = true
	}
	return added
}

// apply renders the inputs and applies the result unless it is the running
// config (forced: even then). Failures leave the running config running. A
// forced reload, and one that changes the config, run between the Reloading
// and Reloaded hooks.
func (s *Supervisor) apply(w *fsnotify.Watcher, forced bool) {
	hooked := false
	reloading := func() {
		if h := s.opts.Hooks.Reloading; h != nil && !hooked {
			h()
		}
		hooked = true
	}
	reloaded := func(cfg *config.Config, err error) {
		if h := s.opts.Hooks.Reloaded; h != nil && hooked {
			h(cfg, err)
		}
	}
	if forced {
		reloading()
	}
	src := s.opts.Source
	r, err := src.Render()
	if err != nil {
		if r != nil {
			s.track(w, r.Inputs, true)
		}
		s.log.Error("new config rejected; the running config keeps running", "source", src.String(), "err", err)
		s.reloadFailed(err)
		reloaded(nil, err)
		return
	}
	s.track(w, r.Inputs, false)
	sum := sha256.Sum256(r.Text)
	if sum == s.running && !forced {
		s.log.Debug("config unchanged", "source", src.String(), "sha256", short(sum))
		return
	}
	reloading()
	s.logWarnings(r)
	if err := s.engine.Apply(r.Config); err != nil {
		s.log.Error("new config rejected; the running config keeps running", "source", src.String(), "err", err)
		s.reloadFailed(err)
		reloaded(nil, err)
		return
	}
	s.running = sum
	s.applied(sum, true)
	s.write(r)
	s.log.Info("config reloaded", "source", src.String(), "sha256", short(sum))
	reloaded(r.Config, nil)
}

// write puts the running keepalived.conf into the output directory.
func (s *Supervisor) write(r *Rendered) {
	if dir := s.opts.OutputDir; dir != "" {
		if err := writeAtomic(dir, render.ConfigFile, r.Text); err != nil {
			s.log.Error("writing the running config for operators failed", "err", err)
		}
	}
}

// writeAtomic replaces dir/name with data (atomicfile), creating dir.
func writeAtomic(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	return atomicfile.Write(dir, name, 0o644, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

func (s *Supervisor) logWarnings(r *Rendered) {
	for _, w := range r.Warnings {
		s.log.Warn(w, "source", s.opts.Source.String())
	}
}

// resolve returns what path resolves to through symlinks, "" if it does not.
func resolve(path string) string {
	t, err := filepath.EvalSymlinks(path)
	if err != nil {
		return ""
	}
	return t
}

// short abbreviates a content hash for logs.
func short(sum [sha256.Size]byte) string { return hex.EncodeToString(sum[:6]) }
