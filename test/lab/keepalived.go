package lab

import (
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// keepalivedStopTimeout bounds keepalived's shutdown after SIGTERM (it sends
// priority-0 adverts and removes its addresses first): with 1000 instances on
// a loaded 2-core host its VRRP child outlives the parent's own wait,
// which then kills it.
const keepalivedStopTimeout = 45 * time.Second

// Keepalived is a real keepalived (VRRP subsystem only) running in a namespace.
type Keepalived struct {
	proc     *Process
	node     *Node
	confPath string
}

// StartKeepalived writes conf to a file under t.TempDir() and runs
// `keepalived -n -l -D --vrrp -f CONF -p PID -r VRRPPID` in n's namespace, with pid
// files unique to this instance. It logs to its console, which Log returns.
// keepalived is killed at cleanup if still running.
func (n *Node) StartKeepalived(t testing.TB, conf string) *Keepalived {
	t.Helper()
	dir := t.TempDir()
	confPath := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatalf("lab: writing keepalived config: %v", err)
	}
	p := n.Start(t, "keepalived-"+n.NS, "keepalived", "-n", "-l", "-D", "--vrrp",
		"-f", confPath,
		"-p", filepath.Join(dir, "keepalived.pid"),
		"-r", filepath.Join(dir, "vrrp.pid"))
	return &Keepalived{proc: p, node: n, confPath: confPath}
}

// stateLine matches keepalived's state change log lines, e.g.
// "(VI_1) Entering MASTER STATE" and "(VI_1) Entering BACKUP STATE (init)".
var stateLine = regexp.MustCompile(`\(([^()\s]+)\) Entering ([A-Z]+) STATE`)

// lastState returns the last state log reports for instance, "" if none.
func lastState(log, instance string) string {
	state := ""
	for _, m := range stateLine.FindAllStringSubmatch(log, -1) {
		if m[1] == instance {
			state = m[2]
		}
	}
	return state
}

// State returns the last state keepalived logged for instance (MASTER, BACKUP or
// FAULT), "" if none yet.
func (k *Keepalived) State(instance string) string {
	return lastState(k.proc.Output(), instance)
}

// WaitState waits until keepalived's last logged state of instance is state, and
// fails the test with keepalived's log otherwise (also when keepalived exits).
func (k *Keepalived) WaitState(t testing.TB, instance, state string, timeout time.Duration) {
	t.Helper()
	ok := Poll(timeout, pollEvery, func() bool {
		return k.State(instance) == state || k.proc.exited()
	})
	if !ok || k.State(instance) != state {
		t.Fatalf("lab: keepalived in %s: instance %s is %q, not %s, after %v (exited: %v)\n%s",
			k.node.NS, instance, k.State(instance), state, timeout, k.proc.exited(), k.Log())
	}
}

// Stop sends SIGTERM and waits for keepalived to exit.
func (k *Keepalived) Stop(t testing.TB) {
	t.Helper()
	if !k.proc.exited() {
		if err := k.proc.Signal(syscall.SIGTERM); err != nil {
			t.Fatalf("lab: keepalived in %s: SIGTERM: %v", k.node.NS, err)
		}
	}
	if err := k.proc.Wait(keepalivedStopTimeout); err != nil {
		t.Fatalf("lab: keepalived in %s: %v\n%s", k.node.NS, err, k.Log())
	}
}

// Pid returns the keepalived parent process id.
func (k *Keepalived) Pid() int {
	return k.proc.Pid()
}

// Log returns keepalived's console log so far.
func (k *Keepalived) Log() string {
	return k.proc.Output()
}

// ConfigPath returns the keepalived.conf keepalived runs, for tests that edit it
// and send SIGHUP.
func (k *Keepalived) ConfigPath() string {
	return k.confPath
}

// Process returns the keepalived parent process, for signals and its exit.
func (k *Keepalived) Process() *Process {
	return k.proc
}
