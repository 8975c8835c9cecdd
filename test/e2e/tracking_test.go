package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// TestTrackProcessWeight: `track_process` with weight 10 lifts a node from
// 105 to 115 over a 110 peer while the process runs, and drops it back when
// the process stops.
func TestTrackProcessWeight(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	// Namespaces share the PID namespace, so the tracked process gets a name
	// no other test uses (comm is at most 15 characters).
	name := fmt.Sprintf("httpd%d", os.Getpid()%1000000)
	bin := filepath.Join(t.TempDir(), name)
	copyFile(t, "/bin/sleep", bin)

	tracked := fmt.Sprintf("vrrp_track_process httpd {\n  process %s\n  weight 10\n}\n", name)
	a := startHavip(t, l.Nodes[0], tracked+instanceConf{Priority: 105, VIPs: []string{vip4.String()},
		Extra: "  track_process {\n    httpd\n  }\n"}.conf())
	b := startHavip(t, l.Nodes[1], instanceConf{Priority: 110, VIPs: []string{vip4.String()}}.conf())
	b.WaitState(t, "VI_1", "MASTER", electionTimeout)
	a.WaitState(t, "VI_1", "BACKUP", electionTimeout)

	httpd := exec.Command(bin, "300")
	if err := httpd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpd.Process.Kill(); httpd.Wait() })
	a.WaitState(t, "VI_1", "MASTER", electionTimeout)
	b.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	a.waitLog(t, "priority change", "to=115", electionTimeout)

	httpd.Process.Kill()
	httpd.Wait()
	b.WaitState(t, "VI_1", "MASTER", electionTimeout)
	a.WaitState(t, "VI_1", "BACKUP", electionTimeout)

	again := exec.Command(bin, "300")
	if err := again.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Process.Kill(); again.Wait() })
	a.WaitState(t, "VI_1", "MASTER", electionTimeout)
	b.WaitState(t, "VI_1", "BACKUP", electionTimeout)
}

// TestTrackFileDecidesElection: the track_file value times its weight moves
// the priority; a status ≤ −254 is FAULT.
func TestTrackFileDecidesElection(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	file := filepath.Join(t.TempDir(), "weight")
	writeFile(t, file, "0\n")
	a := startHavip(t, l.Nodes[0], fmt.Sprintf("track_file tf {\n  file %s\n  weight 10\n}\n", file)+
		instanceConf{Priority: 100, VIPs: []string{vip4.String()}, Extra: "  track_file {\n    tf\n  }\n"}.conf())
	b := startHavip(t, l.Nodes[1], instanceConf{Priority: 110, VIPs: []string{vip4.String()}}.conf())
	b.WaitState(t, "VI_1", "MASTER", electionTimeout)
	a.WaitState(t, "VI_1", "BACKUP", electionTimeout)

	writeFile(t, file, "2\n") // 100 + 2 × 10 = 120 > 110
	a.WaitState(t, "VI_1", "MASTER", electionTimeout)
	b.WaitState(t, "VI_1", "BACKUP", electionTimeout)

	writeFile(t, file, "-30\n") // −300 ≤ −254: FAULT
	a.WaitState(t, "VI_1", "FAULT", electionTimeout)
	b.WaitState(t, "VI_1", "MASTER", electionTimeout)

	writeFile(t, file, "0\n") // back to 100 < 110: BACKUP
	a.WaitState(t, "VI_1", "BACKUP", electionTimeout)
}

// TestScriptRiseFallAndNotify: a weight-0 vrrp_script with rise 3 / fall 3
// takes the instance to FAULT and back; the generic notify script sees
// "INSTANCE VI_1 FAULT <prio>" and "INSTANCE VI_1 MASTER <prio>" in order.
func TestScriptRiseFallAndNotify(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	dir := t.TempDir()
	okFile, log := filepath.Join(dir, "healthy"), filepath.Join(dir, "notify.log")
	writeFile(t, okFile, "")
	notifyScript := filepath.Join(dir, "notify.sh")
	writeExecutable(t, notifyScript, fmt.Sprintf("#!/bin/sh\necho \"$1 $2 $3 $4\" >> %s\n", log))
	conf := fmt.Sprintf("vrrp_script chk {\n  script \"/usr/bin/test -e %s\"\n  interval 0.2\n  rise 3\n  fall 3\n}\n", okFile) +
		instanceConf{Priority: 120, VIPs: []string{vip4.String()},
			Extra: fmt.Sprintf("  track_script {\n    chk\n  }\n  notify %s\n", notifyScript)}.conf()
	a := startHavip(t, l.Nodes[0], conf)
	a.WaitState(t, "VI_1", "MASTER", electionTimeout)

	os.Remove(okFile)
	a.WaitState(t, "VI_1", "FAULT", electionTimeout)
	if l.Nodes[0].HasAddr(t, "eth0", vip4) {
		t.Error("the VIP stayed on a node in FAULT")
	}
	writeFile(t, okFile, "")
	a.WaitState(t, "VI_1", "MASTER", electionTimeout)

	want := []string{"INSTANCE VI_1 MASTER 120", "INSTANCE VI_1 FAULT 120", "INSTANCE VI_1 BACKUP 120", "INSTANCE VI_1 MASTER 120"}
	lab.Eventually(t, 5*time.Second, "notify to see MASTER, FAULT, BACKUP, MASTER in order", func() bool {
		return strings.Contains(readFile(log), strings.Join(want, "\n"))
	})
}

// TestNotifyFIFOScript: havip starts the notify_fifo_script with the FIFO as
// its argument; the reader receives keepalived's FIFO lines in transition
// order, down to the STOP line written at a graceful stop (with the
// effective priority, as keepalived writes it).
func TestNotifyFIFOScript(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	dir := t.TempDir()
	fifo, log := filepath.Join(dir, "notify.fifo"), filepath.Join(dir, "fifo.log")
	reader := filepath.Join(dir, "reader.sh")
	writeExecutable(t, reader, fmt.Sprintf("#!/bin/sh\nwhile IFS= read -r line; do printf '%%s\\n' \"$line\" >> %s; done < \"$1\"\n", log))
	conf := fmt.Sprintf("global_defs {\n  notify_fifo %s\n  notify_fifo_script %s\n}\n", fifo, reader) +
		instanceConf{Priority: 120, VIPs: []string{vip4.String()}}.conf()
	a := startHavip(t, l.Nodes[0], conf)
	a.WaitState(t, "VI_1", "MASTER", electionTimeout)
	lab.Eventually(t, 5*time.Second, "the reader to receive the MASTER line", func() bool {
		return strings.Contains(readFile(log), `INSTANCE "VI_1" MASTER 120`)
	})
	a.Stop(t)
	want := []string{`INSTANCE "VI_1" BACKUP 120`, `INSTANCE "VI_1" MASTER 120`, `INSTANCE "VI_1" STOP 120`}
	if got := readFile(log); got != strings.Join(want, "\n")+"\n" {
		t.Errorf("the notify_fifo_script read %q, want the lines %q", got, want)
	}
}

// TestHangingScriptIsBounded: a check script that never returns is killed at
// its timeout (with its children) and counts as a failure, while a second
// instance on the same node keeps advertising.
func TestHangingScriptIsBounded(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1, Client: true})
	marker := fmt.Sprintf("%d.%d", os.Getpid(), time.Now().UnixNano()%1e6)
	hang := filepath.Join(t.TempDir(), "hang.sh")
	// A child that keeps the output pipe open, and a parent that never returns.
	writeExecutable(t, hang, fmt.Sprintf("#!/bin/sh\nsleep 100 &\nexec sleep %s\n", marker))
	conf := fmt.Sprintf("vrrp_script hang {\n  script %s\n  interval 1\n  timeout 1\n  fall 1\n}\n", hang) +
		instanceConf{Priority: 120, VIPs: []string{vip4.String()}, Extra: "  track_script {\n    hang\n  }\n"}.conf() +
		instanceConf{Name: "VI_2", VRID: 52, Priority: 120, AdvertInt: "1", VIPs: []string{"192.0.2.101/24"}}.conf()
	capture := l.Client.Capture(t, "eth0", "ip proto 112")
	a := startHavip(t, l.Nodes[0], conf)
	a.WaitState(t, "VI_1", "FAULT", electionTimeout)
	a.WaitState(t, "VI_2", "MASTER", electionTimeout)
	a.waitLog(t, "tracker", "timed out", electionTimeout)

	// The hung runs are killed: never more than one alive at a time.
	holdsFor(t, 3*time.Second, "at most one hung script alive", func() bool {
		return len(pids(t, "sleep "+marker)) <= 1
	})
	lab.Eventually(t, 10*time.Second, "VI_2 adverts every second while VI_1's script hangs", func() bool {
		n := 0
		for _, p := range lab.DecodeVRRP(t, capture.Path()) {
			if p.VRID == 52 && p.Priority == 120 {
				n++
			}
		}
		return n >= 5
	})
	pkts := lab.DecodeVRRP(t, capture.Stop(t))
	var last float64
	for _, p := range pkts {
		if p.VRID != 52 || p.Priority != 120 {
			continue
		}
		if last != 0 && p.Time-last > 1.5 {
			t.Errorf("VI_2 adverts %.2fs apart while a script hung; want 1s", p.Time-last)
		}
		last = p.Time
	}
	a.Stop(t)
	lab.Eventually(t, 5*time.Second, "no hung script left after havip stopped", func() bool {
		return len(pids(t, "sleep "+marker)) == 0 && len(pids(t, hang)) == 0
	})
}

// TestTrackInterfaceSecondLink: carrier loss on a tracked second interface
// (weight 0) puts the instance in FAULT; carrier back, it preempts again.
func TestTrackInterfaceSecondLink(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	l.Nodes[0].AddLink(t, "eth1")
	a := startHavip(t, l.Nodes[0], instanceConf{Priority: 120, VIPs: []string{vip4.String()},
		Extra: "  track_interface {\n    eth1\n  }\n"}.conf())
	b := startHavip(t, l.Nodes[1], instanceConf{Priority: 110, VIPs: []string{vip4.String()}}.conf())
	a.WaitState(t, "VI_1", "MASTER", electionTimeout)
	b.WaitState(t, "VI_1", "BACKUP", electionTimeout)

	l.Nodes[0].SetPeerLink(t, "eth1", false)
	a.WaitState(t, "VI_1", "FAULT", electionTimeout)
	b.WaitState(t, "VI_1", "MASTER", electionTimeout)

	l.Nodes[0].SetPeerLink(t, "eth1", true)
	a.WaitState(t, "VI_1", "MASTER", electionTimeout)
	b.WaitState(t, "VI_1", "BACKUP", electionTimeout)
}

// TestSyncGroupMovesTogether: two instances in a vrrp_sync_group; a FAULT in
// one moves both VIPs to the peer, and the group notify script sees it.
func TestSyncGroupMovesTogether(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	l.Nodes[0].AddLink(t, "eth1")
	dir := t.TempDir()
	log := filepath.Join(dir, "notify.log")
	notifyScript := filepath.Join(dir, "notify.sh")
	writeExecutable(t, notifyScript, fmt.Sprintf("#!/bin/sh\necho \"$1 $2 $3 $4\" >> %s\n", log))
	vip2 := "192.0.2.101/24"
	group := func(withNotify bool) string {
		s := "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n"
		if withNotify {
			s += "  notify " + notifyScript + "\n"
		}
		return s + "}\n"
	}
	confA := group(true) +
		instanceConf{Priority: 120, VIPs: []string{vip4.String()}, Extra: "  track_interface {\n    eth1\n  }\n"}.conf() +
		instanceConf{Name: "VI_2", VRID: 52, Priority: 120, VIPs: []string{vip2}}.conf()
	confB := group(false) +
		instanceConf{Priority: 110, VIPs: []string{vip4.String()}}.conf() +
		instanceConf{Name: "VI_2", VRID: 52, Priority: 110, VIPs: []string{vip2}}.conf()
	a := startHavip(t, l.Nodes[0], confA)
	b := startHavip(t, l.Nodes[1], confB)
	for _, inst := range []string{"VI_1", "VI_2"} {
		a.WaitState(t, inst, "MASTER", electionTimeout)
		b.WaitState(t, inst, "BACKUP", electionTimeout)
	}

	l.Nodes[0].SetPeerLink(t, "eth1", false) // only VI_1 tracks eth1
	for _, inst := range []string{"VI_1", "VI_2"} {
		a.WaitState(t, inst, "FAULT", electionTimeout)
		b.WaitState(t, inst, "MASTER", electionTimeout)
	}
	for _, p := range []string{vip4.String(), vip2} {
		pfx := mustPrefix(t, p)
		lab.Eventually(t, 5*time.Second, p+" on the peer only", func() bool {
			return l.Nodes[1].HasAddr(t, "eth0", pfx) && !l.Nodes[0].HasAddr(t, "eth0", pfx)
		})
	}
	lab.Eventually(t, 5*time.Second, "group notify GROUP G FAULT", func() bool {
		return strings.Contains(readFile(log), "GROUP G FAULT 0")
	})

	l.Nodes[0].SetPeerLink(t, "eth1", true)
	for _, inst := range []string{"VI_1", "VI_2"} {
		a.WaitState(t, inst, "MASTER", electionTimeout)
		b.WaitState(t, inst, "BACKUP", electionTimeout)
	}
	lab.Eventually(t, 5*time.Second, "group notify GROUP G MASTER after the fault", func() bool {
		s := readFile(log)
		i := strings.Index(s, "GROUP G FAULT 0")
		return i >= 0 && strings.Contains(s[i:], "GROUP G MASTER 0")
	})
}

// waitLog waits for a log line with msg that contains want.
func (s *speaker) waitLog(t *testing.T, msg, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, line := range strings.Split(s.proc.Output(), "\n") {
			if (strings.Contains(line, "msg="+msg+" ") || strings.Contains(line, `msg="`+msg+`"`)) && strings.Contains(line, want) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("havip in %s never logged %q with %q; log:\n%s", s.node.NS, msg, want, s.proc.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pids lists the processes whose command line contains pattern.
func pids(t *testing.T, pattern string) []string {
	t.Helper()
	out, err := exec.Command("pgrep", "-f", pattern).Output()
	if err != nil && len(out) > 0 {
		t.Fatalf("pgrep -f %q: %v", pattern, err)
	}
	return strings.Fields(string(out))
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeExecutable(t, to, string(b))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeExecutable(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func mustPrefix(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNotifyEventsBeyondStates: keepalived's other notify events. A master
// that hears a lower-priority master (the peer drops every advert it is
// sent, so it never yields) runs notify_master_rx_lower_pri and writes
// MASTER_RX_LOWER_PRI lines; with vrrp_notify_priority_changes a priority
// change writes MASTER_PRIORITY.
func TestNotifyEventsBeyondStates(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	dir := t.TempDir()
	fifoLog, rxLog, weight := filepath.Join(dir, "fifo.log"), filepath.Join(dir, "rx.log"), filepath.Join(dir, "weight")
	writeFile(t, weight, "0\n")
	reader, rxScript := filepath.Join(dir, "reader.sh"), filepath.Join(dir, "rx.sh")
	writeExecutable(t, reader, fmt.Sprintf("#!/bin/sh\nwhile IFS= read -r line; do printf '%%s\\n' \"$line\" >> %s; done < \"$1\"\n", fifoLog))
	writeExecutable(t, rxScript, fmt.Sprintf("#!/bin/sh\necho \"rx $#\" >> %s\n", rxLog))
	conf := fmt.Sprintf("global_defs {\n  notify_fifo %s\n  notify_fifo_script %s\n  vrrp_notify_priority_changes\n}\n", filepath.Join(dir, "fifo"), reader) +
		fmt.Sprintf("track_file tf {\n  file %s\n  weight 10\n}\n", weight) +
		instanceConf{Priority: 120, VIPs: []string{vip4.String()},
			Extra: fmt.Sprintf("  track_file {\n    tf\n  }\n  notify_master_rx_lower_pri %s\n", rxScript)}.conf()
	// The peer drops all VRRP it is sent (raw sockets read after the input
	// hook), so it stays MASTER at 110 and keeps advertising.
	l.Nodes[1].Exec(t, "nft", "add table inet havip_e2e ; add chain inet havip_e2e in { type filter hook input priority 0 ; } ; "+
		"add rule inet havip_e2e in meta l4proto 112 drop")
	b := startHavip(t, l.Nodes[1], instanceConf{Priority: 110, VIPs: []string{vip4.String()}}.conf())
	b.WaitState(t, "VI_1", "MASTER", electionTimeout)
	a := startHavip(t, l.Nodes[0], conf)
	a.WaitState(t, "VI_1", "MASTER", electionTimeout)

	lab.Eventually(t, 5*time.Second, "a MASTER_RX_LOWER_PRI line and the rx_lower_pri script run without arguments", func() bool {
		return strings.Contains(readFile(fifoLog), `INSTANCE "VI_1" MASTER_RX_LOWER_PRI 120`) && strings.Contains(readFile(rxLog), "rx 0\n")
	})
	writeFile(t, weight, "1\n") // 120 + 10
	lab.Eventually(t, 5*time.Second, "a MASTER_PRIORITY 130 line", func() bool {
		return strings.Contains(readFile(fifoLog), `INSTANCE "VI_1" MASTER_PRIORITY 130`)
	})
	if strings.Contains(readFile(fifoLog), "BACKUP_PRIORITY") {
		t.Errorf("a BACKUP_PRIORITY line from a node that was MASTER:\n%s", readFile(fifoLog))
	}
}

// TestSyncGroupWeightedTrackInterface: in a sync group without
// sync_group_tracking_weight, keepalived 2.2.7 reports a track_interface's
// weight as ignored, yet applies it: carrier loss on eth1 lowers VI_1's
// adverts from 120 to 100, below the keepalived peer's 110 (which, its
// group's VI_2 still hearing 120, stays BACKUP). keepalived first, then
// havip, each beside the keepalived peer.
func TestSyncGroupWeightedTrackInterface(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	n0 := l.Nodes[0]
	n0.AddLink(t, "eth1")
	group := "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n"
	conf := group +
		instanceConf{Priority: 120, VIPs: []string{vip4.String()}, Extra: "  track_interface {\n    eth1 weight -20\n  }\n"}.conf() +
		instanceConf{Name: "VI_2", VRID: 52, Priority: 120, VIPs: []string{"192.0.2.101/24"}}.conf()
	peer := l.Nodes[1].StartKeepalived(t, group+instanceConf{Priority: 110, VIPs: []string{vip4.String()}}.conf()+
		instanceConf{Name: "VI_2", VRID: 52, Priority: 110, VIPs: []string{"192.0.2.101/24"}}.conf())
	lowered := "(VI_1) received lower priority (100) advert from " + n0.IPv4.String()
	runBoth(t, n0, func(t *testing.T, d *daemon) {
		d.startMaster(t, conf)
		d.WaitState(t, "VI_2", "MASTER", electionTimeout)
		peer.WaitState(t, "VI_1", "BACKUP", electionTimeout)
		before := strings.Count(peer.Log(), lowered)
		n0.SetPeerLink(t, "eth1", false)
		lab.Eventually(t, electionTimeout, d.name+"'s VI_1 advertising priority 100 to the peer", func() bool {
			return strings.Count(peer.Log(), lowered) >= before+2
		})
		if d.State("VI_1") != "MASTER" || d.State("VI_2") != "MASTER" || peer.State("VI_1") != "BACKUP" {
			t.Fatalf("%s: VI_1 %s, VI_2 %s, the peer's VI_1 %s; want MASTER, MASTER, BACKUP", d.name, d.State("VI_1"), d.State("VI_2"), peer.State("VI_1"))
		}
		n0.SetPeerLink(t, "eth1", true)
		d.Stop(t)
	})
}
