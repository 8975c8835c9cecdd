package engine

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEngineAddrVMAC: a VIP on eth1 with use_vmac gets a private macvlan on eth1 with the IPv4
// virtual MAC, made down at start; it goes up before the VIP is added on it when the instance
// becomes MASTER, the gratuitous ARPs leave from it, and it goes down after the VIP is removed
// when the instance leaves MASTER. It is deleted when the engine stops.
func TestEngineAddrVMAC(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100,198.51.100.10/24 dev eth1 use_vmac")).start()
	if got := r.host.vmacInfo("vrrp.51"); got != "eth1 00:00:5e:00:01:33 IPv4 down" {
		t.Fatalf("at start: vrrp.51 is %q", got)
	}
	if r.e.ports[portKey{"vrrp.51", 4}] != nil {
		t.Fatal("a socket on the address VMAC: adverts do not use it")
	}
	r.advance(4 * time.Second)
	if got := r.host.vmacInfo("vrrp.51"); got != "eth1 00:00:5e:00:01:33 IPv4 up" {
		t.Fatalf("master: vrrp.51 is %q", got)
	}
	if got := r.host.installed(); got != "192.0.2.100/32 dev eth0, 198.51.100.10/24 dev vrrp.51" {
		t.Fatalf("master: VIPs %q", got)
	}
	if sent := r.host.takeSent(); len(sent) != 1 || sent[0].ifname != "eth0" {
		t.Fatalf("adverts leave from the instance's interface: %+v", sent)
	}
	r.advance(100 * time.Millisecond)
	if got := r.host.takeAnnounced(); !slices.ContainsFunc(got, func(a string) bool { return strings.HasPrefix(a, "vrrp.51 ") && strings.Contains(a, "198.51.100.10") }) ||
		slices.ContainsFunc(got, func(a string) bool { return strings.Contains(a, "198.51.100.10") && !strings.HasPrefix(a, "vrrp.51 ") }) {
		t.Fatalf("the address VMAC's VIP is announced from it: %q", got)
	}
	if st := r.e.snapshot().Instances[0]; st.Addresses[1].Interface != "vrrp.51" {
		t.Fatalf("status: %+v", st.Addresses)
	}
	r.advert("eth0", ip(peer), group4, 51, 200, "192.0.2.100", "198.51.100.10")
	if got := r.states(); got != "VI_1=BACKUP" || r.host.installed() != "" || r.host.vmacInfo("vrrp.51") != "eth1 00:00:5e:00:01:33 IPv4 down" {
		t.Fatalf("backup: %s, VIPs %q, vrrp.51 %q", got, r.host.installed(), r.host.vmacInfo("vrrp.51"))
	}
	r.stop()
	if got := r.host.leftovers(); got != "" {
		t.Fatalf("left after stop: %s", got)
	}
}

// TestEngineAddrVMACNames: the devices and names keepalived 2.2.7 gives per-address VMACs
// (create_vmac_name): vmac_addr_prefix, else vmac_prefix, else "vrrp"; a name used by an instance's
// VMAC, by another address VMAC or by a device that cannot be adopted is skipped; IPv6 tries 6
// first; addresses of one interface and family share a device; the MAC is the address family's,
// or the instance's own use_vmac MAC.
func TestEngineAddrVMACNames(t *testing.T) {
	tests := []struct {
		name    string
		conf    string
		foreign []string
		want    map[string]string // device → vmacInfo, for every VMAC
		vips    string            // installed as MASTER
	}{
		{"IPv4 and IPv6 on eth1, two addresses on one device",
			vi("VI_1", 51, 100, "192.0.2.100,198.51.100.10/24 dev eth1 use_vmac,198.51.100.11/24 dev eth1 use_vmac",
				"virtual_ipaddress_excluded {", "  2001:db8:1::10/64 dev eth1 use_vmac", "}"), nil,
			map[string]string{"vrrp.51": "eth1 00:00:5e:00:01:33 IPv4 down", "vrrp6.51": "eth1 00:00:5e:00:02:33 IPv6 down"},
			"192.0.2.100/32 dev eth0, 198.51.100.10/24 dev vrrp.51, 198.51.100.11/24 dev vrrp.51, 2001:db8:1::10/64 dev vrrp6.51"},
		{"the instance's use_vmac takes PREFIX.VRID",
			"global_defs {\n  vmac_prefix vm\n}\n" + vi("VI_1", 51, 100, "192.0.2.100,198.51.100.10/24 dev eth1 use_vmac", "use_vmac"), nil,
			map[string]string{"vm.51": "eth0 00:00:5e:00:01:33 IPv4 down", "vm1.51": "eth1 00:00:5e:00:01:33 IPv4 down"},
			"192.0.2.100/32 dev vm.51, 198.51.100.10/24 dev vm1.51"},
		{"vmac_addr_prefix",
			"global_defs {\n  vmac_prefix vm\n  vmac_addr_prefix av\n}\n" + vi("VI_1", 51, 100, "192.0.2.100,198.51.100.10/24 dev eth1", "use_vmac", "use_vmac_addr"), nil,
			map[string]string{"vm.51": "eth0 00:00:5e:00:01:33 IPv4 down", "av.51": "eth1 00:00:5e:00:01:33 IPv4 down"},
			"192.0.2.100/32 dev vm.51, 198.51.100.10/24 dev av.51"},
		{"a foreign device's name is skipped",
			vi("VI_1", 51, 100, "192.0.2.100,198.51.100.10/24 dev eth1 use_vmac"), []string{"vrrp.51", "vrrp1.51"},
			map[string]string{"vrrp2.51": "eth1 00:00:5e:00:01:33 IPv4 down"},
			"192.0.2.100/32 dev eth0, 198.51.100.10/24 dev vrrp2.51"},
		{"use_vmac_addr: the other family on the instance's interface",
			vi("VI_1", 51, 100, "192.0.2.100", "use_vmac_addr", "virtual_ipaddress_excluded {", "  2001:db8::10/64", "}"), nil,
			map[string]string{"vrrp.51": "eth0 00:00:5e:00:02:33 IPv6 down"},
			"192.0.2.100/32 dev eth0, 2001:db8::10/64 dev vrrp.51"},
		{"use_vmac on an address of the instance's interface without use_vmac on the instance",
			vi("VI_1", 51, 100, "192.0.2.100 use_vmac"), nil,
			map[string]string{"vrrp.51": "eth0 00:00:5e:00:01:33 IPv4 down"},
			"192.0.2.100/32 dev vrrp.51"},
		{"the instance's own MAC",
			vi("VI_1", 51, 100, "192.0.2.100,198.51.100.10/24 dev eth1 use_vmac", "use_vmac 02:00:5e:aa:bb:cc"), nil,
			map[string]string{"vrrp.51": "eth0 02:00:5e:aa:bb:cc IPv4 down", "vrrp1.51": "eth1 02:00:5e:aa:bb:cc IPv4 down"},
			"192.0.2.100/32 dev vrrp.51, 198.51.100.10/24 dev vrrp1.51"},
		{"no_track: a VMAC all the same",
			vi("VI_1", 51, 100, "192.0.2.100,198.51.100.10/24 dev eth1 use_vmac no_track"), nil,
			map[string]string{"vrrp.51": "eth1 00:00:5e:00:01:33 IPv4 down"},
			"192.0.2.100/32 dev eth0, 198.51.100.10/24 dev vrrp.51"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := newFakeHost()
			host.foreignLinks = map[string]bool{}
			for _, name := range tt.foreign {
				host.foreignLinks[name] = true
			}
			r := newRigOn(t, host, tt.conf).start()
			r.host.mu.Lock()
			got := len(r.host.vmacs)
			r.host.mu.Unlock()
			if got != len(tt.want) {
				t.Fatalf("%d VMACs, want %d: %v", got, len(tt.want), r.host.leftovers())
			}
			for name, want := range tt.want {
				if got := r.host.vmacInfo(name); got != want {
					t.Errorf("%s is %q, want %q", name, got, want)
				}
			}
			r.advance(4 * time.Second)
			if got := r.host.installed(); got != tt.vips {
				t.Errorf("master: VIPs %q, want %q", got, tt.vips)
			}
			for name := range tt.want {
				if info := r.host.vmacInfo(name); !strings.HasSuffix(info, " up") {
					t.Errorf("master: %s is %q, want up", name, info)
				}
			}
			r.stop()
			if got := r.host.leftovers(); got != "" {
				t.Fatalf("left after stop: %s", got)
			}
		})
	}
}

// TestEngineAddrVMACReload: a reload that leaves the instance unchanged, or changes only its
// priority, keeps a MASTER's address VMAC up with its VIP, without making it again; one that
// drops the address's use_vmac deletes the device and puts the VIP on eth1; removing the
// instance deletes the device.
func TestEngineAddrVMACReload(t *testing.T) {
	conf := vi("VI_1", 51, 100, "192.0.2.100,198.51.100.10/24 dev eth1 use_vmac")
	r := newRig(t, conf).start()
	r.advance(4 * time.Second)
	ensured := func() int {
		r.host.mu.Lock()
		defer r.host.mu.Unlock()
		return r.host.ensured["vrrp.51"]
	}
	before := ensured()
	for _, step := range []struct{ name, conf string }{
		{"unchanged", conf},
		{"priority changed", vi("VI_1", 51, 110, "192.0.2.100,198.51.100.10/24 dev eth1 use_vmac")},
	} {
		if err := r.apply(step.conf); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := r.states(); got != "VI_1=MASTER" || r.host.vmacInfo("vrrp.51") != "eth1 00:00:5e:00:01:33 IPv4 up" || ensured() != before ||
			r.host.installed() != "192.0.2.100/32 dev eth0, 198.51.100.10/24 dev vrrp.51" {
			t.Fatalf("%s: %s, vrrp.51 %q (made %d times, was %d), VIPs %q", step.name, got, r.host.vmacInfo("vrrp.51"), ensured(), before, r.host.installed())
		}
	}
	if err := r.apply(vi("VI_1", 51, 110, "192.0.2.100,198.51.100.10/24 dev eth1")); err != nil {
		t.Fatal(err)
	}
	if got := r.host.vmacInfo("vrrp.51"); got != "" || r.host.installed() != "192.0.2.100/32 dev eth0, 198.51.100.10/24 dev eth1" {
		t.Fatalf("without use_vmac: vrrp.51 %q, VIPs %q", got, r.host.installed())
	}
	if err := r.apply(vi("VI_1", 51, 110, "192.0.2.100,198.51.100.10/24 dev eth1 use_vmac")); err != nil {
		t.Fatal(err)
	}
	if got := r.host.vmacInfo("vrrp.51"); got != "eth1 00:00:5e:00:01:33 IPv4 up" || r.host.installed() != "192.0.2.100/32 dev eth0, 198.51.100.10/24 dev vrrp.51" {
		t.Fatalf("use_vmac again: vrrp.51 %q, VIPs %q", got, r.host.installed())
	}
	if err := r.apply(vi("VI_2", 52, 100, "192.0.2.102")); err != nil {
		t.Fatal(err)
	}
	if got := r.host.vmacInfo("vrrp.51"); got != "" {
		t.Fatalf("instance removed: vrrp.51 %q", got)
	}
	r.stop()
	if got := r.host.leftovers(); got != "" {
		t.Fatalf("left after stop: %s", got)
	}
}

// TestEngineAddrVMACShared: two instances of one VRID whose addresses would need the same VMAC
// (one interface, family and MAC) are refused: havip brings each VMAC up and down with its
// instance, so it does not share one as keepalived 2.2.7 does.
func TestEngineAddrVMACShared(t *testing.T) {
	conf := vi("VI_1", 51, 100, "192.0.2.100,198.51.100.10/24 dev eth1 use_vmac") +
		strings.Replace(vi("VI_2", 51, 100, "203.0.113.1,198.51.100.11/24 dev eth1 use_vmac"), "eth0", "eth2", 1)
	r := newRig(t, vi("VI_0", 50, 100, "192.0.2.50")).start()
	err := r.apply(conf)
	if err == nil || !strings.Contains(err.Error(), "vrrp_instance VI_2") || !strings.Contains(err.Error(), "havip does not share one") {
		t.Fatalf("error %v", err)
	}
	if got := r.host.vmacInfo("vrrp.51"); got != "" {
		t.Fatalf("the refused plan left vrrp.51: %q", got)
	}
	r.stop()
}

// newRigOn is newRig on a host the test has prepared.
func newRigOn(t testing.TB, host *fakeHost, text string) *rig {
	t.Helper()
	r := &rig{t: t, host: host, clock: newFakeClock()}
	e, err := NewWithOptions(parseConfig(t, text), Options{Log: slog.New(slog.DiscardHandler), Host: host, Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	r.e = e
	return r
}

// TestEngineAddrVMACGARPExtraIf: garp_extra_if without "all" refreshes the addresses on
// per-address VMACs, which keepalived 2.2.7 counts as its own devices (is_ours), and not those on
// other interfaces.
func TestEngineAddrVMACGARPExtraIf(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100,198.51.100.10/24 dev eth1 use_vmac,198.51.100.11/24 dev eth1 use_vmac,203.0.113.5/24 dev eth2",
		"garp_extra_if 5")).start()
	var got []string
	for _, v := range r.e.extraIfVIPs(r.e.instances[0]) {
		got = append(got, v.String())
	}
	if want := []string{"198.51.100.10/24 dev vrrp.51"}; !slices.Equal(got, want) {
		t.Fatalf("garp_extra_if announces %q, want %q", got, want)
	}
	r.stop()
}
