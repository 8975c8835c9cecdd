package e2e

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// routingState is what `ip route` and `ip rule` show of one node's havip-installed
// routing: which of the routes and rules of TestRoutesAndRules are there.
func routingState(t *testing.T, n *lab.Node) map[string]bool {
	t.Helper()
	// -N prints protocols as numbers: 18 is keepalived's (RTPROT_KEEPALIVED), 4 is static.
	routes := n.Exec(t, "ip", "-N", "route", "show", "table", "all")
	rules := n.Exec(t, "ip", "-N", "rule", "show")
	addrs := n.Exec(t, "ip", "-4", "addr", "show", "dev", "eth0")
	return map[string]bool{
		"static address":      strings.Contains(addrs, "inet 198.51.100.1/32 scope global eth0"),
		"virtual route":       strings.Contains(routes, "198.51.100.0/25 via 192.0.2.254 dev eth0 proto 18"),
		"virtual route t100":  strings.Contains(routes, "203.0.113.0/24 dev eth0 table 100 proto 18"),
		"virtual rule":        strings.Contains(rules, "16383:\tfrom 192.0.2.100 lookup 100 proto 18"),
		"static route":        strings.Contains(routes, "198.51.100.128/25 via 192.0.2.254 dev eth0 proto 18"),
		"static rule":         strings.Contains(rules, "16384:\tfrom 203.0.113.0/24 lookup 101 proto 18"),
		"static rule (admin)": strings.Contains(rules, "200:\tfrom 198.51.100.0/24 lookup 102 proto 4"),
	}
}

// waitRouting waits until node's routing shows exactly want (true = present).
func waitRouting(t *testing.T, n *lab.Node, what string, want map[string]bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got := routingState(t, n)
		if maps.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: have %v, want %v\nip route:\n%sip rule:\n%s", what, got, want,
				n.Exec(t, "ip", "-N", "route", "show", "table", "all"), n.Exec(t, "ip", "-N", "rule", "show"))
		}
	}
}

// TestRoutesAndRules: virtual_routes and virtual_rules are installed on the
// MASTER only (rules without a preference numbered from 16384 down, as
// keepalived does, after the static ones) and move with the VIP;
// static_ipaddress, static_routes and static_rules are on every node while havip runs, and
// gone once it stops, except a rule with no_track keeps its own protocol.
func TestRoutesAndRules(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	static := "static_ipaddress {\n  198.51.100.1/32 dev eth0\n}\nstatic_routes {\n  198.51.100.128/25 via 192.0.2.254 dev eth0\n}\n" +
		"static_rules {\n  from 203.0.113.0/24 table 101\n  from 198.51.100.0/24 table 102 preference 200 protocol static no_track\n}\n"
	extra := "  virtual_routes {\n    198.51.100.0/25 via 192.0.2.254 dev eth0\n    203.0.113.0/24 dev eth0 table 100\n  }\n" +
		"  virtual_rules {\n    from 192.0.2.100 table 100\n  }\n"
	a := startHavip(t, l.Nodes[0], static+instanceConf{Priority: 120, VIPs: []string{vip4.String()}, Extra: extra}.conf())
	b := startHavip(t, l.Nodes[1], static+instanceConf{Priority: 110, VIPs: []string{vip4.String()}, Extra: extra}.conf())
	a.WaitState(t, "VI_1", "MASTER", electionTimeout)
	b.WaitState(t, "VI_1", "BACKUP", electionTimeout)

	all := map[string]bool{"static address": true, "virtual route": true, "virtual route t100": true, "virtual rule": true,
		"static route": true, "static rule": true, "static rule (admin)": true}
	staticOnly := map[string]bool{"static address": true, "virtual route": false, "virtual route t100": false, "virtual rule": false,
		"static route": true, "static rule": true, "static rule (admin)": true}
	waitRouting(t, l.Nodes[0], "the master to have the virtual and static routing", all)
	waitRouting(t, l.Nodes[1], "the backup to have the static routing only", staticOnly)

	a.Stop(t)
	b.WaitState(t, "VI_1", "MASTER", electionTimeout)
	waitRouting(t, l.Nodes[1], "the new master to have the virtual routing", all)
	// The stopped node removed all it installed; the no_track rule names
	// protocol static, so havip installed it and removes it too.
	waitRouting(t, l.Nodes[0], "the stopped node to have none of havip's routing", map[string]bool{
		"static address": false, "virtual route": false, "virtual route t100": false, "virtual rule": false,
		"static route": false, "static rule": false, "static rule (admin)": false})
}

// TestReloadChangesRoutesOfAMaster: a reload that replaces a MASTER's
// virtual route and adds a static one changes exactly those, without a
// transition.
func TestReloadChangesRoutesOfAMaster(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	conf := func(route, static string) string {
		return static + instanceConf{Priority: 150, VIPs: []string{vip4.String()},
			Extra: "  virtual_routes {\n    " + route + "\n  }\n"}.conf()
	}
	sup := startSupervise(t, l.Nodes[0], conf("198.51.100.0/25 via 192.0.2.254 dev eth0", ""))
	sup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	waitRouting(t, l.Nodes[0], "the master's virtual route", map[string]bool{"static address": false, "virtual route": true,
		"virtual route t100": false, "virtual rule": false, "static route": false, "static rule": false, "static rule (admin)": false})
	before := sup.transitions("VI_1")

	sup.edit(t, conf("203.0.113.0/24 dev eth0 table 100", "static_routes {\n  198.51.100.128/25 via 192.0.2.254 dev eth0\n}\n"))
	sup.waitLog(t, "config applied", "changed=1", reloadTimeout)
	waitRouting(t, l.Nodes[0], "the replaced virtual route and the added static one", map[string]bool{"static address": false, "virtual route": false,
		"virtual route t100": true, "virtual rule": false, "static route": true, "static rule": false, "static rule (admin)": false})
	if after := sup.transitions("VI_1"); after != before {
		t.Errorf("VI_1 logged %d transitions during the reload, want none", after-before)
	}
}
