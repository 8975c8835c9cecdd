package e2e

import (
	"maps"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// TestVIPRemovedBehindTheMastersBack deletes the VIP from the master with
// `ip addr del`, first from a lone keepalived 2.2.7 (the reference), then from
// havip with keepalived as its backup. keepalived's behaviour, which havip
// matches: the master logs the removal, leaves MASTER with a priority-0
// advert, and the election runs again at once (Skew_Time); the higher
// priority wins it again and re-installs the VIP. The backup never takes it.
func TestVIPRemovedBehindTheMastersBack(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	conf := func(prio int) string { return instanceConf{Priority: prio, VIPs: []string{vip4.String()}}.conf() }

	// The reference: keepalived alone.
	ka := l.Nodes[0].StartKeepalived(t, conf(120))
	ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
	l.Nodes[0].Exec(t, "ip", "addr", "del", vip4.String(), "dev", "eth0")
	lab.Eventually(t, electionTimeout, "keepalived MASTER again after the VIP removal", func() bool {
		return strings.Count(ka.Log(), "(VI_1) Entering MASTER STATE") == 2
	})
	lab.Eventually(t, electionTimeout, "keepalived re-adding the VIP", func() bool { return l.Nodes[0].HasAddr(t, "eth0", vip4) })
	for _, want := range []string{"reports IP " + vip4.Addr().String() + " removed", "(VI_1) Entering BACKUP STATE", "(VI_1) sent 0 priority"} {
		if !strings.Contains(ka.Log(), want) {
			t.Fatalf("keepalived's log lacks %q:\n%s", want, ka.Log())
		}
	}
	ka.Stop(t)

	// havip master, keepalived backup.
	h := startHavip(t, l.Nodes[0], conf(120))
	h.WaitState(t, "VI_1", "MASTER", electionTimeout)
	backup := l.Nodes[1].StartKeepalived(t, conf(110))
	backup.WaitState(t, "VI_1", "BACKUP", electionTimeout)
	l.Nodes[0].Exec(t, "ip", "addr", "del", vip4.String(), "dev", "eth0")
	h.waitLog(t, "a VIP was removed behind havip's back; the master resigns and the election restores it", "vip="+vip4.String(), electionTimeout)
	deadline := time.Now().Add(electionTimeout)
	for {
		trs := h.logged("VI_1")
		if n := len(trs); n >= 3 && trs[n-2].to == "BACKUP" && trs[n-1].to == "MASTER" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("havip did not go BACKUP and MASTER again after the VIP removal; log:\n%s", h.proc.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	lab.Eventually(t, electionTimeout, "havip re-adding the VIP", func() bool { return l.Nodes[0].HasAddr(t, "eth0", vip4) })
	if !strings.Contains(h.proc.Output(), `reason="virtual address removed: `+vip4.String()+` on eth0"`) {
		t.Fatalf("havip's transition does not give the removal as its reason:\n%s", h.proc.Output())
	}
	if strings.Contains(backup.Log(), "Entering MASTER STATE") || l.Nodes[1].HasAddr(t, "eth0", vip4) {
		t.Fatalf("the keepalived backup took the VIP during the re-election:\n%s", backup.Log())
	}
	h.Stop(t)
	backup.Stop(t)
}

// removalRouting is the routing of TestRoutingRemovedBehindOurBack: a static address, route and
// rule, and the instance's virtual route and rule.
const removalRouting = "static_ipaddress {\n  198.51.100.1/32 dev eth0\n}\n" +
	"static_routes {\n  198.51.100.128/25 via 192.0.2.254 dev eth0\n}\n" +
	"static_rules {\n  from 203.0.113.0/24 table 101\n}\n"

const removalVirtualRouting = "  virtual_routes {\n    198.51.100.0/25 via 192.0.2.254 dev eth0\n  }\n" +
	"  virtual_rules {\n    from 192.0.2.100 table 100\n  }\n"

// removal is one thing TestRoutingRemovedBehindOurBack deletes: the command, and how `ip`
// shows it installed (with -N: protocol 18 is keepalived's).
type removal struct {
	name    string
	del     []string
	present func(t *testing.T, n *lab.Node) bool
	virtual bool // the master resigns, rather than the thing being restored in place
}

var removals = []removal{
	{"virtual route", []string{"ip", "route", "del", "198.51.100.0/25"}, func(t *testing.T, n *lab.Node) bool {
		return strings.Contains(n.Exec(t, "ip", "-N", "route", "show"), "198.51.100.0/25 via 192.0.2.254 dev eth0 proto 18")
	}, true},
	{"virtual rule", []string{"ip", "rule", "del", "from", "192.0.2.100", "table", "100"}, func(t *testing.T, n *lab.Node) bool {
		return strings.Contains(n.Exec(t, "ip", "-N", "rule", "show"), "from 192.0.2.100 lookup 100 proto 18")
	}, true},
	{"static route", []string{"ip", "route", "del", "198.51.100.128/25"}, func(t *testing.T, n *lab.Node) bool {
		return strings.Contains(n.Exec(t, "ip", "-N", "route", "show"), "198.51.100.128/25 via 192.0.2.254 dev eth0 proto 18")
	}, false},
	{"static rule", []string{"ip", "rule", "del", "from", "203.0.113.0/24", "table", "101"}, func(t *testing.T, n *lab.Node) bool {
		return strings.Contains(n.Exec(t, "ip", "-N", "rule", "show"), "from 203.0.113.0/24 lookup 101 proto 18")
	}, false},
	{"static address", []string{"ip", "addr", "del", "198.51.100.1/32", "dev", "eth0"}, func(t *testing.T, n *lab.Node) bool {
		return n.HasAddr(t, "eth0", netip.MustParsePrefix("198.51.100.1/32"))
	}, false},
}

// removalLogs is what each daemon logs of TestRoutingRemovedBehindOurBack's removals.
var removalLogs = map[string][]string{
	"keepalived": {"Restoring deleted static route", "Restoring deleted static rule", "Restoring deleted static address", "(VI_1) sent 0 priority"},
	"havip": {
		`reason="virtual route removed: 198.51.100.0/25 via 192.0.2.254 dev eth0 proto keepalived"`,
		`reason="virtual rule removed: from 192.0.2.100/32 protocol keepalived table 100 preference 16383"`,
		`msg="a static route was removed behind havip's back; havip restored it"`,
		`msg="a static rule was removed behind havip's back; havip restored it"`,
		`msg="a static address was removed behind havip's back; havip restored it"`,
	},
}

// TestRoutingRemovedBehindOurBack deletes, one at a time, a virtual route, a virtual rule and a
// static route, rule and address from a lone master, first keepalived 2.2.7 (the reference),
// then havip. keepalived's behaviour, which havip matches: a removed virtual route or rule makes
// the master leave MASTER with a priority-0 advert and win the election again at once, which
// re-installs it; a removed static route, rule or address is installed again in place.
func TestRoutingRemovedBehindOurBack(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	n := l.Nodes[0]
	conf := removalRouting + instanceConf{Priority: 120, VIPs: []string{vip4.String()}, Extra: removalVirtualRouting}.conf()

	runBoth(t, n, func(t *testing.T, d *daemon) {
		d.startMaster(t, conf)
		for _, r := range removals {
			lab.Eventually(t, electionTimeout, d.name+": "+r.name+" installed", func() bool { return r.present(t, n) })
			before := d.entered("VI_1", "MASTER")
			n.Exec(t, r.del...)
			lab.Eventually(t, electionTimeout, d.name+": "+r.name+" back after its removal", func() bool { return r.present(t, n) })
			if r.virtual {
				lab.Eventually(t, electionTimeout, d.name+": MASTER again after the "+r.name+" removal", func() bool { return d.entered("VI_1", "MASTER") == before+1 })
			}
			d.WaitState(t, "VI_1", "MASTER", electionTimeout)
			if !r.virtual && d.entered("VI_1", "MASTER") != before {
				t.Fatalf("%s: the %s removal changed the master's state", d.name, r.name)
			}
		}
		for _, want := range removalLogs[d.name] {
			if !strings.Contains(d.Log(), want) {
				t.Fatalf("%s's log lacks %q:\n%s", d.name, want, d.Log())
			}
		}
		if d.hv != nil {
			snap := d.hv.snapshot(t)
			if got := snap.Instances[0].Stats.RoutingRemovals; got != 2 {
				t.Errorf("status: %d routing removals, want 2", got)
			}
			if want := map[string]uint64{"route": 1, "rule": 1, "address": 1}; !maps.Equal(snap.StaticRestored, want) {
				t.Errorf("status: static restored %v, want %v", snap.StaticRestored, want)
			}
		}
		d.Stop(t)
	})
}
