package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// TestLinkBeat: with linkbeat_interfaces { eth0 }, keepalived 2.2.7 (run
// first, the reference) and havip poll eth0's link every second instead of
// following netlink: a lone master goes to FAULT within the poll interval
// after eth0 loses carrier (its peer set down), says so as a poll result,
// and is MASTER again after the carrier is back.
func TestLinkBeat(t *testing.T) {
	t.Parallel()
	const limit = 2 * time.Second // one poll interval, and slack
	l := lab.New(t, lab.Options{Nodes: 1})
	node := l.Nodes[0]
	conf := "linkbeat_interfaces {\n  eth0\n}\n" + instanceConf{Priority: 120, VIPs: []string{vip4.String()}}.conf()
	for _, tc := range []struct {
		start  func(*testing.T, *lab.Node, string) linkRouter
		polled []string // what the log says of polling eth0
	}{
		{keepalivedRouter, []string{"Using MII-BMSR/ETHTOOL NIC polling thread(s)", "Linkbeat reports eth0 down", "Linkbeat reports eth0 up"}},
		{havipRouter, []string{"linkbeat: polling the link", "type=ETHTOOL", "linkbeat reports a change", "up=false", "up=true"}},
	} {
		r := tc.start(t, node, conf)
		r.waitFor(t, "MASTER", time.Now(), electionTimeout)

		downAt := time.Now()
		l.SetPort(t, node, false)
		toFault := r.waitFor(t, "FAULT", downAt, electionTimeout)
		if up, carrier := node.LinkState(t, "eth0"); !up || carrier {
			t.Fatalf("eth0 up %v, carrier %v after its peer went down; want up without carrier", up, carrier)
		}
		upAt := time.Now()
		l.SetPort(t, node, true)
		toBackup := r.waitFor(t, "BACKUP", upAt, electionTimeout)
		toMaster := r.waitFor(t, "MASTER", upAt, electionTimeout)
		t.Logf("%s: FAULT %v after eth0 lost carrier, BACKUP %v and MASTER %v after it came back", r.name, toFault, toBackup, toMaster)
		if toFault > limit || toBackup > limit {
			t.Errorf("%s: FAULT %v after the carrier loss, BACKUP %v after its return; want both within %v", r.name, toFault, toBackup, limit)
		}
		for _, s := range tc.polled {
			if !strings.Contains(r.log(), s) {
				t.Errorf("%s: the log does not say %q; log:\n%s", r.name, s, r.log())
			}
		}
		r.stop()
	}
}

// TestLinkBeatTrackInterface: linkbeat is a property of the interface, so
// a track_interface listed in linkbeat_interfaces is polled too. With
// keepalived 2.2.7 (run first, the reference) and havip, a lone master
// tracking eth1 (polled) and eth2 (netlink) goes to FAULT within the poll
// interval after eth1 loses carrier, reported by the poll, and at once
// after eth2 loses it, reported by netlink.
func TestLinkBeatTrackInterface(t *testing.T) {
	t.Parallel()
	const (
		pollLimit    = 2 * time.Second        // one poll interval, and slack
		netlinkLimit = 500 * time.Millisecond // an event, and slack
	)
	l := lab.New(t, lab.Options{Nodes: 1})
	node := l.Nodes[0]
	node.AddLink(t, "eth1")
	node.AddLink(t, "eth2")
	conf := "linkbeat_interfaces {\n  eth1\n}\n" + instanceConf{Priority: 120, VIPs: []string{vip4.String()},
		Extra: "track_interface {\n    eth1\n    eth2\n  }"}.conf()
	for _, tc := range []struct {
		start    func(*testing.T, *lab.Node, string) linkRouter
		polled   []string // what the log says of polling eth1
		unpolled string   // what it would say of polling eth2
	}{
		{keepalivedRouter, []string{"Linkbeat reports eth1 down", "Linkbeat reports eth1 up"}, "Linkbeat reports eth2"},
		{havipRouter, []string{"linkbeat: polling the link\" interface=eth1 type=ETHTOOL", "linkbeat reports a change\" interface=eth1 up=false",
			"linkbeat reports a change\" interface=eth1 up=true"}, "interface=eth2 type="},
	} {
		r := tc.start(t, node, conf)
		r.waitFor(t, "MASTER", time.Now(), electionTimeout)
		var latency [2]time.Duration
		for i, iface := range []string{"eth1", "eth2"} {
			downAt := time.Now()
			node.SetPeerLink(t, iface, false)
			latency[i] = r.waitFor(t, "FAULT", downAt, electionTimeout)
			if up, carrier := node.LinkState(t, iface); !up || carrier {
				t.Fatalf("%s up %v, carrier %v after its peer went down; want up without carrier", iface, up, carrier)
			}
			node.SetPeerLink(t, iface, true)
			r.waitFor(t, "MASTER", time.Now(), electionTimeout)
		}
		t.Logf("%s: FAULT %v after the polled eth1 lost carrier, %v after eth2 (netlink) did", r.name, latency[0], latency[1])
		if latency[0] > pollLimit || latency[1] > netlinkLimit {
			t.Errorf("%s: FAULT %v after eth1 lost carrier, %v after eth2 did; want within %v (a poll) and %v (netlink)",
				r.name, latency[0], latency[1], pollLimit, netlinkLimit)
		}
		for _, s := range tc.polled {
			if !strings.Contains(r.log(), s) {
				t.Errorf("%s: the log does not say %q; log:\n%s", r.name, s, r.log())
			}
		}
		if strings.Contains(r.log(), tc.unpolled) {
			t.Errorf("%s: eth2 is polled (the log says %q); log:\n%s", r.name, tc.unpolled, r.log())
		}
		r.stop()
	}
}
