package netif

import (
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestGratuitousARPOnTheWire(t *testing.T) {
	a, b := newPair(t)
	run(t, "ip", "-n", a.ns, "addr", "flush", "dev", "eth0", "scope", "global") // works without IPv4 on the interface
	vip := netip.MustParseAddr("192.0.2.100")
	vmac := net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x01, 0x33}
	var mac net.HardwareAddr
	a.do(t, func() {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			t.Fatal(err)
		}
		mac = ifi.HardwareAddr
	})

	wait := b.capture(t, "arp", 2)
	a.do(t, func() {
		for _, src := range []net.HardwareAddr{nil, vmac} {
			ann, err := NewAnnouncer("eth0", src)
			if err != nil {
				t.Fatalf("NewAnnouncer(eth0, %v): %v", src, err)
			}
			if err := ann.GratuitousARP(vip); err != nil {
				t.Fatalf("GratuitousARP: %v", err)
			}
			if err := ann.GratuitousARP(netip.MustParseAddr("2001:db8::1")); err == nil {
				t.Error("GratuitousARP accepted an IPv6 address")
			}
			ann.Close()
		}
	})
	got := tsharkFields(t, wait(), "arp.isgratuitous==1", "eth.src", "eth.dst", "arp.opcode",
		"arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4")
	want := []string{
		strings.Join([]string{mac.String(), "ff:ff:ff:ff:ff:ff", "1", mac.String(), "192.0.2.100", "ff:ff:ff:ff:ff:ff", "192.0.2.100"}, "|"),
		strings.Join([]string{vmac.String(), "ff:ff:ff:ff:ff:ff", "1", vmac.String(), "192.0.2.100", "ff:ff:ff:ff:ff:ff", "192.0.2.100"}, "|"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tshark gratuitous ARPs\n got %q\nwant %q", got, want)
	}
}

func TestUnsolicitedNAOnTheWire(t *testing.T) {
	a, b := newPair(t)
	vip := netip.MustParseAddr("2001:db8::100")
	var mac net.HardwareAddr
	a.do(t, func() {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			t.Fatal(err)
		}
		mac = ifi.HardwareAddr
	})

	wait := b.capture(t, "icmp6 and ip6[40] == 136", 2)
	a.do(t, func() {
		ann, err := NewAnnouncer("eth0", nil)
		if err != nil {
			t.Fatalf("NewAnnouncer: %v", err)
		}
		defer ann.Close()
		if err := ann.UnsolicitedNA(vip); err != nil {
			t.Fatalf("UnsolicitedNA as host: %v", err)
		}
		run(t, "ip", "netns", "exec", a.ns, "sysctl", "-qw", "net.ipv6.conf.eth0.forwarding=1")
		if err := ann.UnsolicitedNA(vip); err != nil {
			t.Fatalf("UnsolicitedNA as router: %v", err)
		}
		if err := ann.UnsolicitedNA(netip.MustParseAddr("192.0.2.1")); err == nil {
			t.Error("UnsolicitedNA accepted an IPv4 address")
		}
	})
	got := tsharkFields(t, wait(), "icmpv6.nd.na.target_address == 2001:db8::100", "eth.src", "eth.dst", "ipv6.src", "ipv6.dst",
		"ipv6.hlim", "icmpv6.type", "icmpv6.nd.na.flag.r", "icmpv6.nd.na.flag.s", "icmpv6.nd.na.flag.o",
		"icmpv6.nd.na.target_address", "icmpv6.opt.linkaddr", "icmpv6.checksum.status")
	line := func(router string) string {
		return strings.Join([]string{mac.String(), "33:33:00:00:00:01", "2001:db8::100", "ff02::1", "255", "136",
			router, "0", "1", "2001:db8::100", mac.String(), "1"}, "|")
	}
	if want := []string{line("0"), line("1")}; !reflect.DeepEqual(got, want) {
		t.Errorf("tshark neighbour advertisements\n got %q\nwant %q", got, want)
	}
}
