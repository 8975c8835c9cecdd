// Package e2e holds havip's end-to-end tests: the havip binary runs in
// network namespaces built by test/lab, against other havip nodes and against
// real keepalived, with tshark as the independent decoder of what goes on the
// wire. Every test needs root and skips with a message otherwise.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// havipBin is the havip binary built once by TestMain (only when root).
var havipBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "havip-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	if os.Geteuid() == 0 {
		havipBin = filepath.Join(dir, "havip")
		// go test puts the go command it runs with first on the PATH.
		out, err := exec.Command("go", "build", "-o", havipBin, "github.com/havip/havip/cmd/havip").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: building havip: %v\n%s", err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// speaker is a running `havip run` in a lab node.
type speaker struct {
	node   *lab.Node
	proc   *lab.Process
	status string // its --status-socket
}

// startHavip writes conf and runs havip on it in node, with extra flags.
func startHavip(t *testing.T, node *lab.Node, conf string, extra ...string) *speaker {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// A unix socket path has at most 107 bytes: t.TempDir() can be longer.
	sockDir, err := os.MkdirTemp("", "hv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "status.sock")
	args := append([]string{havipBin, "run", "-f", path, "--log-level", "debug", "--status-socket", sock}, extra...)
	p := node.Start(t, "havip-"+node.NS, args...)
	return &speaker{node: node, proc: p, status: sock}
}

var transitionLine = regexp.MustCompile(`time=(\S+) level=\S+ msg=transition instance=(\S+) from=\S+ to=(\S+)`)

// transition is one state change havip logged.
type transition struct {
	at string // the log's time= field
	to string
}

// logged returns the transitions havip logged for instance, in order.
func (s *speaker) logged(instance string) []transition {
	var out []transition
	for _, m := range transitionLine.FindAllStringSubmatch(s.proc.Output(), -1) {
		if m[2] == instance {
			out = append(out, transition{at: m[1], to: m[3]})
		}
	}
	return out
}

// State returns the last state havip logged for instance, "" if none.
func (s *speaker) State(instance string) string {
	trs := s.logged(instance)
	if len(trs) == 0 {
		return ""
	}
	return trs[len(trs)-1].to
}

// WaitState waits until instance is in state, and fails with havip's log
// when it is not within timeout.
func (s *speaker) WaitState(t *testing.T, instance, state string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for s.State(instance) != state {
		if time.Now().After(deadline) {
			t.Fatalf("havip in %s: %s not %s after %v (last %q); log:\n%s",
				s.node.NS, instance, state, timeout, s.State(instance), s.proc.Output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop sends SIGTERM and waits for havip to release and exit.
func (s *speaker) Stop(t *testing.T) {
	t.Helper()
	if err := s.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("havip in %s: SIGTERM: %v", s.node.NS, err)
	}
	if err := s.proc.Wait(10 * time.Second); err != nil {
		t.Fatalf("havip in %s did not exit after SIGTERM: %v\n%s", s.node.NS, err, s.proc.Output())
	}
	if !strings.Contains(s.proc.Output(), "instances released") {
		t.Fatalf("havip in %s exited without releasing:\n%s", s.node.NS, s.proc.Output())
	}
}

// instanceConf describes one vrrp_instance; conf renders it as a
// keepalived.conf that both havip and keepalived run.
type instanceConf struct {
	Name         string // default VI_1
	VRID         int    // default 51
	Version      int    // 2 or 3 (IPv6 VIPs force 3)
	Priority     int
	AdvertInt    string // default "1"
	VIPs         []string
	AuthPass     string
	AuthType     string // with AuthPass: PASS (the default) or AH
	UnicastSrc   string
	UnicastPeers []string
	Nopreempt    bool
	PreemptDelay string
	Extra        string // more lines inside the instance block
}

func (c instanceConf) conf() string {
	var b strings.Builder
	if c.Version == 3 {
		b.WriteString("global_defs {\n  vrrp_version 3\n}\n")
	}
	name := c.Name
	if name == "" {
		name = "VI_1"
	}
	vrid := c.VRID
	if vrid == 0 {
		vrid = 51
	}
	adv := c.AdvertInt
	if adv == "" {
		adv = "1"
	}
	fmt.Fprintf(&b, "vrrp_instance %s {\n  state BACKUP\n  interface eth0\n  virtual_router_id %d\n  priority %d\n  advert_int %s\n",
		name, vrid, c.Priority, adv)
	if c.Nopreempt {
		b.WriteString("  nopreempt\n")
	}
	if c.PreemptDelay != "" {
		fmt.Fprintf(&b, "  preempt_delay %s\n", c.PreemptDelay)
	}
	if c.AuthPass != "" {
		authType := c.AuthType
		if authType == "" {
			authType = "PASS"
		}
		fmt.Fprintf(&b, "  authentication {\n    auth_type %s\n    auth_pass %s\n  }\n", authType, c.AuthPass)
	}
	if c.UnicastSrc != "" {
		fmt.Fprintf(&b, "  unicast_src_ip %s\n", c.UnicastSrc)
	}
	if len(c.UnicastPeers) > 0 {
		fmt.Fprintf(&b, "  unicast_peer {\n    %s\n  }\n", strings.Join(c.UnicastPeers, "\n    "))
	}
	fmt.Fprintf(&b, "  virtual_ipaddress {\n    %s\n  }\n", strings.Join(c.VIPs, "\n    "))
	b.WriteString(c.Extra)
	b.WriteString("}\n")
	return b.String()
}

// electionTimeout bounds an election at advert_int 1: Master_Down_Interval
// is at most 3 × 1 s + 1 s, plus start-up and scheduling slack.
const electionTimeout = 10 * time.Second
