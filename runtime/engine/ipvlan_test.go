package engine

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/netif"
)

func (h *fakeHost) ipvlanSpecs() map[string]netif.IPVlan {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]netif.IPVlan{}
	for k, v := range h.ipvlans {
		out[k] = v
	}
	return out
}

func TestEngineIPVlan(t *testing.T) {
	for _, tc := range []struct {
		name, useIPVlan string
		want            netif.IPVlan
	}{
		{"named, bridge by default", "use_ipvlan ipv1 192.0.2.50/24",
			netif.IPVlan{Name: "ipv1", Parent: "eth0", Mode: "bridge", Addr: netip.MustParsePrefix("192.0.2.50/24")}},
		{"keepalived's default name, private", "use_ipvlan private 192.0.2.50",
			netif.IPVlan{Name: "vrrp.51", Parent: "eth0", Mode: "private", Addr: netip.MustParsePrefix("192.0.2.50/32")}},
		{"vepa", "use_ipvlan 192.0.2.50/24 vepa iv",
			netif.IPVlan{Name: "iv", Parent: "eth0", Mode: "vepa", Addr: netip.MustParsePrefix("192.0.2.50/24")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100", tc.useIPVlan)).start()
			if got := r.host.ipvlanSpecs(); len(got) != 1 || got[tc.want.Name] != tc.want {
				t.Fatalf("ipvlan devices %+v, want %+v", got, tc.want)
			}
			r.advance(4 * time.Second)
			wantVIP := "192.0.2.100/32 dev " + tc.want.Name
			if got := r.states(); got != "VI_1=MASTER" || r.host.installed() != wantVIP {
				t.Fatalf("master: %s, VIPs %q, want %q", got, r.host.installed(), wantVIP)
			}
			// A reload with the same use_ipvlan keeps the device and the VIP.
			if err := r.apply(vi("VI_1", 51, 100, "192.0.2.100", tc.useIPVlan)); err != nil {
				t.Fatal(err)
			}
			if got := r.host.ipvlanSpecs(); len(got) != 1 || got[tc.want.Name] != tc.want || r.host.installed() != wantVIP {
				t.Fatalf("after reload: devices %+v, VIPs %q", got, r.host.installed())
			}
			r.stop()
			if got := r.host.ipvlanSpecs(); len(got) != 0 {
				t.Fatalf("after stop: devices %+v, want none", got)
			}
		})
	}
}

func TestEngineIPVlanRemovedByReload(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100", "use_ipvlan ipv1 192.0.2.50/24")).start()
	r.advance(4 * time.Second)
	if err := r.apply(vi("VI_1", 51, 100, "192.0.2.100")); err != nil {
		t.Fatal(err)
	}
	if got := r.host.ipvlanSpecs(); len(got) != 0 {
		t.Fatalf("use_ipvlan dropped by the reload: devices %+v, want none", got)
	}
	r.advance(4 * time.Second)
	if got := r.host.installed(); got != vipsOn("192.0.2.100") {
		t.Fatalf("VIPs %q, want them on eth0", got)
	}
}

// On a kernel without ipvlan keepalived 2.2.7 logs "Unable to create ipvlan interface" and the
// instance stays in FAULT without its VIPs.
func TestEngineIPVlanUnsupportedKernel(t *testing.T) {
	host := newFakeHost()
	host.noIPVlan = true
	r := newRigOn(t, host, vi("VI_1", 51, 100, "192.0.2.100", "state MASTER", "use_ipvlan ipv1 192.0.2.50/24")).start()
	r.advance(10 * time.Second)
	if got := r.states(); got != "VI_1=FAULT" {
		t.Fatalf("state %s, want FAULT", got)
	}
	if got := r.host.installed(); got != "" {
		t.Fatalf("VIPs %q, want none", got)
	}
	reason := r.e.instances[0].faults[ipvlanFaultKey]
	if !strings.Contains(reason, "use_ipvlan") || !strings.Contains(reason, "no ipvlan support") || !strings.Contains(reason, "ipv1") {
		t.Fatalf("FAULT reason %q must name use_ipvlan, the device and the missing kernel support", reason)
	}
}

// An IPv4 use_ipvlan without an address is a config fault in keepalived 2.2.7: FAULT.
func TestEngineIPVlanConfigFault(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100", "state MASTER", "use_ipvlan ipv1")).start()
	r.advance(10 * time.Second)
	if got := r.states(); got != "VI_1=FAULT" || r.host.installed() != "" {
		t.Fatalf("state %s, VIPs %q: want FAULT without VIPs", got, r.host.installed())
	}
}

// A reload tries again to make a device the host could not make; when it succeeds, the
// instance leaves FAULT and its VIP goes on the device. The reload's config is the same
// (the instance is kept) or changed (it is replaced).
func TestEngineIPVlanRetriedByReload(t *testing.T) {
	conf := vi("VI_1", 51, 100, "192.0.2.100", "state MASTER", "use_ipvlan ipv1 192.0.2.50/24")
	for _, tc := range []struct{ name, reload string }{
		{"same config", conf},
		{"changed config", vi("VI_1", 51, 110, "192.0.2.100", "state MASTER", "use_ipvlan ipv1 192.0.2.50/24")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := newFakeHost()
			host.noIPVlan = true
			r := newRigOn(t, host, conf).start()
			r.advance(5 * time.Second)
			if got := r.states(); got != "VI_1=FAULT" {
				t.Fatalf("without ipvlan: %s", got)
			}
			host.mu.Lock()
			host.noIPVlan = false
			host.mu.Unlock()
			if err := r.apply(tc.reload); err != nil {
				t.Fatal(err)
			}
			r.advance(5 * time.Second)
			if got := r.states(); got != "VI_1=MASTER" || r.host.installed() != "192.0.2.100/32 dev ipv1" {
				t.Fatalf("after the reload: %s, VIPs %q, faults %v", got, r.host.installed(), r.e.instances[0].faults)
			}
			r.stop()
		})
	}
}
