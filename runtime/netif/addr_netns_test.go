package netif

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// ipAddrInfo is one addr_info entry of `ip -j addr show`.
type ipAddrInfo struct {
	Local         string `json:"local"`
	PrefixLen     int    `json:"prefixlen"`
	Broadcast     string `json:"broadcast"`
	Scope         string `json:"scope"`
	Label         string `json:"label"`
	Secondary     bool   `json:"secondary"`
	NoDAD         bool   `json:"nodad"`
	NoPrefixRoute bool   `json:"noprefixroute"`
	Tentative     bool   `json:"tentative"`
	Deprecated    bool   `json:"deprecated"`
}

// ipAddrs lists the addresses of eth0 in the node's namespace as iproute2 reports them.
func (n *testNode) ipAddrs(t *testing.T) map[string]ipAddrInfo {
	t.Helper()
	var links []struct {
		AddrInfo []ipAddrInfo `json:"addr_info"`
	}
	if err := json.Unmarshal([]byte(run(t, "ip", "-n", n.ns, "-j", "addr", "show", "dev", "eth0")), &links); err != nil {
		t.Fatalf("parse ip -j addr: %v", err)
	}
	got := map[string]ipAddrInfo{}
	for _, l := range links {
		for _, a := range l.AddrInfo {
			got[a.Local] = a
		}
	}
	return got
}

func TestAddDelVIP(t *testing.T) {
	a, _ := newPair(t)
	zero := uint32(0)
	tests := []struct {
		name string
		vip  VIP
		want ipAddrInfo
	}{
		{
			name: "IPv4 /32 without broadcast",
			vip:  VIP{Prefix: netip.MustParsePrefix("192.0.2.100/32"), Dev: "eth0"},
			want: ipAddrInfo{Local: "192.0.2.100", PrefixLen: 32, Scope: "global", Label: "eth0"},
		},
		{
			name: "IPv4 /24 with label is a secondary without broadcast",
			vip:  VIP{Prefix: netip.MustParsePrefix("192.0.2.101/24"), Dev: "eth0", Label: "eth0:vip"},
			want: ipAddrInfo{Local: "192.0.2.101", PrefixLen: 24, Scope: "global", Label: "eth0:vip", Secondary: true},
		},
		{
			name: "IPv4 brd and scope link",
			vip: VIP{Prefix: netip.MustParsePrefix("198.51.100.7/24"), Dev: "eth0",
				Broadcast: netip.MustParseAddr("198.51.100.255"), Scope: ScopeLink},
			want: ipAddrInfo{Local: "198.51.100.7", PrefixLen: 24, Broadcast: "198.51.100.255", Scope: "link", Label: "eth0"},
		},
		{
			name: "IPv6 /128 nodad",
			vip:  VIP{Prefix: netip.MustParsePrefix("2001:db8::100/128"), Dev: "eth0"},
			want: ipAddrInfo{Local: "2001:db8::100", PrefixLen: 128, Scope: "global", NoDAD: true},
		},
		{
			name: "IPv6 noprefixroute, deprecated",
			vip:  VIP{Prefix: netip.MustParsePrefix("2001:db8:1::100/64"), Dev: "eth0", NoPrefixRoute: true, PreferredLft: &zero},
			want: ipAddrInfo{Local: "2001:db8:1::100", PrefixLen: 64, Scope: "global", NoDAD: true, NoPrefixRoute: true, Deprecated: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var addErr1, addErr2, delErr1, delErr2, hasErr1, hasErr2 error
			var hasAfterAdd, hasAfterDel bool
			a.do(t, func() {
				addErr1 = AddVIP(tt.vip)
				addErr2 = AddVIP(tt.vip) // idempotent
				hasAfterAdd, hasErr1 = HasVIP(tt.vip)
			})
			if err := errors.Join(addErr1, addErr2, hasErr1); err != nil {
				t.Fatal(err)
			}
			if !hasAfterAdd {
				t.Errorf("HasVIP after AddVIP = false")
			}
			if got := a.ipAddrs(t)[tt.want.Local]; got != tt.want {
				t.Errorf("installed address\n got %+v\nwant %+v", got, tt.want)
			}
			a.do(t, func() {
				delErr1 = DelVIP(tt.vip)
				delErr2 = DelVIP(tt.vip) // idempotent
				hasAfterDel, hasErr2 = HasVIP(tt.vip)
			})
			if err := errors.Join(delErr1, delErr2, hasErr2); err != nil {
				t.Fatal(err)
			}
			if hasAfterDel {
				t.Errorf("HasVIP after DelVIP = true")
			}
			if got, ok := a.ipAddrs(t)[tt.want.Local]; ok {
				t.Errorf("address still installed after DelVIP: %+v", got)
			}
		})
	}
}

func TestVIPMissingInterface(t *testing.T) {
	a, _ := newPair(t)
	vip := VIP{Prefix: netip.MustParsePrefix("192.0.2.100/32"), Dev: "nosuch0"}
	a.do(t, func() {
		_, hasErr := HasVIP(vip)
		_, primaryErr := PrimaryAddr("nosuch0", 4)
		for name, err := range map[string]error{"AddVIP": AddVIP(vip), "DelVIP": DelVIP(vip), "HasVIP": hasErr, "PrimaryAddr": primaryErr} {
			if !errors.Is(err, ErrNoInterface) || !strings.Contains(err.Error(), `"nosuch0"`) {
				t.Errorf("%s on a missing interface: error %v, want ErrNoInterface naming nosuch0", name, err)
			}
		}
	})
}

func TestRemoveStale(t *testing.T) {
	a, _ := newPair(t)
	stale1 := VIP{Prefix: netip.MustParsePrefix("192.0.2.100/32"), Dev: "eth0"}
	stale2 := VIP{Prefix: netip.MustParsePrefix("2001:db8::100/128"), Dev: "eth0"}
	absent := VIP{Prefix: netip.MustParsePrefix("192.0.2.102/32"), Dev: "eth0"}
	otherMask := VIP{Prefix: netip.MustParsePrefix("192.0.2.1/32"), Dev: "eth0"} // 192.0.2.1/24 is the primary: not ours
	run(t, "ip", "-n", a.ns, "addr", "add", "192.0.2.100/32", "dev", "eth0")
	run(t, "ip", "-n", a.ns, "addr", "add", "2001:db8::100/128", "nodad", "dev", "eth0")

	var removed, again []VIP
	var err1, err2 error
	a.do(t, func() {
		removed, err1 = RemoveStale([]VIP{stale1, absent, stale2, otherMask})
		again, err2 = RemoveStale([]VIP{stale1, absent, stale2, otherMask})
	})
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 || removed[0] != stale1 || removed[1] != stale2 {
		t.Errorf("first RemoveStale removed %v, want [%v %v]", removed, stale1, stale2)
	}
	if len(again) != 0 {
		t.Errorf("second RemoveStale removed %v, want nothing", again)
	}
	addrs := a.ipAddrs(t)
	for _, gone := range []string{"192.0.2.100", "2001:db8::100"} {
		if _, ok := addrs[gone]; ok {
			t.Errorf("%s still installed", gone)
		}
	}
	if _, ok := addrs["192.0.2.1"]; !ok {
		t.Error("RemoveStale deleted the primary 192.0.2.1/24 although only 192.0.2.1/32 was listed")
	}
}

func TestPrimaryAddr(t *testing.T) {
	a, b := newPair(t)
	// b's eth0 loses its IPv4 address; a keeps 192.0.2.1/24 (primary) and 192.0.2.11/24 (secondary).
	run(t, "ip", "-n", b.ns, "addr", "flush", "dev", "eth0", "scope", "global")
	a.linkLocal(t)     // wait until usable
	var llA netip.Addr // as iproute2 reports it, independently of PrimaryAddr
	for local, info := range a.ipAddrs(t) {
		if info.Scope == "link" {
			llA = netip.MustParseAddr(local)
		}
	}
	tests := []struct {
		name    string
		node    *testNode
		ifname  string
		family  int
		want    netip.Addr
		wantErr error
	}{
		{"IPv4 first primary, not the secondary", a, "eth0", 4, netip.MustParseAddr("192.0.2.1"), nil},
		{"IPv6 link-local", a, "eth0", 6, llA, nil},
		{"no IPv4 address", b, "eth0", 4, netip.Addr{}, ErrNoAddress},
		{"loopback has no link-local", a, "lo", 6, netip.Addr{}, ErrNoAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got netip.Addr
			var err error
			tt.node.do(t, func() { got, err = PrimaryAddr(tt.ifname, tt.family) })
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("PrimaryAddr(%s, %d) = %v, %v; want %v, %v", tt.ifname, tt.family, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
