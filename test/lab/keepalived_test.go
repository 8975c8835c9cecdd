package lab

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"
)

// keepalivedV2Conf is a VRRPv2 instance VI_1, VRID 51, VIP 192.0.2.100/24 on eth0,
// starting as BACKUP so that priority alone elects the master.
func keepalivedV2Conf(routerID string, priority int) string {
	return fmt.Sprintf(`global_defs {
  router_id %s
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority %d
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`, routerID, priority)
}

// TestKeepalivedPair runs two real keepalived 2.2.7 speakers and records what the
// havip engine must reproduce on the wire and in the neighbour tables.
func TestKeepalivedPair(t *testing.T) {
	l := New(t, Options{Nodes: 2, Client: true})
	n1, n2, client := l.Nodes[0], l.Nodes[1], l.Client
	mac1, mac2 := n1.HardwareAddr(t, "eth0"), n2.HardwareAddr(t, "eth0")
	vip := netip.MustParseAddr("192.0.2.100")
	vipPrefix := netip.PrefixFrom(vip, 24)

	capture := client.Capture(t, "eth0", "ip proto 112 or arp")
	k1 := n1.StartKeepalived(t, keepalivedV2Conf("n1", 120))
	k2 := n2.StartKeepalived(t, keepalivedV2Conf("n2", 110))

	// Both start as BACKUP; on a loaded machine n2's master-down timer can expire
	// first, making it MASTER until n1's first advert preempts it.
	k1.WaitState(t, "VI_1", "MASTER", 20*time.Second)
	k2.WaitState(t, "VI_1", "BACKUP", 10*time.Second)
	Eventually(t, 5*time.Second, "the VIP on n1 only", func() bool {
		return n1.HasAddr(t, "eth0", vipPrefix) && !n2.HasAddr(t, "eth0", vipPrefix)
	})

	// The master's first adverts and its GARP burst (vrrp_garp_master_repeat 5).
	fromN1 := func(p VRRPPacket) bool { return p.IPSrc == n1.IPv4.String() }
	Eventually(t, 10*time.Second, "two adverts and five GARPs from n1 in the capture", func() bool {
		adverts := slices.DeleteFunc(DecodeVRRP(t, capture.Path()), func(p VRRPPacket) bool { return !fromN1(p) })
		return len(adverts) >= 2 && len(garpsFor(DecodeARP(t, capture.Path()), vip)) >= 5
	})

	if !ping(client, vip, 1) {
		t.Fatalf("client cannot ping the VIP %v", vip)
	}
	if got := client.Neighbor(t, vip); got != mac1 {
		t.Errorf("client neighbour entry for the VIP = %q, want the master's MAC %q", got, mac1)
	}

	k1.Stop(t)
	k2.WaitState(t, "VI_1", "MASTER", 10*time.Second)
	Eventually(t, 5*time.Second, "the VIP to move to n2", func() bool {
		return n2.HasAddr(t, "eth0", vipPrefix) && !n1.HasAddr(t, "eth0", vipPrefix)
	})
	// n2's GARPs update the client's existing entry for the VIP.
	Eventually(t, 10*time.Second, "the client's entry for the VIP to become n2's MAC", func() bool {
		return client.Neighbor(t, vip) == mac2
	})
	Eventually(t, 10*time.Second, "an advert from n2 in the capture", func() bool {
		return slices.ContainsFunc(DecodeVRRP(t, capture.Path()), func(p VRRPPacket) bool { return p.IPSrc == n2.IPv4.String() })
	})
	pcap := capture.Stop(t)

	adverts := DecodeVRRP(t, pcap)
	wantAdvert := func(src, mac string, priority int) VRRPPacket {
		return VRRPPacket{EthSrc: mac, IPSrc: src, IPDst: "224.0.0.18", TTL: 255, DSField: "0xc0",
			Version: 2, VRID: 51, Priority: priority, Count: 1, AdverInt: 1, AuthType: 0, ChecksumGood: true,
			Addrs: []string{"192.0.2.100"}}
	}
	var n1Adverts, n1Zero, n2Adverts int
	var n1First float64 // time of n1's first priority-120 advert
	for _, p := range adverts {
		var want VRRPPacket
		switch {
		case p.IPSrc == n1.IPv4.String() && p.Priority == 0:
			n1Zero++
			want = wantAdvert(n1.IPv4.String(), mac1, 0)
		case p.IPSrc == n1.IPv4.String():
			if n1Zero > 0 {
				t.Errorf("n1 advert with priority %d after its priority-0 advert", p.Priority)
			}
			if n1Adverts == 0 {
				n1First = p.Time
			}
			n1Adverts++
			want = wantAdvert(n1.IPv4.String(), mac1, 120)
		case p.IPSrc == n2.IPv4.String():
			// n2 may have been MASTER briefly (see above); it may still send one
			// periodic advert before it processes n1's first one.
			if n1Adverts > 0 && n1Zero == 0 && p.Time > n1First+1 {
				t.Errorf("n2 advertised at %f while n1 was master (since %f)", p.Time, n1First)
			}
			n2Adverts++
			want = wantAdvert(n2.IPv4.String(), mac2, 110)
		default:
			t.Errorf("advert from unexpected source %s", p.IPSrc)
			continue
		}
		want.Time, want.Checksum = p.Time, p.Checksum
		if !reflect.DeepEqual(p, want) {
			t.Errorf("advert = %+v\nwant     %+v", p, want)
		}
		if p.Checksum == "" {
			t.Errorf("advert at %f has no checksum field", p.Time)
		}
	}
	if n1Adverts < 2 || n1Zero < 1 || n2Adverts < 1 {
		t.Errorf("adverts: %d from n1 at 120, %d at priority 0, %d from n2; want >=2, >=1, >=1", n1Adverts, n1Zero, n2Adverts)
	}

	garps := garpsFor(DecodeARP(t, pcap), vip)
	var garpsN1, garpsN2 int
	for _, g := range garps {
		mac := g.SenderMAC
		switch mac {
		case mac1:
			garpsN1++
		case mac2:
			garpsN2++
		default:
			t.Errorf("GARP for the VIP from unexpected MAC %s", mac)
		}
		want := ARPPacket{Time: g.Time, EthSrc: mac, EthDst: "ff:ff:ff:ff:ff:ff", Op: 1, SenderMAC: mac,
			SenderIP: vip.String(), TargetMAC: "ff:ff:ff:ff:ff:ff", TargetIP: vip.String(), Gratuitous: true}
		if g != want {
			t.Errorf("GARP = %+v\nwant   %+v", g, want)
		}
	}
	if garpsN1 < 5 || garpsN2 < 5 {
		t.Errorf("GARPs for the VIP: %d from n1, %d from n2; want a burst of >=5 from each", garpsN1, garpsN2)
	}
	t.Logf("keepalived pair: %d adverts from n1, %d priority-0, %d from n2; %d+%d GARPs", n1Adverts, n1Zero, n2Adverts, garpsN1, garpsN2)
}

// garpsFor returns the gratuitous ARPs announcing ip.
func garpsFor(pkts []ARPPacket, ip netip.Addr) []ARPPacket {
	var out []ARPPacket
	for _, p := range pkts {
		if p.Gratuitous && p.SenderIP == ip.String() {
			out = append(out, p)
		}
	}
	return out
}
