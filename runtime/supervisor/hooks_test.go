package supervisor

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/internal/testlog"
)

// hookLog records the hooks called, in order.
type hookLog struct {
	mu     sync.Mutex
	events []string
}

func (l *hookLog) add(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *hookLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.events...)
}

// waitEvents waits until the hooks called are want.
func (l *hookLog) waitEvents(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for fmt.Sprint(l.get()) != fmt.Sprint(want) {
		if time.Now().After(deadline) {
			t.Fatalf("hooks %q, want %q", l.get(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startHooked runs a supervisor on the file path with hooks recorded.
func startHooked(t *testing.T, path string, noWatch bool) (*Supervisor, *hookLog, *fakeEngine) {
	t.Helper()
	events := &hookLog{}
	eng := &fakeEngine{applied: make(chan *config.Config, 16)}
	prio := func(cfg *config.Config) string { return fmt.Sprint(cfg.Instances[0].Priority) }
	sup := New(Options{
		Source:    File{Path: path},
		NewEngine: func(*config.Config, *slog.Logger) (Engine, error) { return eng, nil },
		Debounce:  testDebounce,
		NoWatch:   noWatch,
		Hooks: Hooks{
			Running:   func(cfg *config.Config) { events.add("running " + prio(cfg)) },
			Reloading: func() { events.add("reloading") },
			Reloaded: func(cfg *config.Config, err error) {
				if err != nil {
					events.add("rejected")
					return
				}
				events.add("reloaded " + prio(cfg))
			},
		},
		Log: slog.New(slog.NewTextHandler(&testlog.Buffer{}, nil)),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	events.waitEvents(t, "running 100")
	return sup, events, eng
}

func TestHooksAroundReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf(100)), 0o644); err != nil {
		t.Fatal(err)
	}
	sup, events, _ := startHooked(t, path, true)

	sup.Reload() // unchanged, but forced: a reload all the same
	events.waitEvents(t, "running 100", "reloading", "reloaded 100")
	if err := os.WriteFile(path, []byte(conf(120)), 0o644); err != nil {
		t.Fatal(err)
	}
	sup.Reload()
	events.waitEvents(t, "running 100", "reloading", "reloaded 100", "reloading", "reloaded 120")
	if err := os.WriteFile(path, []byte("vrrp_instance VI_1 {\n  virtual_router_id 300\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sup.Reload()
	events.waitEvents(t, "running 100", "reloading", "reloaded 100", "reloading", "reloaded 120", "reloading", "rejected")
}

func TestNoWatchIgnoresEdits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf(100)), 0o644); err != nil {
		t.Fatal(err)
	}
	sup, events, eng := startHooked(t, path, true)
	if err := os.WriteFile(path, []byte(conf(120)), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case cfg := <-eng.applied:
		t.Fatalf("an edit was applied without Reload (priority %d)", cfg.Instances[0].Priority)
	case <-time.After(10 * testDebounce):
	}
	sup.Reload()
	events.waitEvents(t, "running 100", "reloading", "reloaded 120")
}

func TestWatchedEditRunsTheHooks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf(100)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, events, _ := startHooked(t, path, false)
	if err := os.WriteFile(path, []byte(conf(120)), 0o644); err != nil {
		t.Fatal(err)
	}
	events.waitEvents(t, "running 100", "reloading", "reloaded 120")
}
