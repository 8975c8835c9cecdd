package track

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ParamMatch selects how a vrrp_track_process's parameters are compared.
type ParamMatch int

// Parameter matching modes (keepalived `param_match`).
const (
	// ParamExact (no param_match): with parameters configured, the process's parameters must
	// equal them; without, parameters are not checked.
	ParamExact ParamMatch = iota
	// ParamPartial: the first len(Args) parameters must equal Args (more may follow).
	ParamPartial
	// ParamInitial: same number of parameters, all equal except that the last configured one
	// only needs to be a prefix of the process's last parameter.
	ParamInitial
)

// DefaultRescan is how often /proc is rescanned for newly started processes.
const DefaultRescan = time.Second

// commLen is the kernel's limit on /proc/PID/comm (TASK_COMM_LEN − 1).
const commLen = 15

// ProcessSpec is a vrrp_track_process block.
type ProcessSpec struct {
	Name string
	// Process is matched against /proc/PID/comm (truncated to 15 characters, as the kernel
	// stores it) unless FullCommand is set, parameters are given or ParamMatch is not ParamExact;
	// then it must equal argv[0] from /proc/PID/cmdline.
	Process     string
	Args        []string
	FullCommand bool
	// ParamMatch with no Args configured means the process must have no parameters.
	ParamMatch ParamMatch
	// Quorum is the minimum number of matching processes (keepalived's default is 1; 0 is taken
	// literally). QuorumMax is the maximum; nil means unlimited, 0 means "must not run".
	Quorum    int
	QuorumMax *int
	// ForkDelay delays reporting up after the quorum is gained; TerminateDelay delays reporting
	// down after it is lost (keepalived fork_delay / terminate_delay / delay).
	ForkDelay, TerminateDelay time.Duration
	// Rescan is how often /proc is scanned for new processes (default DefaultRescan). Exits of
	// processes already matched are seen immediately through pidfds.
	Rescan time.Duration
}

func (s ProcessSpec) usesCmdline() bool {
	return s.FullCommand || len(s.Args) > 0 || s.ParamMatch != ParamExact
}

// Matches reports whether a process with the given comm and cmdline matches the spec.
func (s ProcessSpec) Matches(comm string, cmdline []string) bool {
	if !s.usesCmdline() {
		name := s.Process
		if len(name) > commLen {
			name = name[:commLen]
		}
		return comm == name
	}
	if len(cmdline) == 0 || cmdline[0] != s.Process {
		return false
	}
	actual := cmdline[1:]
	n := len(s.Args)
	switch {
	case n == 0 && s.ParamMatch == ParamExact:
		return true
	case n == 0:
		return len(actual) == 0
	case s.ParamMatch == ParamExact:
		return slices.Equal(actual, s.Args)
	case s.ParamMatch == ParamPartial:
		return len(actual) >= n && slices.Equal(actual[:n], s.Args)
	default: // ParamInitial
		return len(actual) == n && slices.Equal(actual[:n-1], s.Args[:n-1]) && strings.HasPrefix(actual[n-1], s.Args[n-1])
	}
}

// quorumMet reports whether count processes satisfy the quorum bounds.
func (s ProcessSpec) quorumMet(count int) bool {
	return count >= s.Quorum && (s.QuorumMax == nil || count <= *s.QuorumMax)
}

func (s ProcessSpec) quorumText() string {
	maxText := "unlimited"
	if s.QuorumMax != nil {
		maxText = strconv.Itoa(*s.QuorumMax)
	}
	return fmt.Sprintf("quorum %d..%s", s.Quorum, maxText)
}

type processTracker struct {
	spec     ProcessSpec
	procRoot string
	log      *slog.Logger
}

// NewProcess returns a tracker for a vrrp_track_process. Its Result.Value is the number of
// matching processes.
func NewProcess(spec ProcessSpec, log *slog.Logger) Tracker {
	return &processTracker{spec: spec, procRoot: "/proc", log: loggerOr(log)}
}

func (p *processTracker) Key() Key { return Key{KindProcess, p.spec.Name} }

// watchedProcess is a matching process and its pidfd (nil when pidfds are unavailable; the
// rescan then notices the exit).
type watchedProcess struct {
	pidfd *os.File
}

func (p *processTracker) Run(ctx context.Context, report func(Result)) {
	stop := make(chan struct{})
	exits := make(chan int)
	var wg sync.WaitGroup
	watched := map[int]watchedProcess{}
	forget := func(pid int) {
		if w, ok := watched[pid]; ok {
			if w.pidfd != nil {
				w.pidfd.Close()
			}
			delete(watched, pid)
		}
	}
	defer func() {
		close(stop)
		for pid := range watched {
			forget(pid)
		}
		wg.Wait()
	}()

	scan := func() {
		found, err := p.scan()
		if err != nil {
			p.log.Warn("process tracker cannot scan /proc", "tracker", p.Key().String(), "error", err)
			return
		}
		for pid := range watched {
			if !found[pid] {
				forget(pid)
			}
		}
		for pid := range found {
			if _, ok := watched[pid]; ok {
				continue
			}
			w, alive := p.watch(pid)
			if !alive {
				continue
			}
			watched[pid] = w
			if w.pidfd != nil {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if waitReadable(w.pidfd) == nil {
						select {
						case exits <- pid:
						case <-stop:
						}
					}
				}()
			}
		}
	}

	spec := p.spec
	result := func(up bool) Result {
		n := len(watched)
		return Result{Key: p.Key(), Up: up, Value: int64(n), Detail: fmt.Sprintf("%d matching processes, %s", n, spec.quorumText())}
	}
	scan()
	reported := spec.quorumMet(len(watched))
	report(result(reported))

	rescan := time.NewTicker(durationOr(spec.Rescan, DefaultRescan))
	defer rescan.Stop()
	delay := time.NewTimer(time.Hour)
	delay.Stop()
	defer delay.Stop()
	pending := false
	evaluate := func() {
		want := spec.quorumMet(len(watched))
		if want == reported {
			if pending {
				delay.Stop()
				pending = false
			}
			return
		}
		d := spec.TerminateDelay
		if want {
			d = spec.ForkDelay
		}
		if d <= 0 {
			reported = want
			report(result(reported))
			return
		}
		if !pending {
			delay.Reset(d)
			pending = true
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case pid := <-exits:
			forget(pid)
			evaluate()
		case <-rescan.C:
			scan()
			evaluate()
		case <-delay.C:
			pending = false
			if want := spec.quorumMet(len(watched)); want != reported {
				reported = want
				report(result(reported))
			}
		}
	}
}

// scan returns the pids in procRoot that match the spec.
func (p *processTracker) scan() (map[int]bool, error) {
	dir, err := os.Open(p.procRoot)
	if err != nil {
		return nil, err
	}
	names, err := dir.Readdirnames(-1)
	dir.Close()
	if err != nil {
		return nil, err
	}
	found := map[int]bool{}
	self := os.Getpid()
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid == self {
			continue
		}
		if p.matchesPid(pid) {
			found[pid] = true
		}
	}
	return found, nil
}

func (p *processTracker) matchesPid(pid int) bool {
	dir := p.procRoot + "/" + strconv.Itoa(pid)
	if !p.spec.usesCmdline() {
		comm, err := readProcFile(dir+"/comm", 64)
		return err == nil && p.spec.Matches(strings.TrimSuffix(string(comm), "\n"), nil)
	}
	raw, err := readProcFile(dir+"/cmdline", 1<<20)
	if err != nil || len(raw) == 0 {
		return false // gone, or a kernel thread
	}
	return p.spec.Matches("", strings.Split(string(bytes.TrimSuffix(raw, []byte{0})), "\x00"))
}

// readProcFile reads a small /proc file with plain system calls (no stat, one allocation),
// up to limit bytes.
func readProcFile(path string, limit int) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, 0, min(limit, 4096))
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(cap(buf), limit-len(buf)))
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		buf = buf[:len(buf)+n]
	}
	return buf, nil
}

// watch opens a pidfd for pid and re-checks the match (the pid may have been reused between the
// scan and pidfd_open). alive is false when the process is gone or no longer matches.
func (p *processTracker) watch(pid int) (w watchedProcess, alive bool) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return watchedProcess{}, false
		}
		// No pidfd support (old kernel, seccomp): the rescan will notice the exit instead.
		return watchedProcess{}, p.matchesPid(pid)
	}
	f := os.NewFile(uintptr(fd), "pidfd:"+strconv.Itoa(pid))
	if !p.matchesPid(pid) {
		f.Close()
		return watchedProcess{}, false
	}
	return watchedProcess{pidfd: f}, true
}

// waitReadable blocks until the pidfd becomes readable (the process exited) or f is closed.
// The pidfd is non-blocking, so the wait happens in the Go runtime's poller, not on a thread.
func waitReadable(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	polled := false
	return rc.Read(func(uintptr) bool {
		if polled {
			return true
		}
		polled = true
		return false
	})
}
