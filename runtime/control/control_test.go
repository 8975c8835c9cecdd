package control

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeAndQuery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", "havip.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	calls := 0
	go func() {
		defer close(served)
		Serve(ctx, ln, func() (any, error) {
			calls++
			if calls == 2 {
				return nil, errors.New("the engine has stopped")
			}
			return []map[string]string{{"name": "VI_1", "state": "MASTER"}}, nil
		}, slog.Default())
	}()

	b, err := Query(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]string
	if err := json.Unmarshal(b, &got); err != nil || len(got) != 1 || got[0]["state"] != "MASTER" {
		t.Fatalf("answer %q (%v), want one MASTER instance", b, err)
	}
	if _, err := Query(path, time.Second); err == nil || !strings.Contains(err.Error(), "the engine has stopped") {
		t.Fatalf("second query err = %v, want the report's error", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o660 {
		t.Fatalf("socket mode %v (%v), want 0660", fi.Mode().Perm(), err)
	}

	// A second server on the same path while the first answers is refused.
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "another running havip") {
		t.Fatalf("second Listen err = %v, want a refusal", err)
	}
	cancel()
	<-served
	if _, err := Query(path, time.Second); err == nil || !strings.Contains(err.Error(), "is it running") {
		t.Fatalf("query after stop err = %v, want 'is it running'", err)
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "havip.sock")
	// A socket file nobody serves, as a crashed havip leaves it.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}
	fresh, err := Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	fresh.Close()
}
