package track

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"
)

func TestProcessSpecMatches(t *testing.T) {
	tests := []struct {
		name    string
		spec    ProcessSpec
		comm    string
		cmdline []string
		want    bool
	}{
		{"comm exact", ProcessSpec{Process: "nginx"}, "nginx", []string{"/usr/sbin/nginx", "-g", "daemon off;"}, true},
		{"comm no prefix match", ProcessSpec{Process: "ssh"}, "sshd", nil, false},
		{"comm long name truncated", ProcessSpec{Process: "averyveryverylongname"}, "averyveryverylo", nil, true},
		{"comm other", ProcessSpec{Process: "nginx"}, "haproxy", nil, false},
		{"full command any params", ProcessSpec{Process: "/usr/sbin/nginx", FullCommand: true}, "", []string{"/usr/sbin/nginx", "-g", "x"}, true},
		{"full command wrong path", ProcessSpec{Process: "/usr/sbin/nginx", FullCommand: true}, "", []string{"nginx"}, false},
		{"kernel thread has no cmdline", ProcessSpec{Process: "kthreadd", FullCommand: true}, "", nil, false},
		{"params exact", ProcessSpec{Process: "/bin/app", Args: []string{"-c", "a b"}}, "", []string{"/bin/app", "-c", "a b"}, true},
		{"params exact extra fails", ProcessSpec{Process: "/bin/app", Args: []string{"-c"}}, "", []string{"/bin/app", "-c", "x"}, false},
		{"params exact differ", ProcessSpec{Process: "/bin/app", Args: []string{"-c", "x"}}, "", []string{"/bin/app", "-c", "y"}, false},
		{"partial prefix of params", ProcessSpec{Process: "/bin/app", Args: []string{"-c"}, ParamMatch: ParamPartial}, "", []string{"/bin/app", "-c", "x"}, true},
		{"partial too few", ProcessSpec{Process: "/bin/app", Args: []string{"-c", "x"}, ParamMatch: ParamPartial}, "", []string{"/bin/app", "-c"}, false},
		{"initial last is prefix", ProcessSpec{Process: "/bin/app", Args: []string{"-c", "/etc/ap"}, ParamMatch: ParamInitial}, "", []string{"/bin/app", "-c", "/etc/app.conf"}, true},
		{"initial count must match", ProcessSpec{Process: "/bin/app", Args: []string{"-c", "/etc/ap"}, ParamMatch: ParamInitial}, "", []string{"/bin/app", "-c", "/etc/app.conf", "-v"}, false},
		{"initial earlier differ", ProcessSpec{Process: "/bin/app", Args: []string{"-d", "/etc/ap"}, ParamMatch: ParamInitial}, "", []string{"/bin/app", "-c", "/etc/app.conf"}, false},
		{"param_match without params: none allowed", ProcessSpec{Process: "/bin/app", ParamMatch: ParamPartial}, "", []string{"/bin/app"}, true},
		{"param_match without params: has params", ProcessSpec{Process: "/bin/app", ParamMatch: ParamInitial}, "", []string{"/bin/app", "-v"}, false},
	}
	for _, tt := range tests {
		if got := tt.spec.Matches(tt.comm, tt.cmdline); got != tt.want {
			t.Errorf("%s: Matches(%q, %q) = %v, want %v", tt.name, tt.comm, tt.cmdline, got, tt.want)
		}
	}
}

func TestProcessQuorum(t *testing.T) {
	two := 2
	zero := 0
	tests := []struct {
		quorum int
		max    *int
		counts map[int]bool
	}{
		{1, nil, map[int]bool{0: false, 1: true, 50: true}},
		{2, &two, map[int]bool{1: false, 2: true, 3: false}},
		{0, &zero, map[int]bool{0: true, 1: false}},
	}
	for _, tt := range tests {
		spec := ProcessSpec{Quorum: tt.quorum, QuorumMax: tt.max}
		for count, want := range tt.counts {
			if got := spec.quorumMet(count); got != want {
				t.Errorf("%s: quorumMet(%d) = %v, want %v", spec.quorumText(), count, got, want)
			}
		}
	}
}

var childCounter atomic.Int64

// uniqueSleep returns a symlink to sleep with a unique, short name (so comm is unique) and a
// unique sleep argument (so cmdline is unique).
func uniqueSleep(t *testing.T) (path, arg string) {
	t.Helper()
	sleepPath := testenv.RequireCommand(t, "sleep", "coreutils")
	n := childCounter.Add(1)
	name := fmt.Sprintf("hv%d_%d", os.Getpid(), n)
	if len(name) > commLen {
		name = name[:commLen]
	}
	path = filepath.Join(t.TempDir(), name)
	if err := os.Symlink(sleepPath, path); err != nil {
		t.Fatal(err)
	}
	return path, fmt.Sprintf("%d.%d", 3000+n, os.Getpid())
}

// spawn starts path arg and kills it when the test ends.
func spawn(t *testing.T, path, arg string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(path, arg)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kill(cmd) })
	return cmd
}

func kill(cmd *exec.Cmd) {
	if cmd.ProcessState == nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}

func TestProcessTrackerQuorum(t *testing.T) {
	path, arg := uniqueSleep(t)
	two := 2
	spec := ProcessSpec{Name: "app", Process: path, Args: []string{arg}, Quorum: 2, QuorumMax: &two, Rescan: 50 * time.Millisecond}
	a := spawn(t, path, arg)
	r := start(t, NewProcess(spec, nil))
	if res := r.expect(t, false, "one of two processes"); res.Value != 1 {
		t.Fatalf("value %d, want 1 (%s)", res.Value, res.Detail)
	}
	b := spawn(t, path, arg)
	if res := r.expect(t, true, "quorum reached"); res.Value != 2 {
		t.Fatalf("value %d, want 2", res.Value)
	}
	c := spawn(t, path, arg)
	r.expect(t, false, "above quorum_max")
	kill(c)
	r.expect(t, true, "back to quorum")
	kill(a)
	r.expect(t, false, "below quorum after exit")
	kill(b)
	r.none(t, "still down")
}

func TestProcessTrackerByComm(t *testing.T) {
	path, arg := uniqueSleep(t)
	r := start(t, NewProcess(ProcessSpec{Name: "app", Process: filepath.Base(path), Quorum: 1, Rescan: 50 * time.Millisecond}, nil))
	r.expect(t, false, "not running yet")
	cmd := spawn(t, path, arg)
	r.expect(t, true, "started")
	kill(cmd)
	r.expect(t, false, "exited")
}

func TestProcessTrackerTerminateDelaySuppressesBounce(t *testing.T) {
	path, arg := uniqueSleep(t)
	spec := ProcessSpec{Name: "app", Process: path, Args: []string{arg}, Quorum: 1, TerminateDelay: 300 * time.Millisecond, Rescan: 20 * time.Millisecond}
	a := spawn(t, path, arg)
	r := start(t, NewProcess(spec, nil))
	r.expect(t, true, "running")
	kill(a)
	spawn(t, path, arg) // restarted well within terminate_delay
	// Once the new process is visible in /proc, the pending down must be cancelled: nothing may be
	// reported during twice the terminate_delay.
	tr := &processTracker{spec: spec, procRoot: "/proc"}
	deadline := time.Now().Add(waitDeadline)
	for found, _ := tr.scan(); len(found) != 1; found, _ = tr.scan() {
		if time.Now().After(deadline) {
			t.Fatal("restarted process not visible in /proc")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.noneWithin(t, 2*spec.TerminateDelay, "restart within terminate_delay")
}

func TestProcessTrackerForkDelay(t *testing.T) {
	path, arg := uniqueSleep(t)
	spec := ProcessSpec{Name: "app", Process: path, Args: []string{arg}, Quorum: 1, ForkDelay: 200 * time.Millisecond, Rescan: 20 * time.Millisecond}
	r := start(t, NewProcess(spec, nil))
	r.expect(t, false, "not running")
	started := time.Now()
	spawn(t, path, arg)
	r.expect(t, true, "up after fork_delay")
	if waited := time.Since(started); waited < spec.ForkDelay {
		t.Fatalf("reported up after %s, before fork_delay %s", waited, spec.ForkDelay)
	}
}

// TestProcessTrackerInNetworkNamespace re-runs TestProcessTrackerQuorum with the whole test
// binary inside a new network namespace (unshare -n), where keepalived's proc connector fails.
func TestProcessTrackerInNetworkNamespace(t *testing.T) {
	if os.Getenv("HAVIP_TRACK_IN_NETNS") != "" {
		self, _ := os.Readlink("/proc/self/ns/net")
		init, _ := os.Readlink("/proc/1/ns/net")
		if self == init {
			t.Fatalf("expected to run in a new network namespace, still in %s", self)
		}
		return
	}
	testenv.RequireRoot(t, "creating a network namespace")
	unshare := testenv.RequireCommand(t, "unshare", "util-linux")
	cmd := exec.Command(unshare, "-n", os.Args[0], "-test.run", "^(TestProcessTrackerInNetworkNamespace|TestProcessTrackerQuorum)$", "-test.count=1", "-test.v", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), "HAVIP_TRACK_IN_NETNS=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("process tracker inside a network namespace failed: %v\n%s", err, out)
	}
	for _, want := range []string{"--- PASS: TestProcessTrackerQuorum", "--- PASS: TestProcessTrackerInNetworkNamespace"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("missing %q in namespaced run:\n%s", want, out)
		}
	}
}
