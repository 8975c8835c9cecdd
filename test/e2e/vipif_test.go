package e2e

import (
	"fmt"
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

// states is "VI_1=STATE VI_2=STATE ..." of r's first n instances.
func (r vipRouter) states(n int) string {
	s := make([]string, n)
	for i := range s {
		name := fmt.Sprintf("VI_%d", i+1)
		s[i] = name + "=" + r.state(name)
	}
	return strings.Join(s, " ")
}

// waitStates polls r until its instances VI_1, VI_2, ... are in the states
// of want, in order, and returns how long after start that was.
func (r vipRouter) waitStates(t *testing.T, start time.Time, want ...string) time.Duration {
	t.Helper()
	s := make([]string, len(want))
	for i, w := range want {
		s[i] = fmt.Sprintf("VI_%d=%s", i+1, w)
	}
	if !lab.Poll(electionTimeout, 5*time.Millisecond, func() bool { return r.states(len(want)) == strings.Join(s, " ") }) {
		t.Fatalf("%s: %s, not %s after %v; log:\n%s", r.name, r.states(len(want)), strings.Join(s, " "), electionTimeout, r.log())
	}
	return time.Since(start)
}

func keepalivedVIPRouter(t *testing.T, node *lab.Node, conf string) vipRouter {
	k := node.StartKeepalived(t, conf)
	return vipRouter{name: "keepalived", state: k.State, log: k.Log, stop: func() { k.Stop(t) }}
}

func havipVIPRouter(t *testing.T, node *lab.Node, conf string) (vipRouter, *speaker) {
	s := startHavip(t, node, conf)
	return vipRouter{name: "havip", state: s.State, log: s.proc.Output, stop: func() { s.Stop(t) }}, s
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
	keepalived := func(t *testing.T, conf string) vipRouter { return keepalivedVIPRouter(t, node, conf) }
	havip := func(t *testing.T, conf string) vipRouter {
		r, s := havipVIPRouter(t, node, conf)
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
		r.faults = faults
		return r
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
			r.waitStates(t, time.Now(), "MASTER", "MASTER")
			downAt := time.Now()
			node.SetPeerLink(t, "eth1", false)
			toFault := r.waitStates(t, downAt, "FAULT", "MASTER")
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
			toMaster := r.waitStates(t, upAt, "MASTER", "MASTER")
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

// TestRouteRuleInterfaceTracked: keepalived 2.2.7 (run first, the
// reference) and havip put an instance in FAULT while the dev of one of
// its virtual_routes (eth1) or the iif of one of its virtual_rules (eth2)
// has no carrier; and, with dont_track_primary, while its own eth0 has
// none if a virtual route is on it, though not without one.
func TestRouteRuleInterfaceTracked(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	node := l.Nodes[0]
	node.AddLink(t, "eth1")
	node.AddLink(t, "eth2")
	conf := instanceConf{Name: "VI_1", VRID: 51, Priority: 120, VIPs: []string{vip4.String()},
		Extra: "  virtual_routes {\n    203.0.113.0/26 dev eth1\n  }\n"}.conf() +
		instanceConf{Name: "VI_2", VRID: 52, Priority: 120, VIPs: []string{"192.0.2.101/24"},
			Extra: "  virtual_rules {\n    from 192.0.2.101 table 100 iif eth2\n  }\n"}.conf() +
		instanceConf{Name: "VI_3", VRID: 53, Priority: 120, VIPs: []string{"192.0.2.102/24"},
			Extra: "  dont_track_primary\n  virtual_routes {\n    203.0.113.64/26 dev eth0\n  }\n"}.conf() +
		instanceConf{Name: "VI_4", VRID: 54, Priority: 120, VIPs: []string{"192.0.2.103/24"}, Extra: "  dont_track_primary\n"}.conf()
	havip := func(t *testing.T, conf string) vipRouter {
		r, _ := havipVIPRouter(t, node, conf)
		return r
	}
	for _, start := range []func(*testing.T, *lab.Node, string) vipRouter{keepalivedVIPRouter, func(t *testing.T, _ *lab.Node, conf string) vipRouter {
		return havip(t, conf)
	}} {
		r := start(t, node, conf)
		r.waitStates(t, time.Now(), "MASTER", "MASTER", "MASTER", "MASTER")
		for _, step := range []struct {
			what string
			set  func(up bool)
			down []string // the states while it has no carrier
		}{
			{"eth1 (VI_1's route)", func(up bool) { node.SetPeerLink(t, "eth1", up) }, []string{"FAULT", "MASTER", "MASTER", "MASTER"}},
			{"eth2 (VI_2's rule)", func(up bool) { node.SetPeerLink(t, "eth2", up) }, []string{"MASTER", "FAULT", "MASTER", "MASTER"}},
			{"eth0", func(up bool) { l.SetPort(t, node, up) }, []string{"FAULT", "FAULT", "FAULT", "MASTER"}},
		} {
			downAt := time.Now()
			step.set(false)
			toFault := r.waitStates(t, downAt, step.down...)
			during := r.states(4)
			upAt := time.Now()
			step.set(true)
			toMaster := r.waitStates(t, upAt, "MASTER", "MASTER", "MASTER", "MASTER")
			t.Logf("%s: %s %v after %s lost carrier, all MASTER %v after it came back", r.name, during, toFault, step.what, toMaster)
		}
		r.stop()
	}
}
