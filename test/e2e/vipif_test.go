package e2e

import (
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// vipRouter is keepalived or havip running two instances, with what the
// test reads of them.
type vipRouter struct {
	name   string
	state  func(instance string) string // the last logged state
	log    func() string
	faults func() string // VI_1's FAULT reasons in havip status; nil for keepalived
	stop   func()
}

// waitStates polls r until VI_1 and VI_2 are in states vi1 and vi2 and
// returns how long after start that was.
func (r vipRouter) waitStates(t *testing.T, vi1, vi2 string, start time.Time) time.Duration {
	t.Helper()
	if !lab.Poll(electionTimeout, 5*time.Millisecond, func() bool { return r.state("VI_1") == vi1 && r.state("VI_2") == vi2 }) {
		t.Fatalf("%s: VI_1 %q, VI_2 %q, not %s and %s after %v; log:\n%s", r.name, r.state("VI_1"), r.state("VI_2"),
			vi1, vi2, electionTimeout, r.log())
	}
	return time.Since(start)
}

// TestVIPInterfaceTracked: keepalived 2.2.7 (run first, the reference)
// and havip put an instance in FAULT while the interface of one of its
// VIPs (dev eth1, not its own eth0) is down, and not one whose VIP there
// is no_track; they leave FAULT when it is back. With eth1 in
// linkbeat_interfaces, the poll reports it (within a poll interval).
func TestVIPInterfaceTracked(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	node := l.Nodes[0]
	node.AddLink(t, "eth1")
	conf := instanceConf{Name: "VI_1", VRID: 51, Priority: 120, VIPs: []string{vip4.String(), "198.51.100.10/24 dev eth1"}}.conf() +
		instanceConf{Name: "VI_2", VRID: 52, Priority: 120, VIPs: []string{"192.0.2.101/24", "203.0.113.11/24 dev eth1 no_track"}}.conf()
	keepalived := func(t *testing.T, conf string) vipRouter {
		k := node.StartKeepalived(t, conf)
		return vipRouter{name: "keepalived", state: k.State, log: k.Log, stop: func() { k.Stop(t) }}
	}
	havip := func(t *testing.T, conf string) vipRouter {
		s := startHavip(t, node, conf)
		faults := func() string {
			table, err := exec.Command(havipBin, "status", "--socket", s.status).CombinedOutput()
			if err != nil || !strings.Contains(string(table), `interface "eth1" down`) {
				t.Errorf("havip status (%v) does not say eth1 is down:\n%s", err, table)
			}
			t.Logf("havip status:\n%s", table)
			for _, in := range s.snapshot(t).Instances {
				if in.Name == "VI_1" {
					return strings.Join(in.Faults, "; ")
				}
			}
			return ""
		}
		return vipRouter{name: "havip", state: s.State, log: s.proc.Output, faults: faults, stop: func() { s.Stop(t) }}
	}
	const (
		netlinkLimit = 500 * time.Millisecond // an event, and slack
		pollLimit    = 2 * time.Second        // one poll interval, and slack
	)
	for _, tc := range []struct {
		name   string
		prefix string // before the instances
		limit  time.Duration
		logs   map[string][]string // what each router's log says, by name
	}{
		{"netlink", "", netlinkLimit, map[string][]string{
			"keepalived": {"Netlink reports eth1 down", "Netlink reports eth1 up"},
		}},
		{"linkbeat", "linkbeat_interfaces {\n  eth1\n}\n", pollLimit, map[string][]string{
			"keepalived": {"Linkbeat reports eth1 down", "Linkbeat reports eth1 up"},
			"havip": {"linkbeat: polling the link\" interface=eth1 type=", "linkbeat reports a change\" interface=eth1 up=false",
				"linkbeat reports a change\" interface=eth1 up=true"},
		}},
	} {
		for _, start := range []func(*testing.T, string) vipRouter{keepalived, havip} {
			r := start(t, tc.prefix+conf)
			r.waitStates(t, "MASTER", "MASTER", time.Now())
			downAt := time.Now()
			node.SetPeerLink(t, "eth1", false)
			toFault := r.waitStates(t, "FAULT", "MASTER", downAt)
			if up, carrier := node.LinkState(t, "eth1"); !up || carrier {
				t.Fatalf("eth1 up %v, carrier %v after its peer went down; want up without carrier", up, carrier)
			}
			lab.Eventually(t, electionTimeout, r.name+": VI_1's VIP off eth1", func() bool {
				return !node.HasAddr(t, "eth1", netip.MustParsePrefix("198.51.100.10/24"))
			})
			if !node.HasAddr(t, "eth1", netip.MustParsePrefix("203.0.113.11/24")) {
				t.Errorf("%s (%s): VI_2's no_track VIP 203.0.113.11/24 is not on eth1", r.name, tc.name)
			}
			if r.faults != nil {
				if f := r.faults(); !strings.Contains(f, `interface "eth1" down`) || !strings.Contains(f, "198.51.100.10/24") {
					t.Errorf("%s: VI_1's faults %q; want eth1 down, the interface of 198.51.100.10/24", r.name, f)
				}
			}
			upAt := time.Now()
			node.SetPeerLink(t, "eth1", true)
			toMaster := r.waitStates(t, "MASTER", "MASTER", upAt)
			t.Logf("%s (%s): VI_1 FAULT %v after eth1 lost carrier, MASTER %v after it came back; VI_2 (no_track) stayed MASTER",
				r.name, tc.name, toFault, toMaster)
			if toFault > tc.limit {
				t.Errorf("%s (%s): FAULT %v after eth1 lost carrier, want within %v", r.name, tc.name, toFault, tc.limit)
			}
			for _, s := range tc.logs[r.name] {
				if n := strings.Count(r.log(), s); n != 1 {
					t.Errorf("%s (%s): the log says %q %d times, want once; log:\n%s", r.name, tc.name, s, n, r.log())
				}
			}
			r.stop()
		}
	}
}
