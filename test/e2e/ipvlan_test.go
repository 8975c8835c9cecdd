package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// This kernel's test runs have no ipvlan and no vrf link types: these tests compare what
// keepalived 2.2.7 and havip do without them (docs/ipvlan_vrf.md).

// kernelHas reports whether node's kernel can make a link of kind on eth0 (made, then removed).
func kernelHas(t *testing.T, n *lab.Node, kind string, args ...string) bool {
	t.Helper()
	add := append([]string{"ip", "link", "add", "probe0"}, args...)
	add = append(add, "type", kind)
	if _, err := n.Try(add...); err != nil {
		return false
	}
	n.Exec(t, "ip", "link", "del", "probe0")
	return true
}

// addrsHold reports whether any interface of node holds addr (ip -o addr).
func addrsHold(t *testing.T, n *lab.Node, addr string) bool {
	t.Helper()
	return strings.Contains(n.Exec(t, "ip", "-o", "addr", "show"), " "+addr+"/")
}

// TestUseIPVlanAsKeepalived: use_ipvlan on a kernel without ipvlan. keepalived 2.2.7 logs
// "Unable to create ipvlan interface ipv1" and holds the instance in FAULT without its VIP;
// havip does the same, its FAULT reason naming use_ipvlan and the missing kernel support.
func TestUseIPVlanAsKeepalived(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	n := l.Nodes[0]
	if kernelHas(t, n, "ipvlan", "link", "eth0", "mode", "l2") {
		t.Skip("this kernel has ipvlan: the test compares keepalived and havip without it")
	}
	conf := instanceConf{Priority: 150, VIPs: []string{vip4.String()}, Extra: "  use_ipvlan ipv1 192.0.2.50/24\n"}.conf()

	ka := n.StartKeepalived(t, conf)
	lab.Eventually(t, electionTimeout, "keepalived to put VI_1 in FAULT for ipv1", func() bool {
		log := ka.Log()
		return strings.Contains(log, "(VI_1): Unable to create ipvlan interface ipv1") && strings.Contains(log, "(VI_1) entering FAULT state")
	})
	if addrsHold(t, n, vip4.Addr().String()) || addrsHold(t, n, "192.0.2.50") {
		t.Fatalf("keepalived installed addresses in FAULT:\n%s", n.Exec(t, "ip", "-o", "addr"))
	}
	ka.Stop(t)

	hv := startHavip(t, n, conf)
	lab.Eventually(t, electionTimeout, "havip to hold VI_1 in FAULT", func() bool {
		return hv.State("VI_1") == "FAULT"
	})
	st := status(t, hv)
	reasons := strings.Join(st.Faults, "; ")
	if st.State != "FAULT" || !strings.Contains(reasons, "use_ipvlan") || !strings.Contains(reasons, "ipv1") || !strings.Contains(reasons, "no ipvlan support") {
		t.Fatalf("havip status %s, faults %q: want FAULT naming use_ipvlan, ipv1 and the missing kernel support", st.State, reasons)
	}
	if !strings.Contains(hv.proc.Output(), "use_ipvlan: unable to create the ipvlan interface") {
		t.Fatalf("havip did not log the failed ipvlan:\n%s", hv.proc.Output())
	}
	// Both stay in FAULT: three advert intervals on, still no address.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if hv.State("VI_1") != "FAULT" || addrsHold(t, n, vip4.Addr().String()) || addrsHold(t, n, "192.0.2.50") {
			t.Fatalf("havip left FAULT or installed an address:\n%s\n%s", n.Exec(t, "ip", "-o", "addr"), hv.proc.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}
	hv.Stop(t)
}

// TestVRFAsKeepalived: vrf on a kernel without VRF devices. Given after interface, keepalived
// 2.2.7 ignores it ("Cannot specify VRF interface and interface") and runs, and so does havip.
// Given before interface, keepalived looks the device up, does not find it and does not start;
// havip does not start either, naming the vrf.
func TestVRFAsKeepalived(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 1})
	n := l.Nodes[0]
	if kernelHas(t, n, "vrf", "table", "10") {
		t.Skip("this kernel has vrf: the test compares keepalived and havip without it")
	}
	after := instanceConf{Priority: 150, VIPs: []string{vip4.String()}, Extra: "  vrf red\n"}.conf()
	ka := n.StartKeepalived(t, after)
	ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
	if !strings.Contains(ka.Log(), "Cannot specify VRF interface and interface") || !n.HasAddr(t, "eth0", vip4) {
		t.Fatalf("keepalived with vrf after interface:\n%s", ka.Log())
	}
	ka.Stop(t)
	hv := startHavip(t, n, after)
	hv.WaitState(t, "VI_1", "MASTER", electionTimeout)
	if !strings.Contains(hv.proc.Output(), "Cannot specify VRF interface and interface") || !n.HasAddr(t, "eth0", vip4) {
		t.Fatalf("havip with vrf after interface:\n%s", hv.proc.Output())
	}
	hv.Stop(t)

	before := strings.Replace(after, "  vrf red\n", "", 1)
	before = strings.Replace(before, "  interface eth0\n", "  vrf red\n  interface eth0\n", 1)
	ka = n.StartKeepalived(t, before)
	if err := ka.Process().Wait(electionTimeout); err != nil && strings.Contains(err.Error(), "still running") {
		t.Fatalf("keepalived with a missing vrf device is running:\n%s", ka.Log())
	}
	if log := ka.Log(); !strings.Contains(log, "VRF interface red doesn't exist") || !strings.Contains(log, "Non-existent interface specified in configuration") {
		t.Fatalf("keepalived with a missing vrf device:\n%s", log)
	}
	hv = startHavip(t, n, before)
	err := hv.proc.Wait(electionTimeout)
	if err == nil || strings.Contains(err.Error(), "still running") {
		t.Fatalf("havip with a missing vrf device: %v, want a failed start\n%s", err, hv.proc.Output())
	}
	if out := hv.proc.Output(); !strings.Contains(out, "vrf red: the VRF interface does not exist") {
		t.Fatalf("havip's failure does not name the vrf:\n%s", out)
	}
	if addrsHold(t, n, vip4.Addr().String()) {
		t.Fatal("a VIP is left after the failed starts")
	}
}
