package netif

import (
	"net/netip"
	"testing"
)

// TestHasAddr looks addresses up on the interface they are on, another
// interface and after their removal; the prefix length does not matter.
func TestHasAddr(t *testing.T) {
	a, _ := newPair(t)
	run(t, "ip", "-n", a.ns, "addr", "add", "2001:db8::7/64", "dev", "eth0", "nodad")
	tests := []struct {
		name   string
		ifname string
		addr   string
		want   bool
	}{
		{"primary", "eth0", "192.0.2.1", true},
		{"secondary", "eth0", "192.0.2.11", true},
		{"IPv6", "eth0", "2001:db8::7", true},
		{"the peer's", "eth0", "192.0.2.2", false},
		{"on another interface", "lo", "192.0.2.1", false},
		{"loopback", "lo", "127.0.0.1", true},
	}
	for _, tt := range tests {
		var got bool
		var err error
		a.do(t, func() { got, err = HasAddr(tt.ifname, netip.MustParseAddr(tt.addr)) })
		if err != nil || got != tt.want {
			t.Errorf("%s: HasAddr(%s, %s) = %v, %v; want %v", tt.name, tt.ifname, tt.addr, got, err, tt.want)
		}
	}
	run(t, "ip", "-n", a.ns, "addr", "del", "192.0.2.11/24", "dev", "eth0")
	var got bool
	var err error
	a.do(t, func() { got, err = HasAddr("eth0", netip.MustParseAddr("192.0.2.11")) })
	if err != nil || got {
		t.Errorf("after removal: HasAddr = %v, %v; want false", got, err)
	}
	a.do(t, func() { _, err = HasAddr("nosuch0", netip.MustParseAddr("192.0.2.1")) })
	if err == nil {
		t.Error("HasAddr on a missing interface: no error")
	}
}
