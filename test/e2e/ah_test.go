package e2e

import (
	"strings"
	"testing"

	"github.com/havip/havip/internal/testenv"
	"github.com/havip/havip/test/lab"
)

// TestInteropAHWrongPassword: havip and keepalived 2.2.7 with auth_type AH
// and different auth_pass refuse each other's adverts: both become MASTER,
// havip counts authentication failures and keepalived logs an invalid ICV.
func TestInteropAHWrongPassword(t *testing.T) {
	t.Parallel()
	testenv.RequireCommand(t, "curl", "curl")
	l := lab.New(t, lab.Options{Nodes: 2})
	conf := func(prio int, pass string) string {
		return instanceConf{Version: 2, Priority: prio, AuthType: "AH", AuthPass: pass, VIPs: []string{vip4.String()}}.conf()
	}
	ka := l.Nodes[1].StartKeepalived(t, conf(120, "0ther"))
	hv := startHavip(t, l.Nodes[0], conf(110, "s3cret"), "--http-listen", httpAddr)

	ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
	hv.WaitState(t, "VI_1", "MASTER", electionTimeout)
	inst := labels("iname", "VI_1", "intf", "eth0", "vrid", "51")
	hv.waitMetric(t, "keepalived_authentication_failure_total", inst, "above 0", func(v float64) bool { return v > 0 })
	lab.Eventually(t, electionTimeout, "keepalived to refuse havip's ICV", func() bool {
		return strings.Contains(ka.Log(), "IPSEC-AH : invalid IPSEC HMAC-MD5 value")
	})
	// Neither yielded: each still holds the VIP.
	if !l.Nodes[0].HasAddr(t, "eth0", vip4) || !l.Nodes[1].HasAddr(t, "eth0", vip4) {
		t.Fatal("a node without the VIP: one side accepted the other's adverts")
	}
	if hv.State("VI_1") != "MASTER" || ka.State("VI_1") != "MASTER" {
		t.Fatalf("havip %s, keepalived %s; want both MASTER", hv.State("VI_1"), ka.State("VI_1"))
	}
}
