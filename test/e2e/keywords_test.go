package e2e

import (
	"strings"
	"testing"

	"github.com/havip/havip/test/lab"
)

// TestUnicastFaultNoPeer runs an instance with unicast_fault_no_peer,
// unicast_src_ip and no unicast_peer at priority 120, first under keepalived
// 2.2.7 (the reference), then under havip, each beside a keepalived at
// priority 100 on the multicast group. keepalived's behaviour, which havip
// matches: the instance enters FAULT at start instead of falling back to
// multicast, and stays there, so the lower priority becomes MASTER.
func TestUnicastFaultNoPeer(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	faulty := instanceConf{Priority: 120, VIPs: []string{vip4.String()}, UnicastSrc: l.Nodes[0].IPv4.String(),
		Extra: "  unicast_fault_no_peer\n"}.conf()
	other := instanceConf{Priority: 100, VIPs: []string{vip4.String()}}.conf()

	// keepalived starts the instance in FAULT without an "Entering FAULT
	// STATE" line: it logs why, and never enters another state.
	ka := l.Nodes[0].StartKeepalived(t, faulty)
	lab.Eventually(t, electionTimeout, "keepalived's config fault", func() bool {
		return strings.Contains(ka.Log(), "(VI_1) Cannot use unicast without any peers - going to fault state")
	})
	backup := l.Nodes[1].StartKeepalived(t, other)
	backup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	if got := ka.State("VI_1"); got != "" || l.Nodes[0].HasAddr(t, "eth0", vip4) {
		t.Fatalf("keepalived left FAULT (%s):\n%s", got, ka.Log())
	}
	ka.Stop(t)
	backup.Stop(t)

	h := startHavip(t, l.Nodes[0], faulty)
	h.WaitState(t, "VI_1", "FAULT", electionTimeout)
	h.waitLog(t, "instance starts in FAULT", "unicast_fault_no_peer: no unicast_peer configured", electionTimeout)
	backup = l.Nodes[1].StartKeepalived(t, other)
	backup.WaitState(t, "VI_1", "MASTER", electionTimeout)
	if trs := h.logged("VI_1"); len(trs) != 1 || trs[0].to != "FAULT" {
		t.Fatalf("havip's transitions %v, want FAULT only; log:\n%s", trs, h.proc.Output())
	}
	if l.Nodes[0].HasAddr(t, "eth0", vip4) {
		t.Fatal("havip in FAULT holds the VIP")
	}
	h.Stop(t)
	backup.Stop(t)
}
