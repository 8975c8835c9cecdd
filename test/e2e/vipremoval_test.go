package e2e

import (
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
