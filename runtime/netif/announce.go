package netif

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/packet"
)

// Announcer sends gratuitous ARPs and unsolicited neighbour advertisements for VIPs out of one
// interface through an AF_PACKET socket, so it also works on an interface without IPv4.
type Announcer struct {
	ifname string
	mac    net.HardwareAddr
	conn   *packet.Conn
}

// NewAnnouncer opens the announcement socket on ifname. srcMAC is the Ethernet source and the
// advertised link-layer address; nil means the interface's own MAC (keepalived's default), a
// virtual MAC 00:00:5e:00:01:VRID (IPv4) / 00:00:5e:00:02:VRID (IPv6) may be given instead.
func NewAnnouncer(ifname string, srcMAC net.HardwareAddr) (*Announcer, error) {
	ifi, err := interfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("announcer: %w", err)
	}
	mac := srcMAC
	if mac == nil {
		mac = ifi.HardwareAddr
	}
	if len(mac) != 6 {
		return nil, fmt.Errorf("announcer on %s: source MAC %q is not a 6-byte Ethernet address", ifname, mac)
	}
	// Protocol 0 binds the socket to the interface without subscribing to any ethertype: it only
	// sends, and the kernel takes each frame's protocol from its Ethernet header.
	conn, err := packet.Listen(ifi, packet.Raw, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("announcer on %s: open AF_PACKET socket (needs CAP_NET_RAW): %w", ifname, err)
	}
	return &Announcer{ifname: ifname, mac: mac, conn: conn}, nil
}

// GratuitousARP broadcasts an ARP request announcing vip at the announcer's MAC.
func (a *Announcer) GratuitousARP(vip netip.Addr) error {
	vip = vip.Unmap()
	if !vip.Is4() {
		return fmt.Errorf("gratuitous ARP on %s: %v is not an IPv4 address", a.ifname, vip)
	}
	frame, err := gratuitousARPFrame(a.mac, vip)
	if err != nil {
		return fmt.Errorf("gratuitous ARP for %v on %s: %w", vip, a.ifname, err)
	}
	if _, err := a.conn.WriteTo(frame, &packet.Addr{HardwareAddr: ethernet.Broadcast}); err != nil {
		return fmt.Errorf("gratuitous ARP for %v on %s: %w", vip, a.ifname, err)
	}
	return nil
}

// UnsolicitedNA sends an unsolicited neighbour advertisement for vip to all nodes (ff02::1), with
// the Override flag, the Router flag when the interface forwards IPv6, and the announcer's MAC as
// target link-layer address. The IPv6 source is the VIP itself, as keepalived and FRR send it.
func (a *Announcer) UnsolicitedNA(vip netip.Addr) error {
	if !vip.Is6() || vip.Is4In6() {
		return fmt.Errorf("unsolicited NA on %s: %v is not an IPv6 address", a.ifname, vip)
	}
	router, err := ipv6Forwarding(a.ifname)
	if err != nil {
		return fmt.Errorf("unsolicited NA for %v on %s: %w", vip, a.ifname, err)
	}
	frame := unsolicitedNAFrame(a.mac, vip.WithZone(""), router)
	if _, err := a.conn.WriteTo(frame, &packet.Addr{HardwareAddr: allNodesMAC}); err != nil {
		return fmt.Errorf("unsolicited NA for %v on %s: %w", vip, a.ifname, err)
	}
	return nil
}

// Close closes the socket.
func (a *Announcer) Close() error {
	return a.conn.Close()
}

// ipv6Forwarding reads whether ifname forwards IPv6 (and so is a router for the NA R flag).
func ipv6Forwarding(ifname string) (bool, error) {
	b, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + ifname + "/forwarding")
	if err != nil {
		return false, fmt.Errorf("read IPv6 forwarding setting: %w", err)
	}
	return strings.TrimSpace(string(b)) != "0", nil
}

var (
	allNodesMAC  = net.HardwareAddr{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}
	allNodesIPv6 = netip.MustParseAddr("ff02::1")
)

const (
	etherTypeIPv6  = 0x86dd
	ethHeaderLen   = 14
	ipv6HeaderLen  = 40
	protoICMPv6    = 58
	icmpTypeNA     = 136
	naFlagRouter   = 0x80
	naFlagOverride = 0x20
	ndOptTargetLL  = 2
	naBodyLen      = 4 + 4 + 16 + 8 // type/code/checksum, flags/reserved, target, target link-layer option
)

// putEthernet writes an Ethernet II header.
func putEthernet(b []byte, dst, src net.HardwareAddr, etherType uint16) {
	copy(b[0:6], dst)
	copy(b[6:12], src)
	binary.BigEndian.PutUint16(b[12:14], etherType)
}

// gratuitousARPFrame builds the broadcast ARP request keepalived sends for a VIP: sender
// hardware address mac, sender and target protocol address vip, target hardware address
// broadcast (vrrp-brief §1.7), in an Ethernet frame padded to the 60-byte minimum.
func gratuitousARPFrame(mac net.HardwareAddr, vip netip.Addr) ([]byte, error) {
	p, err := arp.NewPacket(arp.OperationRequest, mac, vip, ethernet.Broadcast, vip)
	if err != nil {
		return nil, err
	}
	payload, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	f := ethernet.Frame{Destination: ethernet.Broadcast, Source: mac, EtherType: ethernet.EtherTypeARP, Payload: payload}
	return f.MarshalBinary()
}

// unsolicitedNAFrame builds the 86-byte Ethernet/IPv6/ICMPv6 neighbour advertisement: from vip to
// ff02::1, hop limit 255, S=0, O=1, R=router, target vip, target link-layer option mac.
func unsolicitedNAFrame(mac net.HardwareAddr, vip netip.Addr, router bool) []byte {
	b := make([]byte, ethHeaderLen+ipv6HeaderLen+naBodyLen)
	putEthernet(b, allNodesMAC, mac, etherTypeIPv6)
	ip := b[ethHeaderLen:]
	ip[0] = 0x60 // version 6, traffic class 0, flow label 0
	binary.BigEndian.PutUint16(ip[4:6], naBodyLen)
	ip[6], ip[7] = protoICMPv6, 255
	src, dst := vip.As16(), allNodesIPv6.As16()
	copy(ip[8:24], src[:])
	copy(ip[24:40], dst[:])
	na := ip[ipv6HeaderLen:]
	na[0] = icmpTypeNA
	na[4] = naFlagOverride
	if router {
		na[4] |= naFlagRouter
	}
	copy(na[8:24], src[:])
	na[24], na[25] = ndOptTargetLL, 1 // option length in units of 8 bytes
	copy(na[26:32], mac)
	binary.BigEndian.PutUint16(na[2:4], icmpv6Checksum(src, dst, na))
	return b
}

// icmpv6Checksum is the RFC 1071 checksum over the IPv6 pseudo-header and msg (checksum zeroed).
func icmpv6Checksum(src, dst [16]byte, msg []byte) uint16 {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(src[:])
	add(dst[:])
	sum += uint32(len(msg)) // upper-layer length (32 bits; its high half is zero here)
	sum += protoICMPv6      // three zero bytes and the next header
	add(msg)
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
