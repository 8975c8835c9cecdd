package script

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"
)

// writeScript creates an executable shell script in a fresh temporary directory.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitGone polls until none of pids is a live (non-zombie) process, failing after deadline.
func waitGone(t *testing.T, pids []int, deadline time.Duration) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		var alive []int
		for _, pid := range pids {
			if processAlive(pid) {
				alive = append(alive, pid)
			}
		}
		if len(alive) == 0 {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("processes still running after %s: %v", deadline, alive)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func processAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

func readPids(t *testing.T, path string) []int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read pid file: %v", err)
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("bad pid %q in %s", f, path)
		}
		pids = append(pids, pid)
	}
	return pids
}

func TestRunExitStatus(t *testing.T) {
	tests := []struct {
		name       string
		cmd        Command
		extra      []string
		wantOK     bool
		wantCode   int
		wantSignal syscall.Signal
		wantOutput string
	}{
		{"direct success", Command{Args: []string{"/bin/true"}}, nil, true, 0, 0, ""},
		{"direct failure", Command{Args: []string{"/bin/false"}}, nil, false, 1, 0, ""},
		{"exit code kept", Command{Text: `/bin/sh -c "exit 3"`}, nil, false, 3, 0, ""},
		{"killed by signal", Command{Text: "kill -TERM $$"}, nil, false, -1, syscall.SIGTERM, ""},
		{"argv without shell", Command{Text: `/bin/echo "a  b" c`}, []string{"GROUP", "G 1"}, true, 0, 0, "a  b c GROUP G 1\n"},
		{"shell with extra args", Command{Text: "echo x | tr x y; echo"}, []string{"it's"}, true, 0, 0, "y\nit's\n"},
		{"path lookup", Command{Text: "true"}, nil, true, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runner{Timeout: 5 * time.Second}
			res := r.Run(context.Background(), tt.cmd, tt.extra...)
			if res.OK() != tt.wantOK || res.ExitCode != tt.wantCode || res.Signal != tt.wantSignal || res.Output != tt.wantOutput {
				t.Fatalf("got ok=%v code=%d signal=%v output=%q err=%v; want ok=%v code=%d signal=%v output=%q",
					res.OK(), res.ExitCode, res.Signal, res.Output, res.Err, tt.wantOK, tt.wantCode, tt.wantSignal, tt.wantOutput)
			}
		})
	}
}

func TestRunMissingExecutable(t *testing.T) {
	r := &Runner{}
	res := r.Run(context.Background(), Command{Args: []string{"/nonexistent/havip-check"}})
	if res.OK() || !strings.Contains(res.Err.Error(), "/nonexistent/havip-check") {
		t.Fatalf("want error naming the executable, got %v", res.Err)
	}
}

func TestRunTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	path := writeScript(t, fmt.Sprintf(`sleep 100 & echo $! >> %[1]s
sleep 100 & echo $! >> %[1]s
echo $$ >> %[1]s
wait`, pidFile))
	r := &Runner{Timeout: 300 * time.Millisecond, KillGrace: 2 * time.Second}
	res := r.Run(context.Background(), Command{Args: []string{path}})
	if !res.TimedOut || res.OK() {
		t.Fatalf("want timed-out failure, got timedOut=%v err=%v", res.TimedOut, res.Err)
	}
	pids := readPids(t, pidFile)
	if len(pids) != 3 {
		t.Fatalf("want 3 pids, got %v", pids)
	}
	waitGone(t, pids, 5*time.Second)
}

func TestRunTimeoutEscalatesToSIGKILL(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	// Ignored signals are inherited, so both the shell and its sleep child ignore SIGTERM.
	path := writeScript(t, fmt.Sprintf(`trap '' TERM
sleep 100 & echo $! >> %[1]s
echo $$ >> %[1]s
wait`, pidFile))
	r := &Runner{Timeout: 200 * time.Millisecond, KillGrace: 300 * time.Millisecond}
	res := r.Run(context.Background(), Command{Args: []string{path}})
	if !res.TimedOut || res.Signal != syscall.SIGKILL {
		t.Fatalf("want SIGKILL after timeout, got timedOut=%v signal=%v err=%v", res.TimedOut, res.Signal, res.Err)
	}
	waitGone(t, readPids(t, pidFile), 5*time.Second)
}

func TestRunContextCancelKillsGroup(t *testing.T) {
	// Timeout -1 (a notify_fifo_script reader) is unbounded: only the context ends it.
	for _, timeout := range []time.Duration{time.Minute, -1} {
		t.Run(fmt.Sprint("timeout ", timeout), func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pids")
			path := writeScript(t, fmt.Sprintf(`sleep 100 & echo $! >> %[1]s
wait`, pidFile))
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
					if data, err := os.ReadFile(pidFile); err == nil && len(data) > 0 {
						break
					}
				}
				cancel()
			}()
			r := &Runner{Timeout: timeout}
			res := r.Run(ctx, Command{Args: []string{path}})
			if res.OK() || !errors.Is(res.Err, context.Canceled) || res.TimedOut {
				t.Fatalf("want cancellation error, got timedOut=%v err=%v", res.TimedOut, res.Err)
			}
			waitGone(t, readPids(t, pidFile), 5*time.Second)
		})
	}
}

func TestRunOutputFloodIsBounded(t *testing.T) {
	const total = 4 << 20
	r := &Runner{MaxOutput: 1000, Timeout: 10 * time.Second}
	res := r.Run(context.Background(), Command{Text: fmt.Sprintf("head -c %d /dev/zero | tr '\\0' a", total)})
	if !res.OK() {
		t.Fatalf("flood script failed: %v", res.Err)
	}
	if len(res.Output) != 1000 || res.OutputDropped != total-1000 {
		t.Fatalf("captured %d bytes, dropped %d; want 1000 and %d", len(res.Output), res.OutputDropped, total-1000)
	}
}

func TestRunEndlessFloodTimesOut(t *testing.T) {
	r := &Runner{MaxOutput: 100, Timeout: 300 * time.Millisecond}
	res := r.Run(context.Background(), Command{Args: []string{"yes"}})
	if !res.TimedOut || len(res.Output) != 100 || res.OutputDropped == 0 {
		t.Fatalf("got timedOut=%v output=%d dropped=%d", res.TimedOut, len(res.Output), res.OutputDropped)
	}
}

func TestRunChildHoldingPipeDoesNotBlock(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	path := writeScript(t, fmt.Sprintf(`sleep 100 & echo $! > %s
echo started`, pidFile))
	t.Cleanup(func() {
		for _, pid := range readPids(t, pidFile) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	r := &Runner{Timeout: 30 * time.Second, DrainGrace: 50 * time.Millisecond}
	done := make(chan Result, 1)
	go func() { done <- r.Run(context.Background(), Command{Args: []string{path}}) }()
	select {
	case res := <-done:
		if !res.OK() || res.Output != "started\n" {
			t.Fatalf("got err=%v output=%q", res.Err, res.Output)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run blocked on a background child holding the output pipe")
	}
}

func TestRunAsUser(t *testing.T) {
	testenv.RequireRoot(t, "switching user")
	nobody, err := LookupIdentity("nobody", "")
	if err != nil {
		testenv.Missing(t, "no nobody user on this system: %v", err)
	}
	r := &Runner{As: &nobody}
	res := r.Run(context.Background(), Command{Text: "echo $(id -u):$(id -g):$(id -G)"})
	if !res.OK() {
		t.Fatalf("run as nobody: %v", res.Err)
	}
	want := fmt.Sprintf("%d:%d:%d", nobody.UID, nobody.GID, nobody.GID)
	if strings.TrimSpace(res.Output) != want {
		t.Fatalf("ran as %q, want %q (supplementary groups must be cleared)", res.Output, want)
	}
}

func TestRunSecurityRefusesUnsafeScript(t *testing.T) {
	testenv.RequireRoot(t, "script security (it applies to scripts run as root)")
	marker := filepath.Join(t.TempDir(), "ran")
	path := writeScript(t, "touch "+marker)
	if err := os.Chmod(path, 0o757); err != nil {
		t.Fatal(err)
	}
	r := &Runner{Security: true}
	res := r.Run(context.Background(), Command{Args: []string{path}})
	if res.OK() || !strings.Contains(res.Err.Error(), path) {
		t.Fatalf("want refusal naming %s, got %v", path, res.Err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("refused script was executed")
	}
	if err := os.Chmod(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if res := r.Run(context.Background(), Command{Args: []string{path}}); !res.OK() {
		t.Fatalf("safe script refused: %v", res.Err)
	}
}
