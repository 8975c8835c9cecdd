package netif

import (
	"context"
	"errors"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// kernelHasIPVlan reports whether n's kernel can make an ipvlan link, by asking ip(8) to make
// (and then removing) one.
func kernelHasIPVlan(t *testing.T, n *testNode) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", "-n", n.ns, "link", "add", "link", "eth0", "name", "probe0", "type", "ipvlan", "mode", "l2").CombinedOutput()
	if err != nil {
		if !strings.Contains(string(out), "Unknown device type") && !strings.Contains(string(out), "not supported") {
			t.Fatalf("probing for ipvlan: %v: %s", err, out)
		}
		return false
	}
	run(t, "ip", "-n", n.ns, "link", "del", "probe0")
	return true
}

func TestIPVlan(t *testing.T) {
	a, _ := newPair(t)
	v := IPVlan{Name: "ipv1", Parent: "eth0", Mode: "private", Addr: netip.MustParsePrefix("192.0.2.50/24")}
	if !kernelHasIPVlan(t, a) {
		// This kernel has no ipvlan link type: EnsureIPVlan says so, naming the device, and
		// leaves nothing behind, as keepalived 2.2.7 gets EOPNOTSUPP and makes nothing.
		var err error
		a.do(t, func() { err = EnsureIPVlan(v) })
		if !errors.Is(err, ErrNoIPVlanSupport) || !strings.Contains(err.Error(), "ipv1") {
			t.Fatalf("EnsureIPVlan without kernel support: error %v, want ErrNoIPVlanSupport naming ipv1", err)
		}
		if slices.Contains(a.linkNames(t), "ipv1") {
			t.Fatal("EnsureIPVlan left ipv1 behind")
		}
		a.do(t, func() { err = DeleteIPVlan("ipv1") })
		if err != nil {
			t.Fatalf("DeleteIPVlan of a missing device: %v", err)
		}
		return
	}
	for i := range 2 { // create, then adopt
		var err error
		a.do(t, func() { err = EnsureIPVlan(v) })
		if err != nil {
			t.Fatalf("EnsureIPVlan #%d: %v", i+1, err)
		}
		a.do(t, func() {
			link, lerr := netlink.LinkByName("ipv1")
			if lerr != nil {
				t.Fatal(lerr)
			}
			iv, ok := link.(*netlink.IPVlan)
			if !ok || iv.Mode != netlink.IPVLAN_MODE_L2 || iv.Flag != netlink.IPVLAN_FLAG_PRIVATE || link.Attrs().Flags&1 == 0 {
				t.Fatalf("ipv1 is %s %+v, want an l2 private ipvlan, up", link.Type(), link)
			}
			addrs, aerr := netlink.AddrList(link, netlink.FAMILY_V4)
			if aerr != nil || len(addrs) != 1 || addrs[0].IPNet.String() != "192.0.2.50/24" {
				t.Fatalf("ipv1 addresses %v (%v), want 192.0.2.50/24", addrs, aerr)
			}
		})
	}
	var err error
	a.do(t, func() { err = EnsureIPVlan(IPVlan{Name: "ipv1", Parent: "eth0", Mode: "vepa"}) })
	if err == nil || !strings.Contains(err.Error(), "not an l2 vepa ipvlan") {
		t.Fatalf("EnsureIPVlan over an ipvlan of another mode: %v, want a refusal", err)
	}
	a.do(t, func() { err = DeleteIPVlan("eth0") })
	if err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("DeleteIPVlan on a veth: %v, want a refusal", err)
	}
	a.do(t, func() { err = DeleteIPVlan("ipv1") })
	if err != nil || slices.Contains(a.linkNames(t), "ipv1") {
		t.Fatalf("DeleteIPVlan: %v, links %v", err, a.linkNames(t))
	}
}

func TestIPVlanMissingParent(t *testing.T) {
	a, _ := newPair(t)
	var err error
	a.do(t, func() { err = EnsureIPVlan(IPVlan{Name: "ipv1", Parent: "nosuch0", Mode: "bridge"}) })
	if !errors.Is(err, ErrNoInterface) || !strings.Contains(err.Error(), "nosuch0") {
		t.Fatalf("EnsureIPVlan with a missing parent: %v, want ErrNoInterface naming nosuch0", err)
	}
}

func TestIPVlanFlag(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want netlink.IPVlanFlag
		ok   bool
	}{{"", netlink.IPVLAN_FLAG_BRIDGE, true}, {"bridge", netlink.IPVLAN_FLAG_BRIDGE, true},
		{"private", netlink.IPVLAN_FLAG_PRIVATE, true}, {"vepa", netlink.IPVLAN_FLAG_VEPA, true}, {"l3", 0, false}} {
		got, err := ipvlanFlag(tc.mode)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ipvlanFlag(%q) = %v, %v", tc.mode, got, err)
		}
	}
}
