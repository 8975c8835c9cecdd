package e2e

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/havip/havip/runtime/vrrp"
	"github.com/havip/havip/test/lab"
)

// checksumIn returns the checksum of p re-encoded in form, and the checksum
// tshark read on the wire.
func checksumIn(t *testing.T, p lab.VRRPPacket, form vrrp.ChecksumForm) (want, got uint64) {
	t.Helper()
	a := vrrp.Advert{Version: uint8(p.Version), VRID: uint8(p.VRID), Priority: uint8(p.Priority), AdverInt: uint16(p.AdverInt)}
	for _, s := range p.Addrs {
		a.Addrs = append(a.Addrs, netip.MustParseAddr(s))
	}
	b, err := a.Append(nil, netip.MustParseAddr(p.IPSrc), netip.MustParseAddr(p.IPDst), form)
	if err != nil {
		t.Fatal(err)
	}
	got, err = strconv.ParseUint(p.Checksum, 0, 16)
	if err != nil {
		t.Fatalf("tshark's checksum %q: %v", p.Checksum, err)
	}
	return uint64(binary.BigEndian.Uint16(b[6:8])), got
}

// TestOldUnicastChecksum runs a unicast VRRPv3 pair with old_unicast_checksum
// on both sides: keepalived 2.2.7 at priority 100, started first, and a
// higher-priority router — keepalived (the reference), then havip — that
// takes over. keepalived's behaviour, which havip matches: both send their
// adverts with the checksum of keepalived before 1.3.6 (the pseudo-header
// names 224.0.0.18, so tshark, which uses the unicast destination, calls it
// bad), each accepts the other's (keepalived in this mode checks that form
// only), the higher priority becomes MASTER and the other BACKUP. havip's
// port counters file keepalived's adverts under the legacy form.
func TestOldUnicastChecksum(t *testing.T) {
	t.Parallel()
	l := lab.New(t, lab.Options{Nodes: 2})
	n0, n1 := l.Nodes[0], l.Nodes[1]
	conf := func(self, other *lab.Node, prio int) string {
		return instanceConf{Version: 3, Priority: prio, VIPs: []string{vip4.String()}, UnicastSrc: self.IPv4.String(),
			UnicastPeers: []string{other.IPv4.String()}, Extra: "  old_unicast_checksum\n"}.conf()
	}
	high, low := conf(n0, n1, 150), conf(n1, n0, 100)

	run := func(name string, start func() (waitMaster, stop func())) {
		c := n1.Capture(t, "eth0", "ip proto 112")
		ka := n1.StartKeepalived(t, low)
		ka.WaitState(t, "VI_1", "MASTER", electionTimeout)
		waitMaster, stop := start()
		waitMaster()
		ka.WaitState(t, "VI_1", "BACKUP", electionTimeout)
		lab.Eventually(t, electionTimeout, name+"'s third advert as MASTER", func() bool {
			n := 0
			for _, p := range lab.DecodeVRRP(t, c.Path()) {
				if p.IPSrc == n0.IPv4.String() && p.Priority == 150 {
					n++
				}
			}
			return n >= 3
		})
		if got := ka.State("VI_1"); got != "BACKUP" || strings.Contains(ka.Log(), "checksum") {
			t.Fatalf("%s: keepalived in %s; log:\n%s", name, got, ka.Log())
		}
		stop()
		ka.Stop(t)
		pcap := c.Stop(t)
		bySrc := map[string]int{}
		for i, p := range lab.DecodeVRRP(t, pcap) {
			if p.Priority == 0 {
				continue
			}
			legacy, got := checksumIn(t, p, vrrp.ChecksumLegacyUnicast)
			standard, _ := checksumIn(t, p, vrrp.ChecksumRFC5798)
			if got != legacy || p.ChecksumGood || legacy == standard {
				t.Errorf("%s: advert %d from %s to %s: checksum %#04x (tshark good %v), want the old form %#04x, not %#04x",
					name, i, p.IPSrc, p.IPDst, got, p.ChecksumGood, legacy, standard)
			}
			bySrc[p.IPSrc]++
		}
		if bySrc[n0.IPv4.String()] == 0 || bySrc[n1.IPv4.String()] == 0 {
			t.Fatalf("%s: adverts by source %v, want both routers'", name, bySrc)
		}
		t.Logf("%s: adverts with the old checksum by source: %v", name, bySrc)
	}
	run("keepalived", func() (func(), func()) {
		ka := n0.StartKeepalived(t, high)
		return func() { ka.WaitState(t, "VI_1", "MASTER", electionTimeout) }, func() { ka.Stop(t) }
	})
	run("havip", func() (func(), func()) {
		h := startHavip(t, n0, high)
		return func() {
				h.WaitState(t, "VI_1", "MASTER", electionTimeout)
				var legacy uint64
				for _, p := range h.snapshot(t).Ports {
					legacy += p.Checksums[vrrp.ChecksumLegacyUnicast.String()]
				}
				if legacy == 0 {
					t.Errorf("havip's port counters %+v: no advert under %s", h.snapshot(t).Ports, vrrp.ChecksumLegacyUnicast)
				}
			}, func() {
				h.Stop(t)
			}
	})
}
