package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// TestWireFormatDecodedByTshark has tshark, as an independent decoder,
// check what a havip master puts on the wire: adverts (checksum Good, TTL or
// hop limit 255, DS field 0xc0, fields as configured), the gratuitous ARP or
// unsolicited NA burst, and the priority-0 advert on shutdown.
func TestWireFormatDecodedByTshark(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		conf       instanceConf
		globalDefs string
		tsharkArgs []string
		ipv6       bool
		adverInt   int // as the field carries it
		authType   int
	}{
		{name: "v2 PASS", conf: instanceConf{Version: 2, AuthPass: "s3cret"}, adverInt: 1, authType: 1},
		{name: "v3 IPv4 pseudo-header checksum", conf: instanceConf{Version: 3, AdvertInt: "0.5"}, adverInt: 50},
		{name: "v3 IPv4 v3_checksum_as_v2", conf: instanceConf{Version: 3, AdvertInt: "0.5"}, adverInt: 50,
			globalDefs: "global_defs {\n  v3_checksum_as_v2\n}\n", tsharkArgs: []string{"-o", "vrrp.v3_checksum_as_in_v2:TRUE"}},
		{name: "v3 IPv6", conf: instanceConf{Version: 3, AdvertInt: "0.5"}, ipv6: true, adverInt: 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := lab.New(t, lab.Options{Nodes: 1, Client: true})
			node := l.Nodes[0]
			vip := vip4
			if tc.ipv6 {
				vip = vip6
			}
			conf := tc.conf
			conf.Priority = 150
			conf.VIPs = []string{vip.String()}
			capture := l.Client.Capture(t, "eth0", "ip proto 112 or ip6 proto 112 or arp or icmp6")
			hv := startHavip(t, node, tc.globalDefs+conf.conf())
			hv.WaitState(t, "VI_1", "MASTER", electionTimeout)
			lab.Eventually(t, 10*time.Second, "three adverts from the master", func() bool {
				return len(lab.DecodeVRRP(t, capture.Path(), tc.tsharkArgs...)) >= 3
			})
			hv.Stop(t)
			pcap := capture.Stop(t)

			adverts := lab.DecodeVRRP(t, pcap, tc.tsharkArgs...)
			src, dst := node.IPv4.String(), "224.0.0.18"
			if tc.ipv6 {
				src, dst = node.LinkLocal.String(), "ff02::12"
			}
			for i, a := range adverts {
				ttl := a.TTL
				if tc.ipv6 {
					ttl = a.HopLimit
				}
				want := fmt.Sprintf("src=%s dst=%s ttl=255 ds=0xc0 v=%d vrid=51 count=1 int=%d auth=%d good=true addrs=[%s]",
					src, dst, max(tc.conf.Version, 2), tc.adverInt, tc.authType, vip.Addr())
				got := fmt.Sprintf("src=%s dst=%s ttl=%d ds=%s v=%d vrid=%d count=%d int=%d auth=%d good=%v addrs=%v",
					a.IPSrc, a.IPDst, ttl, a.DSField, a.Version, a.VRID, a.Count, a.AdverInt, a.AuthType, a.ChecksumGood, a.Addrs)
				if got != want {
					t.Errorf("advert %d:\n got %s\nwant %s", i, got, want)
				}
				if i < len(adverts)-1 && a.Priority != 150 {
					t.Errorf("advert %d: priority %d, want 150", i, a.Priority)
				}
			}
			if last := adverts[len(adverts)-1]; last.Priority != 0 {
				t.Errorf("last advert (shutdown) has priority %d, want 0", last.Priority)
			}

			mac := node.HardwareAddr(t, "eth0")
			if tc.ipv6 {
				var nas int
				for _, na := range lab.DecodeNA(t, pcap) {
					if na.Target != vip.Addr().String() {
						continue
					}
					nas++
					if na.EthSrc != mac || na.TargetLLAddr != mac || na.IPDst != "ff02::1" || na.HopLimit != 255 || !na.Override || na.Solicited {
						t.Errorf("unsolicited NA not as keepalived sends it: %+v (want from %s, target LL %s, to ff02::1, hop limit 255, O=1, S=0)", na, mac, mac)
					}
				}
				if nas < 5 {
					t.Errorf("%d unsolicited NAs for %s, want the burst of 5 (garp_master_repeat)", nas, vip.Addr())
				}
				return
			}
			var garps []lab.ARPPacket
			for _, a := range lab.DecodeARP(t, pcap) {
				if a.Gratuitous && a.SenderIP == vip.Addr().String() {
					garps = append(garps, a)
				}
			}
			if len(garps) < 5 {
				t.Fatalf("%d gratuitous ARPs for %s, want the burst of 5 (garp_master_repeat)", len(garps), vip.Addr())
			}
			for _, g := range garps {
				if g.Op != 1 || g.EthSrc != mac || g.SenderMAC != mac || g.EthDst != "ff:ff:ff:ff:ff:ff" ||
					!slices.Contains([]string{"ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00"}, g.TargetMAC) {
					t.Errorf("gratuitous ARP not as keepalived sends it: %+v (want request from %s to broadcast)", g, mac)
				}
			}
		})
	}
}
