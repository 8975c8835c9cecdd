package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// linkRouter is keepalived or havip running one instance, VI_1, as the
// link tests see it.
type linkRouter struct {
	name  string
	state func() string // VI_1's last logged state
	log   func() string
	// held is what its log says when a link change waits for
	// interface_up_down_delays; restored, when the link came back within the
	// delay ("": keepalived says nothing when the flags are back as they were).
	held, restored string
	stop           func()
}

func keepalivedRouter(t *testing.T, node *lab.Node, conf string) linkRouter {
	k := node.StartKeepalived(t, conf)
	return linkRouter{name: "keepalived", state: func() string { return k.State("VI_1") }, log: k.Log,
		held: "eth0: Adding flags change", stop: func() { k.Stop(t) }}
}

func havipRouter(t *testing.T, node *lab.Node, conf string) linkRouter {
	s := startHavip(t, node, conf)
	return linkRouter{name: "havip", state: func() string { return s.State("VI_1") }, log: s.proc.Output,
		held: "interface state change held by interface_up_down_delays", restored: "interface state restored within interface_up_down_delays",
		stop: func() { s.Stop(t) }}
}

// waitFor polls r's VI_1 until it is in state and returns how long after
// start that was.
func (r linkRouter) waitFor(t *testing.T, state string, start time.Time, timeout time.Duration) time.Duration {
	t.Helper()
	if !lab.Poll(timeout, 5*time.Millisecond, func() bool { return r.state() == state }) {
		t.Fatalf("%s: VI_1 is %q, not %s, after %v; log:\n%s", r.name, r.state(), state, timeout, r.log())
	}
	return time.Since(start)
}

// waitLogCount waits until r's log holds more than n copies of msg.
func (r linkRouter) waitLogCount(t *testing.T, msg string, n int, timeout time.Duration) {
	t.Helper()
	if !lab.Poll(timeout, 5*time.Millisecond, func() bool { return strings.Count(r.log(), msg) > n }) {
		t.Fatalf("%s never logged %q; log:\n%s", r.name, msg, r.log())
	}
}

// TestInterfaceUpDownDelays: with interface_up_down_delays { eth0 1.5 1 }
// a link flap shorter than the delay leaves keepalived 2.2.7 (run first, the
// reference) and havip MASTER; a longer one puts them in FAULT about 1.5 s
// after the link went down, and out of it about 1 s after it came back.
// Without an up delay (eth0 1.5), both leave FAULT at once: keepalived
// 2.2.7's parser sets it to 0, not to the down delay as its man page says.
func TestInterfaceUpDownDelays(t *testing.T) {
	t.Parallel()
	const slack = 400 * time.Millisecond
	l := lab.New(t, lab.Options{Nodes: 1})
	node := l.Nodes[0]
	for _, tc := range []struct {
		entry    string
		down, up time.Duration
	}{
		{"eth0 1.5 1", 1500 * time.Millisecond, time.Second},
		{"eth0 1.5", 1500 * time.Millisecond, 0},
	} {
		conf := "interface_up_down_delays {\n  " + tc.entry + "\n}\n" + instanceConf{Priority: 120, VIPs: []string{vip4.String()}}.conf()
		for _, start := range []func(*testing.T, *lab.Node, string) linkRouter{keepalivedRouter, havipRouter} {
			r := start(t, node, conf)
			r.waitFor(t, "MASTER", time.Now(), electionTimeout)

			// Down, and up again as soon as the router holds the change.
			held, restored := strings.Count(r.log(), r.held), strings.Count(r.log(), r.restored)
			node.Exec(t, "ip", "link", "set", "eth0", "down")
			r.waitLogCount(t, r.held, held, time.Second)
			node.Exec(t, "ip", "link", "set", "eth0", "up")
			lab.Eventually(t, time.Second, "eth0 to have carrier again", func() bool {
				up, carrier := node.LinkState(t, "eth0")
				return up && carrier
			})
			if r.restored != "" {
				r.waitLogCount(t, r.restored, restored, time.Second)
			}
			holdsFor(t, tc.down+tc.up, r.name+" MASTER through a flap shorter than the delay", func() bool { return r.state() == "MASTER" })

			// Down for longer than the delay.
			downAt := time.Now()
			node.Exec(t, "ip", "link", "set", "eth0", "down")
			toFault := r.waitFor(t, "FAULT", downAt, electionTimeout)
			upAt := time.Now()
			node.Exec(t, "ip", "link", "set", "eth0", "up")
			toBackup := r.waitFor(t, "BACKUP", upAt, electionTimeout)
			t.Logf("%s, %q: FAULT %v after the link went down (down delay %v), BACKUP %v after it came back (up delay %v)",
				r.name, tc.entry, toFault, tc.down, toBackup, tc.up)
			if toFault < tc.down || toFault > tc.down+slack {
				t.Errorf("%s, %q: FAULT %v after the link went down, want %v to %v", r.name, tc.entry, toFault, tc.down, tc.down+slack)
			}
			if toBackup < tc.up || toBackup > tc.up+slack {
				t.Errorf("%s, %q: left FAULT %v after the link came back, want %v to %v", r.name, tc.entry, toBackup, tc.up, tc.up+slack)
			}
			r.waitFor(t, "MASTER", time.Now(), electionTimeout)
			r.stop()
		}
	}
}

// TestTrackGroupStaticRoute: a static route on a second interface naming a
// track_group puts the group's instance in FAULT while that interface has
// no carrier, in keepalived 2.2.7 (run first) and in havip; an instance
// outside the group stays MASTER.
func TestTrackGroupStaticRoute(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	node := l.Nodes[0]
	node.AddLink(t, "eth1")
	conf := "track_group TG {\n  group {\n    VI_1\n  }\n}\n" +
		"static_routes {\n  198.51.100.0/24 dev eth1 track_group TG\n}\n" +
		instanceConf{Priority: 120, VIPs: []string{vip4.String()}}.conf() +
		instanceConf{Name: "VI_2", VRID: 52, Priority: 120, VIPs: []string{"192.0.2.101/24"}}.conf()
	for _, start := range []func(*testing.T, *lab.Node, string) linkRouter{keepalivedRouter, havipRouter} {
		r := start(t, node, conf)
		r.waitFor(t, "MASTER", time.Now(), electionTimeout)
		node.SetPeerLink(t, "eth1", false)
		r.waitFor(t, "FAULT", time.Now(), electionTimeout)
		if !strings.Contains(r.log(), "VI_2") || strings.Contains(r.log(), "(VI_2) Entering FAULT") || strings.Contains(r.log(), "instance=VI_2 from=MASTER to=FAULT") {
			t.Errorf("%s: VI_2, outside the track_group, went to FAULT; log:\n%s", r.name, r.log())
		}
		node.SetPeerLink(t, "eth1", true)
		r.waitFor(t, "MASTER", time.Now(), electionTimeout)
		r.stop()
	}
}
