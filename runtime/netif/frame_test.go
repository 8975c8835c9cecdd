package netif

import (
	"bytes"
	"encoding/hex"
	"net"
	"net/netip"
	"testing"
)

// The golden frames were computed independently (Python struct + RFC 1071 checksum) from the
// layouts in vrrp-brief §1.7 and keepalived's vrrp_arp.c / vrrp_ndisc.c.
func TestAnnouncementFrames(t *testing.T) {
	mac := net.HardwareAddr{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	garp, err := gratuitousARPFrame(mac, netip.MustParseAddr("192.0.2.100"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		frame  []byte
		golden string
	}{
		{
			name:  "gratuitous ARP 192.0.2.100, padded to 60 bytes",
			frame: garp,
			golden: "ffffffffffff52540012345608060001080006040001525400123456c0000264ffffffffffffc0000264" +
				"000000000000000000000000000000000000",
		},
		{
			name:  "unsolicited NA 2001:db8::100, host",
			frame: unsolicitedNAFrame(mac, netip.MustParseAddr("2001:db8::100"), false),
			golden: "33330000000152540012345686dd6000000000203aff20010db8000000000000000000000100ff02000000000000000000000000000188" +
				"0072712000000020010db80000000000000000000001000201525400123456",
		},
		{
			name:  "unsolicited NA 2001:db8::100, router",
			frame: unsolicitedNAFrame(mac, netip.MustParseAddr("2001:db8::100"), true),
			golden: "33330000000152540012345686dd6000000000203aff20010db8000000000000000000000100ff02000000000000000000000000000188" +
				"00f270a000000020010db80000000000000000000001000201525400123456",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := hex.DecodeString(tt.golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tt.frame, want) {
				t.Errorf("frame\n got %x\nwant %x", tt.frame, want)
			}
		})
	}
}

func TestICMPv6Checksum(t *testing.T) {
	src := netip.MustParseAddr("2001:db8::100").As16()
	dst := allNodesIPv6.As16()
	tests := []struct {
		name string
		msg  []byte
		want uint16
	}{
		// Summing a message that already carries its checksum must give 0 (RFC 1071 self-check);
		// icmpv6Checksum complements, so the expected result is 0.
		{"verifies own NA", unsolicitedNAFrame(net.HardwareAddr{2, 0, 0, 0, 0, 1}, netip.MustParseAddr("2001:db8::100"), false)[54:], 0},
		// 2001+0db8+0100 (src) + ff02+0001 (dst) + 1 (length) + 58 (next header) + 0100 (the byte
		// 0x01 padded) = 0x12ef7, folded 0x2ef8, complemented 0xd107.
		{"odd length pads with zero", []byte{0x01}, 0xd107},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := icmpv6Checksum(src, dst, tt.msg); got != tt.want {
				t.Errorf("checksum = %#04x, want %#04x", got, tt.want)
			}
		})
	}
}
