package vrrp

import (
	"encoding/binary"
	"net/netip"
)

// maxPaddedIPv4Datagram is the Ethernet minimum payload (60-byte minimum
// frame less the 14-byte header): an IPv4 datagram no longer than this may
// arrive followed by padding, which keepalived tolerates and so do we.
const maxPaddedIPv4Datagram = 46

// ipv4HeaderLen is the length of the option-less IPv4 header VRRP speakers
// send; it is only used to decide whether trailing bytes are padding.
const ipv4HeaderLen = 20

// Decode parses the VRRP message at the start of msg into a, reusing the
// capacity of a.Addrs so that a caller that keeps its Advert decodes without
// allocating. ipv6 is the family of the carrying IP header. It checks only
// what is needed to read the message safely (minimum length, version, type,
// length implied by the count) and returns the number of message bytes, or
// the reason the bytes are not a VRRP advertisement. Trailing bytes after the
// message are left to the caller (see Parse for the padding rule).
func Decode(a *Advert, msg []byte, ipv6 bool) (int, DropReason) {
	if len(msg) < v3HeaderLen {
		return 0, DropTooShort
	}
	version := msg[0] >> 4
	if version != 2 && version != 3 || version == 2 && ipv6 {
		return 0, DropBadVersion
	}
	if msg[0]&0x0f != typeAdvertisement {
		return 0, DropType
	}
	count := int(msg[3])
	need := MessageLen(version, ipv6, count)
	if len(msg) < need {
		return 0, DropLength
	}
	a.Version = version
	a.VRID = msg[1]
	a.Priority = msg[2]
	if version == 2 {
		a.AuthType = AuthType(msg[4])
		a.AdverInt = uint16(msg[5])
		copy(a.AuthData[:], msg[need-v2AuthLen:need])
	} else {
		a.AuthType = AuthNone
		a.AdverInt = binary.BigEndian.Uint16(msg[4:6]) & v3MaxAdverInt
		a.AuthData = [8]byte{}
	}
	a.Addrs = a.Addrs[:0]
	p := msg[v3HeaderLen:]
	for range count {
		if ipv6 {
			a.Addrs = append(a.Addrs, netip.AddrFrom16([16]byte(p[:16])))
			p = p[16:]
		} else {
			a.Addrs = append(a.Addrs, netip.AddrFrom4([4]byte(p[:4])))
			p = p[4:]
		}
	}
	return need, DropNone
}

// Received is an advertisement that passed the packet-level (stateless)
// checks, with the IP-layer facts the instance-level checks need.
type Received struct {
	Advert
	Src, Dst netip.Addr   // IP source and destination
	TTL      uint8        // IPv4 TTL or IPv6 hop limit
	Checksum ChecksumForm // the checksum form that matched
	// AH is set for an advert that arrived in an IPsec Authentication
	// Header (IPv4 protocol 51, ParseAH): AuthHeader holds the header and
	// Datagram the whole IPv4 datagram its ICV covers.
	AH         bool
	AuthHeader AuthHeader
	Datagram   []byte
}

// Parse runs the packet-level part of the receive ladder: the checks that do
// not depend on any instance, so the socket reader runs them once per packet
// before demultiplexing by (family, VRID) with rx.VRID. payload is the VRRP
// message (IP header stripped); src, dst and ttl come from the IP header. On
// DropNone rx holds the advert; it is reused across calls without allocating
// once its address slice has grown.
//
// Order: minimum length, version 2|3 (v2 only over IPv4), type 1, exact
// length (trailing Ethernet padding tolerated), checksum (v2: message; v3/IPv6:
// pseudo-header; v3/IPv4: either form, the matching one is reported in
// rx.Checksum), v3 Max Adver Int ≠ 0, v3 count > 0 (RFC 9568 erratum 8299),
// IPv6 first address link-local (erratum 8300). TTL, version-equals-configured
// and everything else instance-specific is Machine.Receive's job.
func Parse(rx *Received, payload []byte, src, dst netip.Addr, ttl uint8) DropReason {
	src, dst = src.Unmap(), dst.Unmap()
	ipv6 := src.Is6()
	n, reason := Decode(&rx.Advert, payload, ipv6)
	if reason != DropNone {
		return reason
	}
	if len(payload) > n && (ipv6 || ipv4HeaderLen+len(payload) > maxPaddedIPv4Datagram) {
		return DropLength
	}
	msg := payload[:n]
	form, ok := verifyChecksum(msg, rx.Version, src, dst)
	if !ok {
		return DropChecksum
	}
	if rx.Version == 3 && rx.AdverInt == 0 {
		return DropZeroInterval
	}
	if rx.Version == 3 && len(rx.Addrs) == 0 {
		return DropNoAddrs
	}
	rx.Src, rx.Dst, rx.TTL, rx.Checksum = src, dst, ttl, form
	rx.AH, rx.AuthHeader, rx.Datagram = false, AuthHeader{}, nil
	return DropNone
}

// verifyChecksum reports which checksum form msg carries, trying the forms
// valid for its version and family.
func verifyChecksum(msg []byte, version uint8, src, dst netip.Addr) (ChecksumForm, bool) {
	if version == 2 {
		return ChecksumRFC9568, checksum(msg, 0) == 0
	}
	if src.Is6() {
		return ChecksumRFC5798, checksum(msg, pseudoHeaderSum(src, dst, len(msg))) == 0
	}
	if checksum(msg, pseudoHeaderSum(src, dst, len(msg))) == 0 {
		return ChecksumRFC5798, true
	}
	if checksum(msg, 0) == 0 {
		return ChecksumRFC9568, true
	}
	if !dst.IsMulticast() && checksum(msg, pseudoHeaderSum(src, GroupIPv4, len(msg))) == 0 {
		return ChecksumLegacyUnicast, true
	}
	return 0, false
}
