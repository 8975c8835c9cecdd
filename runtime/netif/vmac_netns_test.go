package netif

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// ipLinkDetail is the part of `ip -j -d link show` the VMAC tests look at.
type ipLinkDetail struct {
	Name      string   `json:"ifname"`
	Link      string   `json:"link"` // parent
	Flags     []string `json:"flags"`
	Operstate string   `json:"operstate"`
	Address   string   `json:"address"`
	GenMode   string   `json:"inet6_addr_gen_mode"`
	LinkInfo  struct {
		Kind string `json:"info_kind"`
		Data struct {
			Mode string `json:"mode"`
		} `json:"info_data"`
	} `json:"linkinfo"`
}

// linkDetail reports dev in the node's namespace as `ip -j -d link show dev` gives it.
func (n *testNode) linkDetail(t *testing.T, dev string) ipLinkDetail {
	t.Helper()
	var links []ipLinkDetail
	if err := json.Unmarshal([]byte(run(t, "ip", "-n", n.ns, "-j", "-d", "link", "show", "dev", dev)), &links); err != nil || len(links) != 1 {
		t.Fatalf("parse ip -j -d link show dev %s: %v (%d links)", dev, err, len(links))
	}
	return links[0]
}

// linkNames lists the interfaces of the node's namespace.
func (n *testNode) linkNames(t *testing.T) []string {
	t.Helper()
	var links []ipLinkDetail
	if err := json.Unmarshal([]byte(run(t, "ip", "-n", n.ns, "-j", "link", "show")), &links); err != nil {
		t.Fatalf("parse ip -j link show: %v", err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Name)
	}
	return names
}

// devAddrs lists dev's addresses by address, as iproute2 reports them.
func (n *testNode) devAddrs(t *testing.T, dev string) map[string]ipAddrInfo {
	t.Helper()
	var links []struct {
		AddrInfo []ipAddrInfo `json:"addr_info"`
	}
	if err := json.Unmarshal([]byte(run(t, "ip", "-n", n.ns, "-j", "addr", "show", "dev", dev)), &links); err != nil {
		t.Fatalf("parse ip -j addr show dev %s: %v", dev, err)
	}
	got := map[string]ipAddrInfo{}
	for _, l := range links {
		for _, a := range l.AddrInfo {
			got[a.Local] = a
		}
	}
	return got
}

// sysctl reads /proc/sys/<path> inside the node's namespace.
func (n *testNode) sysctl(t *testing.T, path string) string {
	t.Helper()
	return strings.TrimSpace(run(t, "ip", "netns", "exec", n.ns, "cat", "/proc/sys/"+path))
}

// ensureVMAC runs EnsureVMAC inside the node's namespace.
func (n *testNode) ensureVMAC(t *testing.T, v VMAC) (warnings []string, err error) {
	t.Helper()
	n.do(t, func() { warnings, err = EnsureVMAC(v) })
	return warnings, err
}

// checkVMACDown checks that the device exists as v describes it and is down.
func checkVMACDown(t *testing.T, n *testNode, v VMAC) {
	t.Helper()
	got := n.linkDetail(t, v.Name)
	if got.LinkInfo.Kind != "macvlan" || got.LinkInfo.Data.Mode != "private" {
		t.Errorf("%s is %s mode %q, want macvlan mode private", v.Name, got.LinkInfo.Kind, got.LinkInfo.Data.Mode)
	}
	if got.Address != v.MAC.String() || got.Link != v.Parent || got.GenMode != "none" {
		t.Errorf("%s: MAC %s parent %s addrgenmode %s, want %s, %s, none", v.Name, got.Address, got.Link, got.GenMode, v.MAC, v.Parent)
	}
	if slices.Contains(got.Flags, "UP") || got.Operstate != "DOWN" {
		t.Errorf("%s: flags %v operstate %s, want down", v.Name, got.Flags, got.Operstate)
	}
}

// waitOperstate waits for the device's operstate.
func waitOperstate(t *testing.T, n *testNode, dev, want string) {
	t.Helper()
	waitFor(t, 5*time.Second, dev+" operstate "+want, func() bool { return n.linkDetail(t, dev).Operstate == want })
}

// vmacSysctls are the values EnsureVMAC sets for a family, by /proc/sys path.
func vmacSysctls(family int, vmac, parent string) map[string]string {
	if family == 6 {
		return map[string]string{
			"net/ipv6/conf/" + vmac + "/disable_ipv6":         "0",
			"net/ipv6/conf/" + vmac + "/accept_dad":           "0",
			"net/ipv6/conf/" + vmac + "/router_solicitations": "0",
			"net/ipv6/conf/" + vmac + "/addr_gen_mode":        "1",
		}
	}
	return map[string]string{
		"net/ipv4/conf/" + vmac + "/arp_ignore":          "1",
		"net/ipv4/conf/" + vmac + "/accept_local":        "1",
		"net/ipv4/conf/" + vmac + "/rp_filter":           "0",
		"net/ipv4/conf/" + vmac + "/promote_secondaries": "1",
		"net/ipv6/conf/" + vmac + "/disable_ipv6":        "1",
		"net/ipv4/conf/" + parent + "/arp_ignore":        "1",
		"net/ipv4/conf/" + parent + "/arp_filter":        "1",
	}
}

// checkLinkLocal checks that the parent's link-local is on the VMAC with nodad.
func checkLinkLocal(t *testing.T, n *testNode, v VMAC, ll string) {
	t.Helper()
	got, ok := n.devAddrs(t, v.Name)[ll]
	if !ok || !got.NoDAD || got.PrefixLen != 64 || got.Scope != "link" {
		t.Errorf("%s: link-local %s of %s is %+v (present %t), want /64 scope link nodad", v.Name, ll, v.Parent, got, ok)
	}
}

func TestVMACLifecycle(t *testing.T) {
	for _, family := range []int{4, 6} {
		t.Run(fmt.Sprintf("IPv%d", family), func(t *testing.T) {
			a, _ := newPair(t)
			ll := a.linkLocal(t).String()
			v := VMAC{Name: VMACName("", 51), Parent: "eth0", MAC: VMACAddr(family, 51), Family: family}
			run(t, "ip", "netns", "exec", a.ns, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0")

			warnings, err := a.ensureVMAC(t, v)
			if err != nil || len(warnings) != 0 {
				t.Fatalf("EnsureVMAC(%+v) = %q, %v; want no warnings, nil", v, warnings, err)
			}
			checkVMACDown(t, a, v)
			for path, want := range vmacSysctls(family, v.Name, v.Parent) {
				if got := a.sysctl(t, path); got != want {
					t.Errorf("%s = %s, want %s", path, got, want)
				}
			}
			if family == 6 {
				checkLinkLocal(t, a, v, ll)
			}

			// Adoption: a leftover device that is up with another MAC is taken over.
			run(t, "ip", "-n", a.ns, "link", "set", "dev", v.Name, "address", "02:00:00:00:00:99", "up")
			if _, err := a.ensureVMAC(t, v); err != nil {
				t.Fatalf("EnsureVMAC on the existing device: %v", err)
			}
			checkVMACDown(t, a, v)

			var upErr, downErr error
			a.do(t, func() { upErr = SetVMACUp(v.Name, true) })
			if upErr != nil {
				t.Fatalf("SetVMACUp(true): %v", upErr)
			}
			waitOperstate(t, a, v.Name, "UP")
			wantAddrs := 0 // addr_gen_mode none: no EUI-64 link-local from the virtual MAC
			if family == 6 {
				checkLinkLocal(t, a, v, ll)
				wantAddrs = 1
			}
			if got := a.devAddrs(t, v.Name); len(got) != wantAddrs {
				t.Errorf("%s up has addresses %v, want %d", v.Name, got, wantAddrs)
			}
			a.do(t, func() { downErr = SetVMACUp(v.Name, false) })
			if downErr != nil {
				t.Fatalf("SetVMACUp(false): %v", downErr)
			}
			waitOperstate(t, a, v.Name, "DOWN")
			if family == 6 {
				_, kept := a.devAddrs(t, v.Name)[ll]
				t.Logf("link-local kept by the kernel across down: %t", kept)
				if _, err := a.ensureVMAC(t, v); err != nil {
					t.Fatalf("EnsureVMAC after down: %v", err)
				}
				checkLinkLocal(t, a, v, ll)
			}

			var delErr1, delErr2 error
			a.do(t, func() {
				delErr1 = DeleteVMAC(v.Name)
				delErr2 = DeleteVMAC(v.Name)
			})
			if err := errors.Join(delErr1, delErr2); err != nil {
				t.Fatalf("DeleteVMAC twice: %v", err)
			}
			if names := a.linkNames(t); slices.Contains(names, v.Name) {
				t.Errorf("%s still present after DeleteVMAC: %v", v.Name, names)
			}
		})
	}
}

func TestVMACRPFilterWarning(t *testing.T) {
	a, _ := newPair(t)
	run(t, "ip", "netns", "exec", a.ns, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=2")
	v := VMAC{Name: "vrrp.51", Parent: "eth0", MAC: VMACAddr(4, 51), Family: 4}
	warnings, err := a.ensureVMAC(t, v)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "all.rp_filter is 2") ||
		!strings.Contains(warnings[0], "vrrp.51") || !strings.Contains(warnings[0], "sysctl net.ipv4.conf.all.rp_filter=0") {
		t.Errorf("warnings %q, want one naming all.rp_filter 2, vrrp.51 and the fix", warnings)
	}
	if got := a.sysctl(t, "net/ipv4/conf/all/rp_filter"); got != "2" {
		t.Errorf("net.ipv4.conf.all.rp_filter = %s after EnsureVMAC, want it left at 2", got)
	}
	v6 := VMAC{Name: "vrrp.52", Parent: "eth0", MAC: VMACAddr(6, 52), Family: 6}
	if warnings, err := a.ensureVMAC(t, v6); err != nil || len(warnings) != 0 {
		t.Errorf("EnsureVMAC(IPv6) = %q, %v; want no warnings (rp_filter is IPv4 only)", warnings, err)
	}
}

func TestVMACConflicts(t *testing.T) {
	a, _ := newPair(t)
	run(t, "ip", "-n", a.ns, "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p")
	tests := []struct {
		name   string
		create []string // ip -n ns link add ... creating the foreign vrrp.51
		want   string   // in the error
	}{
		{"veth", []string{"vrrp.51", "type", "veth", "peer", "name", "vp51"}, "veth"},
		{"bridge", []string{"vrrp.51", "type", "bridge"}, "bridge"},
		{"macvlan in bridge mode", []string{"link", "eth0", "name", "vrrp.51", "type", "macvlan", "mode", "bridge"}, "mode bridge"},
		{"macvlan on another parent", []string{"link", "eth1", "name", "vrrp.51", "type", "macvlan", "mode", "private"}, "eth1"},
	}
	v := VMAC{Name: "vrrp.51", Parent: "eth0", MAC: VMACAddr(4, 51), Family: 4}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run(t, append([]string{"ip", "-n", a.ns, "link", "add"}, tt.create...)...)
			t.Cleanup(func() { run(t, "ip", "-n", a.ns, "link", "del", "vrrp.51") })
			_, err := a.ensureVMAC(t, v)
			if !errors.Is(err, ErrVMACNameTaken) || !strings.Contains(err.Error(), "vrrp.51") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("EnsureVMAC over a foreign %s: error %v, want ErrVMACNameTaken naming vrrp.51 and %q", tt.name, err, tt.want)
			}
			if got := a.linkDetail(t, "vrrp.51").Address; got == v.MAC.String() {
				t.Errorf("EnsureVMAC changed the foreign device's MAC to %s", got)
			}
		})
	}

	run(t, "ip", "-n", a.ns, "link", "add", "vrrp.51", "type", "veth", "peer", "name", "vp51")
	var delErr error
	a.do(t, func() { delErr = DeleteVMAC("vrrp.51") })
	if delErr == nil || !strings.Contains(delErr.Error(), "veth") {
		t.Errorf("DeleteVMAC on a veth: error %v, want a refusal naming it a veth", delErr)
	}
	if !slices.Contains(a.linkNames(t), "vrrp.51") {
		t.Error("DeleteVMAC removed a veth")
	}
}

func TestVMACMissingParent(t *testing.T) {
	a, _ := newPair(t)
	for _, family := range []int{4, 6} {
		v := VMAC{Name: "vrrp.51", Parent: "nosuch0", MAC: VMACAddr(family, 51), Family: family}
		_, err := a.ensureVMAC(t, v)
		if !errors.Is(err, ErrNoInterface) || !strings.Contains(err.Error(), `"nosuch0"`) {
			t.Errorf("EnsureVMAC with a missing parent (IPv%d): error %v, want ErrNoInterface naming nosuch0", family, err)
		}
	}
	if slices.Contains(a.linkNames(t), "vrrp.51") {
		t.Error("EnsureVMAC created vrrp.51 without a parent")
	}
	var upErr error
	a.do(t, func() { upErr = SetVMACUp("vrrp.51", true) })
	if !errors.Is(upErr, ErrNoInterface) || !strings.Contains(upErr.Error(), "vrrp.51") {
		t.Errorf("SetVMACUp on a missing device: error %v, want ErrNoInterface naming vrrp.51", upErr)
	}
}

func TestVMACOnMacvlanParent(t *testing.T) {
	a, _ := newPair(t)
	run(t, "ip", "-n", a.ns, "link", "add", "link", "eth0", "name", "mv0", "type", "macvlan", "mode", "bridge")
	v := VMAC{Name: "vrrp.51", Parent: "mv0", MAC: VMACAddr(4, 51), Family: 4}
	for i := range 2 { // create, then adopt
		if _, err := a.ensureVMAC(t, v); err != nil {
			t.Fatalf("EnsureVMAC #%d on a macvlan parent: %v", i+1, err)
		}
	}
	// The kernel stacks a macvlan on a macvlan onto the lower device.
	if got := a.linkDetail(t, v.Name).Link; got != "eth0" {
		t.Errorf("%s parent is %s, want eth0 (mv0's lower device)", v.Name, got)
	}
}
