package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Command returns `ip netns exec NS args...` bound to ctx.
func (n *Node) Command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.NS}, args...)...)
}

// Try runs args in n's namespace (bounded by a 30 s timeout) and returns the
// combined output.
func (n *Node) Try(args ...string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("lab: namespace %s: no command given", n.NS)
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := n.Command(ctx, args...).CombinedOutput()
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("lab: namespace %s: %q timed out after %v", n.NS, strings.Join(args, " "), commandTimeout)
	}
	if err != nil {
		return string(out), fmt.Errorf("lab: namespace %s: %q: %w", n.NS, strings.Join(args, " "), err)
	}
	return string(out), nil
}

// Exec runs args in n's namespace and returns the combined output; it fails the
// test, showing the output, if the command fails.
func (n *Node) Exec(t testing.TB, args ...string) string {
	t.Helper()
	out, err := n.Try(args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// Process is a background command started in a namespace by Node.Start.
type Process struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed once the process has been reaped
	err     error         // cmd.Wait's result, valid after done is closed
}

// processCounter keeps log file names unique within one test.
var processCounter atomic.Uint64

// Start runs args in n's namespace in the background, in a process group of its own,
// with stdout and stderr going to a file under t.TempDir() named after name. At
// cleanup the process group is SIGKILLed and the process reaped if still running.
func (n *Node) Start(t testing.TB, name string, args ...string) *Process {
	t.Helper()
	if len(args) == 0 {
		t.Fatalf("lab: Start %q in %s: no command given", name, n.NS)
	}
	logPath := filepath.Join(t.TempDir(), fmt.Sprintf("%s-%d.log", safeFileName(name), processCounter.Add(1)))
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("lab: Start %q: creating log file: %v", name, err)
	}
	defer logFile.Close()
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.NS}, args...)...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("lab: Start %q in %s (%s): %v", name, n.NS, strings.Join(args, " "), err)
	}
	p := &Process{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.exited() {
			return
		}
		// The whole group: `ip netns exec` execs into the command, which may fork.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Errorf("lab cleanup: %s (pid %d) not reaped 10 s after SIGKILL", name, cmd.Process.Pid)
		}
	})
	return p
}

// safeFileName keeps letters, digits, '-', '_' and '.'.
func safeFileName(name string) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name)
	if s == "" {
		return "process"
	}
	return s
}

func (p *Process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process (not its group).
func (p *Process) Signal(sig os.Signal) error {
	return p.cmd.Process.Signal(sig)
}

// SignalGroup sends sig to the process's whole process group: the process and
// every child it forked (keepalived's VRRP child, a script's children).
func (p *Process) SignalGroup(sig syscall.Signal) error {
	return syscall.Kill(-p.cmd.Process.Pid, sig)
}

// Exited reports whether the process has exited and been reaped.
func (p *Process) Exited() bool {
	return p.exited()
}

// Wait waits up to timeout for the process to exit and returns its exit error
// (nil for status 0), or an error saying it is still running.
func (p *Process) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("lab: process %d (%s) still running after %v", p.Pid(), strings.Join(p.cmd.Args, " "), timeout)
	}
}

// Output returns everything the process has written to stdout and stderr so far.
func (p *Process) Output() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("lab: reading %s: %v", p.logPath, err)
	}
	return string(b)
}

// LogPath returns the file the process's stdout and stderr go to, for tests that
// follow a long log incrementally instead of reading it whole with Output.
func (p *Process) LogPath() string {
	return p.logPath
}

// Pid returns the process id (that of the command itself: `ip netns exec` execs into it).
func (p *Process) Pid() int {
	return p.cmd.Process.Pid
}
