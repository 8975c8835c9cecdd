package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/config"
)

// TestRunGlobalScript: a startup or shutdown script runs without arguments
// until it ends, a failure and a timeout are logged, and a script that
// outlives its timeout is killed.
func TestRunGlobalScript(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	tests := []struct {
		name    string
		body    string
		timeout time.Duration
		log     string // in the log
		wrote   string // the script's file afterwards
	}{
		{"succeeds", "echo \"ran $#\" > " + out, 10 * time.Second, "startup script succeeded", "ran 0\n"},
		{"fails", "echo failing > " + out + "; exit 3", 10 * time.Second, "startup script failed", "failing\n"},
		{"killed at its timeout", "echo started > " + out + "; sleep 30; echo late >> " + out, 200 * time.Millisecond, "startup script timed out and was killed", "started\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(out)
			path := filepath.Join(dir, "script.sh")
			if err := os.WriteFile(path, []byte("#!/bin/sh\n"+tt.body+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			var logBuf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logBuf, nil))
			start := time.Now()
			runGlobalScript(log, "startup", &config.GlobalDefs{}, &config.Command{Text: path, Args: []string{path}}, tt.timeout)
			if took := time.Since(start); took > tt.timeout+5*time.Second {
				t.Fatalf("returned after %v, timeout %v", took, tt.timeout)
			}
			if !strings.Contains(logBuf.String(), tt.log) {
				t.Fatalf("log has no %q:\n%s", tt.log, logBuf.String())
			}
			got, _ := os.ReadFile(out)
			if string(got) != tt.wrote {
				t.Fatalf("the script wrote %q, want %q", got, tt.wrote)
			}
		})
	}
	var logBuf bytes.Buffer
	runGlobalScript(slog.New(slog.NewTextHandler(&logBuf, nil)), "shutdown", &config.GlobalDefs{}, nil, time.Second)
	if logBuf.Len() != 0 {
		t.Fatalf("no script configured, yet logged:\n%s", logBuf.String())
	}
}
