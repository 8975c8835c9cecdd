package fault

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"
	"github.com/havip/havip/test/lab"
)

// The speakers the suite runs.
const (
	havipKind      = "havip"      // `havip supervise -f`, watching its config file
	keepalivedKind = "keepalived" // keepalived 2.2.7, the control; reloads on SIGHUP
)

// stopTimeout bounds a graceful stop (priority-0 adverts, addresses removed).
const stopTimeout = 15 * time.Second

func requireTools(t *testing.T, kind string) {
	t.Helper()
	testenv.RequireCommand(t, "tshark", "tshark")
	testenv.RequireCommand(t, "nft", "nftables")
	if kind == keepalivedKind {
		testenv.RequireCommand(t, "keepalived", "keepalived")
	}
}

// speaker is one VRRP daemon in a lab node, restartable: its log and transition
// count carry over restarts.
type speaker struct {
	kind   string
	node   *lab.Node
	dir    string // its files: config, notify script and log, status socket
	conf   string // the config text it was last started or reloaded with
	path   string // the config file it runs
	proc   *lab.Process
	status string // havip's status socket

	earlierTransitions int    // transitions logged by earlier processes
	earlierLogs        string // the logs of earlier processes
}

// newSpeaker prepares (but does not start) a speaker of kind in node.
func newSpeaker(t *testing.T, kind string, node *lab.Node) *speaker {
	t.Helper()
	// A unix socket path has at most 107 bytes: t.TempDir() can be longer.
	dir, err := os.MkdirTemp("", "hvf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return &speaker{kind: kind, node: node, dir: dir, status: filepath.Join(dir, "status.sock")}
}

// notifyLog is the file the speaker's notify script appends "$1 $2 $3 $4" to.
func (s *speaker) notifyLog() string { return filepath.Join(s.dir, "notify.log") }

// notifyScript is the speaker's notify script.
func (s *speaker) notifyScript() string { return filepath.Join(s.dir, "notify.sh") }

// start runs the speaker on conf.
func (s *speaker) start(t *testing.T, conf string) {
	t.Helper()
	if s.proc != nil && !s.proc.Exited() {
		t.Fatalf("%s in %s: start while running", s.kind, s.node.NS)
	}
	if s.proc != nil {
		s.earlierTransitions += s.ownTransitions()
		s.earlierLogs += s.proc.Output()
	}
	writeFile(t, s.notifyScript(), fmt.Sprintf("#!/bin/sh\necho \"$1 $2 $3 $4\" >> %s\n", s.notifyLog()), 0o755)
	s.conf = conf
	switch s.kind {
	case havipKind:
		s.path = filepath.Join(s.dir, "keepalived.conf")
		writeFile(t, s.path, conf, 0o644)
		s.proc = s.node.Start(t, "havip-"+s.node.NS, havipBin, "supervise", "-f", s.path,
			"--output", filepath.Join(s.dir, "out"), "--status-socket", s.status)
	case keepalivedKind:
		k := s.node.StartKeepalived(t, conf)
		s.path, s.proc = k.ConfigPath(), k.Process()
	default:
		t.Fatalf("unknown speaker kind %q", s.kind)
	}
}

// running reports whether the speaker's process is alive.
func (s *speaker) running() bool { return s.proc != nil && !s.proc.Exited() }

// stop sends SIGTERM and waits for the speaker to release and exit.
func (s *speaker) stop(t *testing.T) {
	t.Helper()
	if err := s.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("%s in %s: SIGTERM: %v", s.kind, s.node.NS, err)
	}
	if err := s.proc.Wait(stopTimeout); err != nil {
		t.Fatalf("%s in %s did not exit after SIGTERM: %v\n%s", s.kind, s.node.NS, err, s.log())
	}
}

// kill SIGKILLs the speaker's whole process group (keepalived's children
// included), as a crash or an OOM kill of the container would.
func (s *speaker) kill(t *testing.T) {
	t.Helper()
	if err := s.proc.SignalGroup(syscall.SIGKILL); err != nil {
		t.Fatalf("%s in %s: SIGKILL: %v", s.kind, s.node.NS, err)
	}
	if err := s.proc.Wait(stopTimeout); err == nil {
		t.Fatalf("%s in %s exited with status 0 after SIGKILL", s.kind, s.node.NS)
	}
}

// hangup sends SIGHUP: keepalived reloads, havip supervise reloads at once.
func (s *speaker) hangup(t *testing.T) {
	t.Helper()
	if err := s.proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatalf("%s in %s: SIGHUP: %v", s.kind, s.node.NS, err)
	}
}

// log returns everything the speaker's processes logged, oldest first.
func (s *speaker) log() string {
	if s.proc == nil {
		return s.earlierLogs
	}
	return s.earlierLogs + s.proc.Output()
}

var (
	havipTransition = regexp.MustCompile(`msg=transition instance=VI_1 `)
	// keepalived writes "Entering MASTER STATE" but "entering FAULT state".
	keepalivedTransition = regexp.MustCompile(`(?i)\(VI_1\) entering [a-z]+ state`)
)

// ownTransitions counts the state changes of VI_1 the current process logged.
func (s *speaker) ownTransitions() int {
	re := havipTransition
	if s.kind == keepalivedKind {
		re = keepalivedTransition
	}
	return len(re.FindAllStringIndex(s.proc.Output(), -1))
}

// transitions counts every state change of VI_1 the speaker has logged.
func (s *speaker) transitions() int {
	if s.proc == nil {
		return s.earlierTransitions
	}
	return s.earlierTransitions + s.ownTransitions()
}

// masterNotifies counts the notify script's runs for VI_1 entering MASTER.
func (s *speaker) masterNotifies() int {
	b, _ := os.ReadFile(s.notifyLog())
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.ReplaceAll(line, `"`, ""))
		if len(f) >= 3 && f[0] == "INSTANCE" && f[1] == "VI_1" && f[2] == "MASTER" {
			n++
		}
	}
	return n
}

// vrrpPid returns the process that speaks VRRP: havip itself, or keepalived's
// VRRP child.
func (s *speaker) vrrpPid(t *testing.T) int {
	t.Helper()
	if s.kind == havipKind {
		return s.proc.Pid()
	}
	var child int
	lab.Eventually(t, 10*time.Second, "keepalived's VRRP child", func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", s.proc.Pid(), s.proc.Pid()))
		if err != nil {
			return false
		}
		f := strings.Fields(string(b))
		if len(f) != 1 {
			return false
		}
		child, err = strconv.Atoi(f[0])
		return err == nil
	})
	return child
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	// A rename, as config managers do: a watcher never reads a half-written file.
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
