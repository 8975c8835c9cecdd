package netif

import (
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func ipNet(s string) *net.IPNet {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	n.IP = ip
	if v4 := ip.To4(); v4 != nil {
		n.IP = v4
	}
	return n
}

func TestVIPNetlinkAddr(t *testing.T) {
	zero := uint32(0)
	tests := []struct {
		name string
		vip  VIP
		want netlink.Addr
	}{
		{
			name: "IPv4 /32 gets no broadcast",
			vip:  VIP{Prefix: netip.MustParsePrefix("192.0.2.100/32"), Dev: "eth0"},
			want: netlink.Addr{IPNet: ipNet("192.0.2.100/32"), Broadcast: net.IPv4zero},
		},
		{
			name: "IPv4 /24 still gets no broadcast unless configured",
			vip:  VIP{Prefix: netip.MustParsePrefix("192.0.2.100/24"), Dev: "eth0", Label: "eth0:vip"},
			want: netlink.Addr{IPNet: ipNet("192.0.2.100/24"), Broadcast: net.IPv4zero, Label: "eth0:vip"},
		},
		{
			name: "IPv4 brd, scope link, peer, noprefixroute",
			vip: VIP{Prefix: netip.MustParsePrefix("192.0.2.100/24"), Dev: "eth0", Broadcast: netip.MustParseAddr("192.0.2.255"),
				Scope: ScopeLink, Peer: netip.MustParsePrefix("198.51.100.1/32"), NoPrefixRoute: true},
			want: netlink.Addr{IPNet: ipNet("192.0.2.100/24"), Broadcast: net.ParseIP("192.0.2.255").To4(), Scope: unix.RT_SCOPE_LINK,
				Peer: ipNet("198.51.100.1/32"), Flags: unix.IFA_F_NOPREFIXROUTE},
		},
		{
			name: "IPv4-mapped IPv6 prefix is treated as IPv4",
			vip:  VIP{Prefix: netip.MustParsePrefix("::ffff:192.0.2.100/128"), Dev: "eth0"},
			want: netlink.Addr{IPNet: ipNet("192.0.2.100/32"), Broadcast: net.IPv4zero},
		},
		{
			name: "IPv6 defaults to NODAD and ignores label and scope",
			vip:  VIP{Prefix: netip.MustParsePrefix("2001:db8::100/128"), Dev: "eth0", Label: "eth0:vip", Scope: ScopeHost},
			want: netlink.Addr{IPNet: ipNet("2001:db8::100/128"), Flags: unix.IFA_F_NODAD},
		},
		{
			name: "IPv6 with DAD, home, mngtmpaddr, autojoin",
			vip:  VIP{Prefix: netip.MustParsePrefix("2001:db8::100/64"), Dev: "eth0", DAD: true, HomeAddress: true, ManageTempAddr: true, AutoJoin: true},
			want: netlink.Addr{IPNet: ipNet("2001:db8::100/64"), Flags: unix.IFA_F_HOMEADDRESS | unix.IFA_F_MANAGETEMPADDR | unix.IFA_F_MCAUTOJOIN},
		},
		{
			name: "preferred_lft 0 keeps the address valid forever but deprecated",
			vip:  VIP{Prefix: netip.MustParsePrefix("2001:db8::100/128"), Dev: "eth0", PreferredLft: &zero},
			want: netlink.Addr{IPNet: ipNet("2001:db8::100/128"), Flags: unix.IFA_F_NODAD, ValidLft: infiniteLifetime, PreferedLft: 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.vip.netlinkAddr()
			if err != nil {
				t.Fatalf("netlinkAddr(%v): %v", tt.vip, err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("netlinkAddr(%v)\n got %+v\nwant %+v", tt.vip, *got, tt.want)
			}
		})
	}
}

func TestVIPNetlinkAddrErrors(t *testing.T) {
	tests := []struct {
		name    string
		vip     VIP
		wantErr string
	}{
		{"no prefix", VIP{Dev: "eth0"}, "invalid address/prefix"},
		{"no interface", VIP{Prefix: netip.MustParsePrefix("192.0.2.100/32")}, "no interface"},
		{"label too long", VIP{Prefix: netip.MustParsePrefix("192.0.2.100/32"), Dev: "eth0", Label: "eth0:0123456789a"}, "longer than 15 bytes"},
		{"IPv6 broadcast", VIP{Prefix: netip.MustParsePrefix("2001:db8::1/128"), Dev: "eth0", Broadcast: netip.MustParseAddr("2001:db8::ff")}, "IPv6 has no broadcast"},
		{"IPv6 broadcast on IPv4", VIP{Prefix: netip.MustParsePrefix("192.0.2.100/24"), Dev: "eth0", Broadcast: netip.MustParseAddr("2001:db8::ff")}, "not an IPv4 address"},
		{"peer of other family", VIP{Prefix: netip.MustParsePrefix("192.0.2.100/32"), Dev: "eth0", Peer: netip.MustParsePrefix("2001:db8::1/128")}, "not an IPv4 prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.vip.netlinkAddr()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("netlinkAddr(%+v) error = %v, want one containing %q", tt.vip, err, tt.wantErr)
			}
		})
	}
}
