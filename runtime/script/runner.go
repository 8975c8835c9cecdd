package script

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Defaults applied by Runner when the corresponding field is zero.
const (
	DefaultTimeout    = 10 * time.Second
	DefaultKillGrace  = 2 * time.Second // keepalived: SIGTERM, then SIGKILL 2 s later
	DefaultMaxOutput  = 4096
	DefaultDrainGrace = 100 * time.Millisecond
	shellPath         = "/bin/sh"
)

// Runner executes commands with a common policy. The zero value is usable: it runs as the current
// user with DefaultTimeout, DefaultKillGrace and DefaultMaxOutput and logs to slog.Default().
type Runner struct {
	// As is the identity to run as; nil runs as the current process's user. Switching user
	// requires running as root.
	As *Identity
	// Timeout bounds one run; on expiry the process group gets SIGTERM, then SIGKILL after KillGrace.
	// Negative means unbounded: only the context ends the run (a notify_fifo_script reader).
	Timeout   time.Duration
	KillGrace time.Duration
	// MaxOutput bounds the captured stdout+stderr in bytes; further output is drained and counted.
	// A negative value captures nothing.
	MaxOutput int
	// DrainGrace is how long to keep reading output after the script exits (children that inherited
	// the pipe may still hold it open); afterwards the pipe is closed.
	DrainGrace time.Duration
	// Security enables keepalived's enable_script_security check for scripts that run as root.
	Security bool
	Log      *slog.Logger
}

// Result describes one finished run. Err is nil exactly when the command exited with status 0.
type Result struct {
	Argv          []string
	ExitCode      int            // -1 when the process did not exit normally or did not start
	Signal        syscall.Signal // the terminating signal, if any
	TimedOut      bool
	Err           error
	Output        string // captured stdout+stderr, at most MaxOutput bytes
	OutputDropped int64  // bytes of output beyond MaxOutput that were discarded
	Duration      time.Duration
}

// OK reports whether the run succeeded (exit status 0, within the timeout).
func (r Result) OK() bool { return r.Err == nil }

// Argv returns the argument vector Run would execute for c with extraArgs appended, and whether it
// goes through /bin/sh. For shell commands the extra arguments are shell-quoted and appended to the
// text, as keepalived appends them to a system() command line.
func Argv(c Command, extraArgs ...string) (argv []string, shell bool) {
	if NeedsShell(c.Text) {
		text := c.Text
		for _, a := range extraArgs {
			text += " " + Quote(a)
		}
		return []string{shellPath, "-c", text}, true
	}
	base := c.argv()
	argv = make([]string, 0, len(base)+len(extraArgs))
	argv = append(argv, base...)
	return append(argv, extraArgs...), false
}

func (r *Runner) logger() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Run executes c with extraArgs appended and waits for it, never longer than the timeout plus the
// kill grace plus the drain grace. It never panics and reports every problem in Result.Err.
func (r *Runner) Run(ctx context.Context, c Command, extraArgs ...string) Result {
	start := time.Now()
	res := r.run(ctx, c, extraArgs)
	res.Duration = time.Since(start)
	log := r.logger()
	attrs := []any{"script", c.String(), "duration", res.Duration}
	if out := strings.TrimRight(res.Output, "\n"); out != "" {
		attrs = append(attrs, "output", out)
	}
	if res.OutputDropped > 0 {
		attrs = append(attrs, "output_dropped_bytes", res.OutputDropped)
	}
	if res.Err != nil {
		log.Warn("script failed", append(attrs, "error", res.Err)...)
	} else {
		log.Debug("script succeeded", attrs...)
	}
	return res
}

func (r *Runner) run(ctx context.Context, c Command, extraArgs []string) Result {
	res := Result{ExitCode: -1}
	argv, shell := Argv(c, extraArgs...)
	res.Argv = argv
	if len(argv) == 0 {
		res.Err = errors.New("script is empty: configure a command to run")
		return res
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		res.Err = fmt.Errorf("script %q: cannot execute %q: %w", c.String(), argv[0], err)
		return res
	}
	if err := r.checkSecurity(c, path, shell); err != nil {
		res.Err = err
		return res
	}
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if r.As != nil {
		switch {
		case os.Geteuid() == 0:
			// An empty (non-nil) list clears root's supplementary groups in the child.
			groups := append([]uint32{}, r.As.Groups...)
			attr.Credential = &syscall.Credential{Uid: r.As.UID, Gid: r.As.GID, Groups: groups}
		case r.As.UID != uint32(os.Geteuid()):
			res.Err = fmt.Errorf("script %q: cannot run as user %s: havip is not running as root", c.String(), r.As)
			return res
		}
	}

	pr, pw, err := os.Pipe()
	if err != nil {
		res.Err = fmt.Errorf("script %q: output pipe: %w", c.String(), err)
		return res
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Stdout: pw, Stderr: pw, SysProcAttr: attr}
	if err := cmd.Start(); err != nil {
		pw.Close()
		pr.Close()
		res.Err = fmt.Errorf("script %q: start %s: %w", c.String(), path, err)
		return res
	}
	pw.Close()
	pid := cmd.Process.Pid

	out := &boundedBuffer{max: r.MaxOutput}
	if out.max == 0 {
		out.max = DefaultMaxOutput
	}
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		_, _ = io.Copy(out, pr)
	}()

	exited := make(chan struct{})
	go func() {
		defer close(exited)
		waitExitNoReap(pid)
	}()

	var timeout <-chan time.Time
	if r.Timeout >= 0 {
		timer := time.NewTimer(durationOr(r.Timeout, DefaultTimeout))
		defer timer.Stop()
		timeout = timer.C
	}
	var stopErr error
	select {
	case <-exited:
	case <-timeout:
		res.TimedOut = true
		stopErr = fmt.Errorf("script %q timed out after %s; process group %d killed", c.String(), durationOr(r.Timeout, DefaultTimeout), pid)
	case <-ctx.Done():
		stopErr = fmt.Errorf("script %q cancelled: %w; process group %d killed", c.String(), ctx.Err(), pid)
	}
	if stopErr != nil {
		// The leader is not reaped yet, so its pid (= the group id) cannot be reused: signalling
		// the group is safe until cmd.Wait below.
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		grace := time.NewTimer(durationOr(r.KillGrace, DefaultKillGrace))
		select {
		case <-exited:
		case <-grace.C:
		}
		grace.Stop()
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
	waitErr := cmd.Wait()

	drain := time.NewTimer(durationOr(r.DrainGrace, DefaultDrainGrace))
	select {
	case <-readDone:
	case <-drain.C:
	}
	drain.Stop()
	pr.Close()
	<-readDone
	res.Output, res.OutputDropped = out.result()

	if ps := cmd.ProcessState; ps != nil {
		res.ExitCode = ps.ExitCode()
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Signal = ws.Signal()
		}
	}
	switch {
	case stopErr != nil:
		res.Err = stopErr
	case res.Signal != 0:
		res.Err = fmt.Errorf("script %q killed by signal %s", c.String(), res.Signal)
	case waitErr != nil:
		res.Err = fmt.Errorf("script %q: %w", c.String(), waitErr)
	}
	return res
}

// checkSecurity applies CheckSecurity when enabled and the script would run as root. For shell
// commands both /bin/sh and the script file named by the first word (when it is a path) are checked.
func (r *Runner) checkSecurity(c Command, path string, shell bool) error {
	if !r.Security {
		return nil
	}
	asRoot := r.As == nil && os.Geteuid() == 0 || r.As != nil && r.As.IsRoot()
	if !asRoot {
		return nil
	}
	paths := []string{path}
	if shell {
		if words := Split(c.Text); len(words) > 0 && strings.Contains(words[0], "/") {
			if _, err := os.Stat(words[0]); err == nil {
				paths = append(paths, words[0])
			}
		}
	}
	for _, p := range paths {
		if err := CheckSecurity(p); err != nil {
			return err
		}
	}
	return nil
}

// waitExitNoReap blocks until process pid has exited, leaving it a zombie so its pid and process
// group id stay reserved until the caller reaps it.
func waitExitNoReap(pid int) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return
		}
	}
}

// boundedBuffer keeps the first max bytes written and counts the rest.
type boundedBuffer struct {
	max     int
	buf     bytes.Buffer
	dropped int64
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	room := b.max - b.buf.Len()
	if room < 0 {
		room = 0
	}
	if len(p) <= room {
		b.buf.Write(p)
	} else {
		b.buf.Write(p[:room])
		b.dropped += int64(len(p) - room)
	}
	return len(p), nil
}

func (b *boundedBuffer) result() (string, int64) {
	return b.buf.String(), b.dropped
}
