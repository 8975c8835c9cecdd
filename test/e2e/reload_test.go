package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// Hot reload: `havip supervise -f` runs a config the test edits; only what
// changed may move.

var (
	vipA     = netip.MustParsePrefix("192.0.2.100/24") // VI_1's
	vipB     = netip.MustParsePrefix("192.0.2.101/24") // VI_2's
	vipAdded = netip.MustParsePrefix("192.0.2.110/24")
)

// reloadTimeout bounds the debounce, the render and the apply of an edit.
const reloadTimeout = 5 * time.Second

// noSecondBurst turns off the delayed second GARP burst so that every
// gratuitous ARP after the first burst is one a reload caused.
const noSecondBurst = "global_defs {\n  vrrp_garp_master_delay 0\n}\n"

// supervised is a `havip supervise -f` on a config file the test edits.
type supervised struct {
	*speaker
	path   string // the config file
	output string // --output
}

// startSupervise writes conf and runs `havip supervise -f` on it in node.
func startSupervise(t *testing.T, node *lab.Node, conf string) *supervised {
	t.Helper()
	s := &supervised{path: filepath.Join(t.TempDir(), "keepalived.conf"), output: filepath.Join(t.TempDir(), "run")}
	writeFile(t, s.path, conf)
	p := node.Start(t, "havip-supervise-"+node.NS, havipBin, "supervise", "-f", s.path, "--output", s.output, "--log-level", "debug")
	s.speaker = &speaker{node: node, proc: p}
	return s
}

// edit replaces the config as a config manager does: a temporary file in
// the same directory renamed over it.
func (s *supervised) edit(t *testing.T, conf string) {
	t.Helper()
	tmp := s.path + ".tmp"
	writeFile(t, tmp, conf)
	if err := os.Rename(tmp, s.path); err != nil {
		t.Fatal(err)
	}
}

// transitions counts the transitions havip logged for instance.
func (s *speaker) transitions(instance string) int { return len(s.logged(instance)) }

// twoMasters is node 0 supervising VI_1 and VI_2 at priority 150 (VI_2 at
// vi2Priority), with node 1 a `havip run` backup of both at 100.
func twoMasters(vi2Priority int, extraVI2 string) string {
	return noSecondBurst +
		instanceConf{Name: "VI_1", VRID: 51, Priority: 150, VIPs: []string{vipA.String()}}.conf() +
		instanceConf{Name: "VI_2", VRID: 52, Priority: vi2Priority, VIPs: []string{vipB.String()}, Extra: extraVI2}.conf()
}

// startTwoMasters starts node 0 (supervised) and waits until it is MASTER
// of both instances, then node 1 (plain run) as BACKUP of both.
func startTwoMasters(t *testing.T, l *lab.Lab) (sup *supervised, backup *speaker) {
	t.Helper()
	sup = startSupervise(t, l.Nodes[0], twoMasters(150, ""))
	sup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	sup.WaitState(t, "VI_2", "MASTER", electionTimeout)
	backup = startHavip(t, l.Nodes[1], noSecondBurst+
		instanceConf{Name: "VI_1", VRID: 51, Priority: 100, VIPs: []string{vipA.String()}}.conf()+
		instanceConf{Name: "VI_2", VRID: 52, Priority: 100, VIPs: []string{vipB.String()}}.conf())
	backup.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	backup.WaitState(t, "VI_2", "BACKUP", electionTimeout)
	return sup, backup
}

// garpsFor counts the gratuitous ARPs for addr in pcap.
func garpsFor(t *testing.T, pcap string, addr netip.Addr) int {
	t.Helper()
	n := 0
	for _, a := range lab.DecodeARP(t, pcap) {
		if a.Gratuitous && a.SenderIP == addr.String() {
			n++
		}
	}
	return n
}

// advertsSince counts the adverts of vrid with priority captured after since.
func advertsSince(t *testing.T, pcap string, vrid, priority int, since time.Time) int {
	t.Helper()
	n := 0
	for _, a := range lab.DecodeVRRP(t, pcap) {
		if a.VRID == vrid && a.Priority == priority && a.Time >= float64(since.UnixNano())/1e9 {
			n++
		}
	}
	return n
}

// TestReloadPriorityTouchesOnlyThatInstance: VI_2's priority changes; VI_1
// is left alone (no transition, no gratuitous ARP), VI_2 stays MASTER and
// advertises its new priority, and the backup sees no change.
func TestReloadPriorityTouchesOnlyThatInstance(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2, Client: true})
	sup, backup := startTwoMasters(t, l)
	capture := l.Client.Capture(t, "eth0", "arp or ip proto 112")
	before := [2]int{sup.transitions("VI_1"), sup.transitions("VI_2")}

	edited := time.Now()
	sup.edit(t, twoMasters(120, ""))
	sup.waitLog(t, "config applied", "unchanged=1 changed=1 added=0 removed=0", reloadTimeout)
	sup.waitLog(t, "instance reconfigured, state kept", "priority_from=150 priority=120", reloadTimeout)
	lab.Eventually(t, 10*time.Second, "three adverts of VI_2 at its new priority 120", func() bool {
		return advertsSince(t, capture.Path(), 52, 120, edited) >= 3
	})
	pcap := capture.Stop(t)

	if after := [2]int{sup.transitions("VI_1"), sup.transitions("VI_2")}; after != before {
		t.Errorf("transitions of VI_1, VI_2: %v before the reload, %v after; want none\n%s", before, after, sup.proc.Output())
	}
	if n := garpsFor(t, pcap, vipA.Addr()); n != 0 {
		t.Errorf("the client saw %d gratuitous ARPs for VI_1's %s after the reload, want 0", n, vipA.Addr())
	}
	if n := garpsFor(t, pcap, vipB.Addr()); n != 0 {
		t.Errorf("the client saw %d gratuitous ARPs for VI_2's %s (no address was added), want 0", n, vipB.Addr())
	}
	if n := advertsSince(t, pcap, 51, 150, edited); n == 0 {
		t.Error("VI_1 stopped advertising at 150")
	}
	for _, vip := range []netip.Prefix{vipA, vipB} {
		if !l.Nodes[0].HasAddr(t, "eth0", vip) {
			t.Errorf("the master lost %s", vip)
		}
	}
	if backup.transitions("VI_1") != 1 || backup.transitions("VI_2") != 1 {
		t.Errorf("the backup moved: %d and %d transitions, want only its startup one\n%s",
			backup.transitions("VI_1"), backup.transitions("VI_2"), backup.proc.Output())
	}
	if sup.State("VI_2") != "MASTER" {
		t.Errorf("VI_2 is %s after the reload, want MASTER", sup.State("VI_2"))
	}
}

// TestReloadAddVIPKeepsMastership: a VIP added to a MASTER instance is
// installed and announced, the old one stays (and is not announced again),
// and the instance does not leave MASTER; a VIP taken out is removed alone.
func TestReloadAddVIPKeepsMastership(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1, Client: true})
	conf := instanceConf{Priority: 150, VIPs: []string{vipA.String()}}
	sup := startSupervise(t, l.Nodes[0], noSecondBurst+conf.conf())
	sup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	capture := l.Client.Capture(t, "eth0", "arp")
	before := sup.transitions("VI_1")

	conf.VIPs = append(conf.VIPs, vipAdded.String())
	sup.edit(t, noSecondBurst+conf.conf())
	sup.waitLog(t, "config applied", "changed=1", reloadTimeout)
	lab.Eventually(t, reloadTimeout, "the added VIP on the master", func() bool {
		return l.Nodes[0].HasAddr(t, "eth0", vipAdded)
	})
	lab.Eventually(t, 5*time.Second, "the burst of 5 gratuitous ARPs for the added VIP", func() bool {
		return garpsFor(t, capture.Path(), vipAdded.Addr()) >= 5
	})
	pcap := capture.Stop(t)
	if !l.Nodes[0].HasAddr(t, "eth0", vipA) {
		t.Error("the master lost its first VIP")
	}
	if n := garpsFor(t, pcap, vipA.Addr()); n != 0 {
		t.Errorf("%d gratuitous ARPs for the unchanged %s, want 0", n, vipA.Addr())
	}
	if after := sup.transitions("VI_1"); after != before {
		t.Errorf("VI_1 logged %d transitions during the reload, want none\n%s", after-before, sup.proc.Output())
	}
	sup.outputHas(t, vipAdded.String())

	// And the first VIP taken away again: removed, the other stays.
	conf.VIPs = []string{vipAdded.String()}
	sup.edit(t, noSecondBurst+conf.conf())
	sup.waitLog(t, "instance reconfigured, state kept", `vips_removed="`+vipA.String()+` dev eth0"`, reloadTimeout)
	if l.Nodes[0].HasAddr(t, "eth0", vipA) || !l.Nodes[0].HasAddr(t, "eth0", vipAdded) {
		t.Errorf("after removing %s: held %v, %s held %v; want only the latter",
			vipA, l.Nodes[0].HasAddr(t, "eth0", vipA), vipAdded, l.Nodes[0].HasAddr(t, "eth0", vipAdded))
	}
	if after := sup.transitions("VI_1"); after != before {
		t.Errorf("VI_1 logged %d transitions during the reloads, want none", after-before)
	}
}

// TestReloadAddTrackerKeepsMastership: a reload that adds a track_interface
// of an interface that is up leaves the master alone, as keepalived does:
// the new tracker starts from the interface's state, not from FAULT.
func TestReloadAddTrackerKeepsMastership(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	conf := instanceConf{Priority: 150, VIPs: []string{vipA.String()}}
	sup := startSupervise(t, l.Nodes[0], conf.conf())
	sup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	before := sup.transitions("VI_1")

	conf.Extra = "  track_interface {\n    eth0\n  }\n"
	sup.edit(t, conf.conf())
	sup.waitLog(t, "config applied", "changed=1", reloadTimeout)
	holdsFor(t, 2*time.Second, "VI_1 MASTER with its VIP after the reload", func() bool {
		return sup.transitions("VI_1") == before && l.Nodes[0].HasAddr(t, "eth0", vipA)
	})
	// The tracker follows the link: down, FAULT; up, MASTER again.
	l.SetPort(t, l.Nodes[0], false)
	sup.WaitState(t, "VI_1", "FAULT", electionTimeout)
	l.SetPort(t, l.Nodes[0], true)
	sup.WaitState(t, "VI_1", "MASTER", electionTimeout)
}

// TestReloadBrokenConfigKeepsRunning: a config that does not parse is
// reported with its file:line and changes nothing.
func TestReloadBrokenConfigKeepsRunning(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	sup := startSupervise(t, l.Nodes[0], twoMasters(150, ""))
	sup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	sup.WaitState(t, "VI_2", "MASTER", electionTimeout)
	before := [2]int{sup.transitions("VI_1"), sup.transitions("VI_2")}

	broken := twoMasters(150, "  virtual_router_id 300\n")
	line := strings.Count(broken[:strings.Index(broken, "virtual_router_id 300")], "\n") + 1
	sup.edit(t, broken)
	sup.waitLog(t, "new config rejected; the running config keeps running", fmt.Sprintf("%s:%d:", sup.path, line), reloadTimeout)

	if after := [2]int{sup.transitions("VI_1"), sup.transitions("VI_2")}; after != before {
		t.Errorf("transitions %v before, %v after the broken config; want none", before, after)
	}
	for _, vip := range []netip.Prefix{vipA, vipB} {
		if !l.Nodes[0].HasAddr(t, "eth0", vip) {
			t.Errorf("the master lost %s after a broken config", vip)
		}
	}
	sup.outputHas(t, "virtual_router_id 52\n")
	if strings.Contains(sup.readOutput(t), "virtual_router_id 300") {
		t.Error("the broken config was written to --output")
	}
	sup.Stop(t)
}

// TestReloadRemovedInstanceReleased: removing VI_2 releases it (priority-0
// advert, VIP removed), so the backup takes it over at once, while VI_1
// stays as it was.
func TestReloadRemovedInstanceReleased(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	sup, backup := startTwoMasters(t, l)
	before := sup.transitions("VI_1")

	sup.edit(t, noSecondBurst+instanceConf{Name: "VI_1", VRID: 51, Priority: 150, VIPs: []string{vipA.String()}}.conf())
	sup.waitLog(t, "config applied", "unchanged=1 changed=0 added=0 removed=1", reloadTimeout)
	sup.WaitState(t, "VI_2", "STOP", reloadTimeout)
	if l.Nodes[0].HasAddr(t, "eth0", vipB) {
		t.Error("the removed instance's VIP is still on the node")
	}
	// The priority-0 advert: Skew_Time (0.6 s at priority 100), not the
	// 3.6 s Master_Down_Interval.
	backup.WaitState(t, "VI_2", "MASTER", 3*time.Second)
	if !l.Nodes[0].HasAddr(t, "eth0", vipA) || sup.transitions("VI_1") != before {
		t.Errorf("VI_1 was disturbed: VIP held %v, transitions %d → %d", l.Nodes[0].HasAddr(t, "eth0", vipA), before, sup.transitions("VI_1"))
	}
	if backup.State("VI_1") != "BACKUP" {
		t.Errorf("the backup's VI_1 is %s, want BACKUP", backup.State("VI_1"))
	}
}

// TestReloadAddedInstanceStarts: an instance added to the config starts and
// elects; the running one is not disturbed.
func TestReloadAddedInstanceStarts(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	first := noSecondBurst + instanceConf{Name: "VI_1", VRID: 51, Priority: 150, VIPs: []string{vipA.String()}}.conf()
	sup := startSupervise(t, l.Nodes[0], first)
	sup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	before := sup.transitions("VI_1")

	sup.edit(t, twoMasters(150, ""))
	sup.waitLog(t, "config applied", "unchanged=1 changed=0 added=1 removed=0", reloadTimeout)
	sup.WaitState(t, "VI_2", "MASTER", electionTimeout)
	if !l.Nodes[0].HasAddr(t, "eth0", vipB) || !l.Nodes[0].HasAddr(t, "eth0", vipA) {
		t.Errorf("VIPs after the election of the added instance: %s %v, %s %v; want both",
			vipA, l.Nodes[0].HasAddr(t, "eth0", vipA), vipB, l.Nodes[0].HasAddr(t, "eth0", vipB))
	}
	if after := sup.transitions("VI_1"); after != before {
		t.Errorf("VI_1 logged %d transitions, want none", after-before)
	}
}

// TestSuperviseTemplateFromEnvironment runs the catalog's compose contract
// (HAVIP_TEMPLATE=keepalived HAVIP_VERSION=0 plus the template's variables)
// in a lab node: it renders, elects, writes the running config, and
// releases on SIGTERM.
func TestSuperviseTemplateFromEnvironment(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	vip := netip.MustParsePrefix("192.0.2.30/24")
	output := filepath.Join(t.TempDir(), "run")
	p := l.Nodes[0].Start(t, "havip-supervise-template", "env", "HAVIP_TEMPLATE=keepalived", "HAVIP_VERSION=0",
		"VIRTUAL_IP="+vip.Addr().String(), "CHECK_PORT=0", "VRID=60", "INTERFACE=eth0",
		havipBin, "supervise", "--output", output)
	s := &supervised{speaker: &speaker{node: l.Nodes[0], proc: p}, output: output}
	s.WaitState(t, "VI_60", "MASTER", electionTimeout)
	if !l.Nodes[0].HasAddr(t, "eth0", vip) {
		t.Fatalf("the master does not hold %s", vip)
	}
	s.outputHas(t, vip.String()+" dev eth0")

	// SIGHUP re-renders and applies at once: the same config, nothing moves.
	before := s.transitions("VI_60")
	if err := p.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, "config applied", "unchanged=1 changed=0 added=0 removed=0", reloadTimeout)
	if after := s.transitions("VI_60"); after != before {
		t.Errorf("SIGHUP caused %d transitions, want none", after-before)
	}
	s.Stop(t)
	if l.Nodes[0].HasAddr(t, "eth0", vip) {
		t.Error("the VIP stayed after SIGTERM")
	}
}

// readOutput returns the keepalived.conf supervise wrote for operators.
func (s *supervised) readOutput(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.output, "keepalived.conf"))
	if err != nil {
		t.Fatalf("supervise --output: %v", err)
	}
	return string(b)
}

// outputHas checks that the written keepalived.conf contains want.
func (s *supervised) outputHas(t *testing.T, want string) {
	t.Helper()
	if got := s.readOutput(t); !strings.Contains(got, want) {
		t.Errorf("supervise --output keepalived.conf lacks %q:\n%s", want, got)
	}
}

// TestReloadRemovedInstanceNotifiesDeleted: an instance removed by a reload
// is notified DELETED when it has notify_deleted, STOP when it has not.
func TestReloadRemovedInstanceNotifiesDeleted(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	log := filepath.Join(t.TempDir(), "notify.log")
	script := filepath.Join(t.TempDir(), "notify.sh")
	writeExecutable(t, script, fmt.Sprintf("#!/bin/sh\necho \"$1 $2 $3 $4\" >> %s\n", log))
	notifyLine := fmt.Sprintf("  notify %s\n", script)
	sup := startSupervise(t, l.Nodes[0],
		instanceConf{Name: "VI_1", VRID: 51, Priority: 150, VIPs: []string{vipA.String()}, Extra: notifyLine}.conf()+
			instanceConf{Name: "VI_2", VRID: 52, Priority: 150, VIPs: []string{vipB.String()}, Extra: notifyLine + "  notify_deleted\n"}.conf())
	sup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	sup.WaitState(t, "VI_2", "MASTER", electionTimeout)

	sup.edit(t, instanceConf{Name: "VI_3", VRID: 53, Priority: 150, VIPs: []string{vipAdded.String()}}.conf())
	sup.waitLog(t, "config applied", "removed=2", reloadTimeout)
	lab.Eventually(t, 5*time.Second, "VI_1 notified STOP and VI_2 DELETED", func() bool {
		got := readFile(log)
		return strings.Contains(got, "INSTANCE VI_1 STOP 150\n") && strings.Contains(got, "INSTANCE VI_2 DELETED 150\n")
	})
	if got := readFile(log); strings.Contains(got, "INSTANCE VI_2 STOP") {
		t.Errorf("VI_2 has notify_deleted but was notified STOP:\n%s", got)
	}
}
