package netif

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/havip/havip/runtime/vrrp"
)

// TestAHSendReceive: a DatagramSender puts the AH datagram on the wire as built (the header
// checksum vrrp.AppendAH computes is the kernel's too), and a ListenAH receiver gets it whole,
// multicast and unicast.
func TestAHSendReceive(t *testing.T) {
	a, b := newPair(t)
	tests := []struct {
		name string
		dst  netip.Addr
	}{
		{"multicast", groupV4},
		{"unicast", b.ipv4},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				r   *Receiver
				s   *DatagramSender
				err error
			)
			b.do(t, func() { r, err = ListenAH("eth0", []netip.Addr{groupV4}) })
			if err != nil {
				t.Fatalf("ListenAH: %v", err)
			}
			defer r.Close()
			a.do(t, func() { s, err = DialAH("eth0") })
			if err != nil {
				t.Fatalf("DialAH: %v", err)
			}
			defer s.Close()
			adv := vrrp.Advert{Version: 2, VRID: uint8(60 + i), Priority: 100, AdverInt: 1, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.100")}}
			d, err := adv.AppendAH(nil, vrrp.AHPacket{Src: a.ipv4, Dst: tt.dst, TTL: 255, ID: 7, Seq: 3, Key: [8]byte{'k'}, Unicast: !tt.dst.IsMulticast()})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SendDatagram(d); err != nil {
				t.Fatalf("SendDatagram: %v", err)
			}
			p := readWithin(t, r, 5*time.Second)
			if !bytes.Equal(p.Datagram, d) || !bytes.Equal(p.Payload, d[20:]) || p.Src != a.ipv4 || p.Dst != tt.dst || p.TTL != 255 {
				t.Fatalf("received %+v\nsent datagram %x", p, d)
			}
			var rx vrrp.Received
			if reason := vrrp.ParseAH(&rx, p.Datagram); reason != vrrp.DropNone || !vrrp.VerifyAH(p.Datagram, [8]byte{'k'}, !tt.dst.IsMulticast()) {
				t.Fatalf("received datagram: ParseAH %v", reason)
			}
		})
	}
}

func TestAHSocketErrors(t *testing.T) {
	a, _ := newPair(t)
	a.do(t, func() {
		if _, err := DialAH("havip-missing0"); err == nil {
			t.Error("DialAH on a missing interface succeeded")
		}
		if _, err := ListenAH("havip-missing0", nil); err == nil {
			t.Error("ListenAH on a missing interface succeeded")
		}
		if _, err := ListenAH("eth0", []netip.Addr{groupV6}); err == nil {
			t.Error("ListenAH joined an IPv6 group")
		}
		s, err := DialAH("eth0")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.SendDatagram([]byte{0x60, 0, 0}); err == nil {
			t.Error("SendDatagram sent a non-IPv4 datagram")
		}
	})
}
