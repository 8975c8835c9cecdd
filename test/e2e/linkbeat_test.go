package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// setBridgePort sets eth0's peer in the lab's bridge namespace up or down,
// so that node sees carrier loss on eth0 while eth0 stays administratively
// up. The lab names a node's namespace PREFIX-ROLE, the bridge namespace
// PREFIX-br and the peer p-ROLE.
func setBridgePort(t *testing.T, node *lab.Node, up bool) {
	t.Helper()
	cut := strings.LastIndex(node.NS, "-")
	bridge, port := node.NS[:cut]+"-br", "p-"+node.NS[cut+1:]
	state := "down"
	if up {
		state = "up"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ip", "-n", bridge, "link", "set", port, state).CombinedOutput(); err != nil {
		t.Fatalf("ip -n %s link set %s %s: %v\n%s", bridge, port, state, err, out)
	}
}

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
		setBridgePort(t, node, false)
		toFault := r.waitFor(t, "FAULT", downAt, electionTimeout)
		if up, carrier := node.LinkState(t, "eth0"); !up || carrier {
			t.Fatalf("eth0 up %v, carrier %v after its peer went down; want up without carrier", up, carrier)
		}
		upAt := time.Now()
		setBridgePort(t, node, true)
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
