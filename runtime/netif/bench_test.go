package netif

import (
	"net/netip"
	"testing"
	"time"
)

// BenchmarkRoundTrip measures one Send from one namespace plus the matching Read in the other,
// over a veth pair, for a 12-byte VRRPv3 advert.
func BenchmarkRoundTrip(b *testing.B) {
	for _, family := range []int{4, 6} {
		b.Run(map[int]string{4: "IPv4-multicast", 6: "IPv6-multicast"}[family], func(b *testing.B) {
			na, nb := newPair(b)
			group, src := groupV4, na.ipv4
			if family == 6 {
				group, src = groupV6, na.linkLocal(b)
			}
			var (
				r          *Receiver
				s          *Sender
				errR, errS error
			)
			nb.do(b, func() { r, errR = ListenVRRP("eth0", family, []netip.Addr{group}) })
			na.do(b, func() { s, errS = DialVRRP("eth0", family) })
			if errR != nil || errS != nil {
				b.Fatal(errR, errS)
			}
			defer r.Close()
			defer s.Close()
			if err := r.SetReadDeadline(time.Now().Add(2 * time.Minute)); err != nil {
				b.Fatal(err)
			}
			payload := []byte{0x31, 51, 150, 1, 0, 100, 0, 0, 192, 0, 2, 100}
			buf := make([]byte, 1500)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := s.Send(payload, src, group, DefaultTTL); err != nil {
					b.Fatal(err)
				}
				if _, err := r.Read(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
