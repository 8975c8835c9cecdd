package e2e

import (
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

var vip4 = netip.MustParsePrefix("192.0.2.100/24")

// startPair runs havip on two nodes with priorities 120 and 110 and waits
// for the election: node 0 MASTER, node 1 BACKUP.
func startPair(t *testing.T, l *lab.Lab, extra instanceConf) (hi, lo *speaker) {
	t.Helper()
	extra.VIPs = []string{vip4.String()}
	a, b := extra, extra
	a.Priority, b.Priority = 120, 110
	lo = startHavip(t, l.Nodes[1], b.conf())
	hi = startHavip(t, l.Nodes[0], a.conf())
	hi.WaitState(t, "VI_1", "MASTER", electionTimeout)
	lo.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	return hi, lo
}

func TestElectionHighestPriorityWins(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		priorities []int
		want       int // index of the node that must become MASTER
	}{
		{"two nodes", []int{120, 110}, 0},
		{"three nodes", []int{100, 120, 110}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := lab.New(t, lab.Options{Nodes: len(tc.priorities)})
			speakers := make([]*speaker, len(tc.priorities))
			for i, p := range tc.priorities {
				speakers[i] = startHavip(t, l.Nodes[i], instanceConf{Priority: p, VIPs: []string{vip4.String()}}.conf())
			}
			speakers[tc.want].WaitState(t, "VI_1", "MASTER", electionTimeout)
			for i, s := range speakers {
				if i != tc.want {
					s.WaitState(t, "VI_1", "BACKUP", electionTimeout)
				}
			}
			for i, n := range l.Nodes {
				if got := n.HasAddr(t, "eth0", vip4); got != (i == tc.want) {
					t.Errorf("node %d (priority %d) has the VIP: %v, want %v", i, tc.priorities[i], got, i == tc.want)
				}
			}
		})
	}
}

// TestSplitBrainHealsByAddressTieBreak cuts an equal-priority pair apart so
// that both become master, then joins them: the master with the higher
// primary address keeps MASTER (RFC 3768/5798 tie-break), the other yields.
func TestSplitBrainHealsByAddressTieBreak(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	conf := instanceConf{Priority: 100, VIPs: []string{vip4.String()}}.conf()
	low := startHavip(t, l.Nodes[0], conf) // 192.0.2.1
	low.WaitState(t, "VI_1", "MASTER", electionTimeout)
	high := startHavip(t, l.Nodes[1], conf) // 192.0.2.2
	high.WaitState(t, "VI_1", "BACKUP", electionTimeout)

	l.Detach(t, l.Nodes[1])
	high.WaitState(t, "VI_1", "MASTER", electionTimeout) // split brain: both MASTER
	l.Attach(t, l.Nodes[1])
	low.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	high.WaitState(t, "VI_1", "MASTER", electionTimeout)
	lab.Eventually(t, 5*time.Second, "the VIP to leave the lower-address node", func() bool {
		return !l.Nodes[0].HasAddr(t, "eth0", vip4)
	})
}

func TestNodeLossMovesVIPAndClientFollows(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2, Client: true})
	hi, lo := startPair(t, l, instanceConf{})
	vip := vip4.Addr()

	l.Client.Exec(t, "ping", "-c", "1", "-W", "2", vip.String())
	if got, want := l.Client.Neighbor(t, vip), l.Nodes[0].HardwareAddr(t, "eth0"); got != want {
		t.Fatalf("client's neighbour entry for the VIP = %q, want the master's MAC %q", got, want)
	}

	l.Detach(t, l.Nodes[0]) // silent loss: link stays up, adverts stop arriving
	lo.WaitState(t, "VI_1", "MASTER", electionTimeout)
	if !l.Nodes[1].HasAddr(t, "eth0", vip4) {
		t.Fatal("new master does not hold the VIP")
	}
	newMAC := l.Nodes[1].HardwareAddr(t, "eth0")
	lab.Eventually(t, 5*time.Second, "client's neighbour entry for the VIP to point at the new master (gratuitous ARP)", func() bool {
		return l.Client.Neighbor(t, vip) == newMAC
	})
	l.Client.Exec(t, "ping", "-c", "1", "-W", "2", vip.String())

	// The old master comes back with the higher priority and preempts.
	l.Attach(t, l.Nodes[0])
	lo.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	hi.WaitState(t, "VI_1", "MASTER", electionTimeout)
	lab.Eventually(t, 5*time.Second, "the VIP to leave the backup", func() bool {
		return !l.Nodes[1].HasAddr(t, "eth0", vip4)
	})
}

func TestGracefulStopReleasesAtOnce(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	hi, lo := startPair(t, l, instanceConf{})
	stopped := time.Now()
	hi.Stop(t)
	if l.Nodes[0].HasAddr(t, "eth0", vip4) {
		t.Error("the stopped master still holds the VIP")
	}
	// A priority-0 advert makes the backup take over after Skew_Time
	// (0.57 s at priority 110), far sooner than Master_Down_Interval (3.57 s).
	lo.WaitState(t, "VI_1", "MASTER", 3*time.Second)
	if !l.Nodes[1].HasAddr(t, "eth0", vip4) {
		t.Fatal("the backup became master without the VIP")
	}
	t.Logf("backup took over %v after SIGTERM", time.Since(stopped).Round(time.Millisecond))
}

func TestNopreemptKeepsLowerPriorityMaster(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	lowConf := instanceConf{Priority: 110, Nopreempt: true, VIPs: []string{vip4.String()}}
	lo := startHavip(t, l.Nodes[1], lowConf.conf())
	lo.WaitState(t, "VI_1", "MASTER", electionTimeout)

	highConf := lowConf
	highConf.Priority = 120
	hi := startHavip(t, l.Nodes[0], highConf.conf())
	hi.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	// Three Master_Down_Intervals of the higher node: with preemption it
	// would have taken over within one.
	holdsFor(t, 3*(3*time.Second+time.Second), "the lower-priority master to keep MASTER under nopreempt", func() bool {
		return lo.State("VI_1") == "MASTER" && hi.State("VI_1") == "BACKUP"
	})
}

func TestPreemptDelayWaitsBeforeTakingOver(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	lo := startHavip(t, l.Nodes[1], instanceConf{Priority: 110, VIPs: []string{vip4.String()}}.conf())
	lo.WaitState(t, "VI_1", "MASTER", electionTimeout)

	const delay = 4 * time.Second
	hi := startHavip(t, l.Nodes[0], instanceConf{Priority: 120, PreemptDelay: "4", VIPs: []string{vip4.String()}}.conf())
	hi.WaitState(t, "VI_1", "MASTER", delay+electionTimeout)
	lo.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	backupAt, masterAt := hi.transitionTime(t, "VI_1", "BACKUP"), hi.transitionTime(t, "VI_1", "MASTER")
	if waited := masterAt.Sub(backupAt); waited < delay {
		t.Fatalf("took over %v after starting, before preempt_delay %v expired", waited, delay)
	}
}

// holdsFor fails the test if cond turns false at any poll during window.
// It observes an absence of change (nopreempt), so it runs for the window.
func holdsFor(t *testing.T, window time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(window)
	for time.Now().Before(end) {
		if !cond() {
			t.Fatalf("expected %s for %v; it stopped holding", what, window)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// transitionTime returns when havip logged instance's first move to state.
func (s *speaker) transitionTime(t *testing.T, instance, state string) time.Time {
	t.Helper()
	for _, tr := range s.logged(instance) {
		if tr.to == state {
			ts, err := time.Parse(time.RFC3339Nano, tr.at)
			if err != nil {
				t.Fatalf("bad log time %q: %v", tr.at, err)
			}
			return ts
		}
	}
	t.Fatalf("havip in %s never logged %s %s", s.node.NS, instance, state)
	return time.Time{}
}

// TestCrashLeftoverVIPRemovedAtStart: a master killed with SIGKILL leaves its
// VIP behind (nothing can release it); the next havip start removes it before
// the election instead of answering for an address it does not own.
func TestCrashLeftoverVIPRemovedAtStart(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	hi, lo := startPair(t, l, instanceConf{})
	if err := hi.proc.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := hi.proc.Wait(5 * time.Second); err == nil || !l.Nodes[0].HasAddr(t, "eth0", vip4) {
		t.Fatalf("after SIGKILL: wait error %v, VIP still on the node %v; want a killed process and a leftover VIP",
			err, l.Nodes[0].HasAddr(t, "eth0", vip4))
	}
	lo.WaitState(t, "VI_1", "MASTER", electionTimeout)

	restarted := startHavip(t, l.Nodes[0], instanceConf{Priority: 100, VIPs: []string{vip4.String()}}.conf())
	restarted.waitLog(t, "removed a VIP left over from an earlier run", "192.0.2.100/24", electionTimeout)
	restarted.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	if l.Nodes[0].HasAddr(t, "eth0", vip4) {
		t.Error("the restarted backup still holds the leftover VIP")
	}
}

// TestLinkDownIsFault: the instance's own interface losing carrier puts it in
// FAULT and the backup takes over; carrier back, it preempts again.
func TestLinkDownIsFault(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	hi, lo := startPair(t, l, instanceConf{})
	l.Nodes[0].SetLink(t, "eth0", false)
	hi.WaitState(t, "VI_1", "FAULT", electionTimeout)
	lo.WaitState(t, "VI_1", "MASTER", electionTimeout)
	if l.Nodes[0].HasAddr(t, "eth0", vip4) {
		t.Error("the node in FAULT kept the VIP")
	}
	l.Nodes[0].SetLink(t, "eth0", true)
	hi.WaitState(t, "VI_1", "MASTER", electionTimeout)
	lo.WaitState(t, "VI_1", "BACKUP", electionTimeout)
}

// TestDontTrackPrimary: with dont_track_primary the instance's own link going
// down is logged but is no FAULT; the instance stays MASTER.
func TestDontTrackPrimary(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	a := startHavip(t, l.Nodes[0], instanceConf{Priority: 120, VIPs: []string{vip4.String()}, Extra: "  dont_track_primary\n"}.conf())
	a.WaitState(t, "VI_1", "MASTER", electionTimeout)
	l.Nodes[0].SetLink(t, "eth0", false)
	a.waitLog(t, "interface down", "dont_track_primary=true", electionTimeout)
	// havip logs in order: once "interface up" is there, a FAULT would be too.
	l.Nodes[0].SetLink(t, "eth0", true)
	a.waitLog(t, "interface up", "instance=VI_1", electionTimeout)
	for _, tr := range a.logged("VI_1") {
		if tr.to == "FAULT" {
			t.Errorf("VI_1 went to FAULT with dont_track_primary:\n%s", a.proc.Output())
		}
	}
}

// TestStartupDelay: with vrrp_startup_delay 2 no instance starts until two
// seconds after havip began, by havip's own log clock.
func TestStartupDelay(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	a := startHavip(t, l.Nodes[0], "global_defs {\n  vrrp_startup_delay 2\n}\n"+instanceConf{Priority: 120, VIPs: []string{vip4.String()}}.conf())
	a.WaitState(t, "VI_1", "MASTER", electionTimeout)
	began, starting := logTime(t, a, `msg="havip running"`), logTime(t, a, `msg="instance starting"`)
	if d := starting.Sub(began); d < 2*time.Second {
		t.Errorf("the instance started %v after havip began, want at least vrrp_startup_delay 2s\n%s", d, a.proc.Output())
	}
}

// logTime returns the time= of the first line of s's log containing msg.
func logTime(t *testing.T, s *speaker, msg string) time.Time {
	t.Helper()
	for _, line := range strings.Split(s.proc.Output(), "\n") {
		if !strings.Contains(line, msg) {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		when, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil {
			t.Fatalf("log line without a time: %q: %v", line, err)
		}
		return when
	}
	t.Fatalf("no log line with %s:\n%s", msg, s.proc.Output())
	return time.Time{}
}
