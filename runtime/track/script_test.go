package track

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/script"
)

// TestScriptTrackerDisabledUntilUsable: a script that cannot run reports Disabled (not a
// failure), and is tracked once it can run.
func TestScriptTrackerDisabledUntilUsable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "check.sh")
	tests := []struct {
		name    string
		prepare func(t *testing.T) // leaves path unusable
		fix     func(t *testing.T)
		want    string
	}{
		{"not found", func(t *testing.T) { os.Remove(path) },
			func(t *testing.T) { write(t, path, 0o755) }, "is not found: " + path + " does not exist"},
		{"not executable", func(t *testing.T) { write(t, path, 0o644) },
			func(t *testing.T) { chmod(t, path, 0o755) }, "is not executable: " + path + " (mode -rw-r--r--"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.prepare(t)
			// A generous timeout: the check must pass on a loaded machine, however short the interval.
			tr := NewScript(ScriptSpec{Name: "chk", Command: script.Command{Args: []string{path}}, Interval: 30 * time.Millisecond, Timeout: 10 * time.Second}, script.Runner{})
			r := start(t, tr)
			first := r.expect(t, false, "disabled")
			if !first.Disabled || !strings.HasPrefix(first.Detail, "disabled: ") || !strings.Contains(first.Detail, tt.want) {
				t.Fatalf("first report = %+v, want Disabled with detail containing %q", first, tt.want)
			}
			r.noneWithin(t, 150*time.Millisecond, "still unusable")
			tt.fix(t)
			up := r.expect(t, true, "usable script succeeds")
			if up.Disabled {
				t.Fatalf("report after the fix is still disabled: %+v", up)
			}
		})
	}
}

// TestScriptTrackerFailingScriptIsNotDisabled: a script that runs and fails is a failure.
func TestScriptTrackerFailingScriptIsNotDisabled(t *testing.T) {
	r := start(t, NewScript(ScriptSpec{Name: "chk", Command: script.Command{Args: []string{"false"}}, Interval: 30 * time.Millisecond}, script.Runner{}))
	if res := r.expect(t, false, "false fails"); res.Disabled {
		t.Fatalf("a failing script is reported disabled: %+v", res)
	}
}

func write(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexit 0\n"), mode); err != nil {
		t.Fatal(err)
	}
	chmod(t, path, mode)
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
