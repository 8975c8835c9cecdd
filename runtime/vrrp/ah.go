package vrrp

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"net/netip"
)

// IPsec-AH (RFC 2402) as keepalived uses it for VRRPv2 auth_type AH: the
// advert travels as IP protocol 51, a 24-byte Authentication Header between
// the IPv4 header and the VRRP message, whose ICV is HMAC-MD5-96 keyed by the
// 8-byte zero-padded auth_pass.
const (
	ProtocolAH   = 51 // IP protocol number of the Authentication Header
	AHHeaderLen  = 24 // length of the Authentication Header, ICV included
	ahPayloadLen = 4  // the Payload Len field: 24-byte header in 32-bit words, minus 2
	ahICVLen     = 12
	ahICVOffset  = 12 // the ICV's offset in the header
	ipv4TOSByte  = 1
	ipv4TTLByte  = 8
)

// ahSeqLimit is the last sequence number a sender increments past:
// keepalived stops incrementing once the counter exceeds 0xFFFFFFFD (its
// "cycled" state) and restarts from 0 when it next becomes MASTER.
const ahSeqLimit = 0xFFFFFFFD

// AuthHeader is the IPsec Authentication Header of an advert received with
// AH authentication.
type AuthHeader struct {
	NextHeader uint8  // 112 (VRRP) for an advert
	SPI        uint32 // the sender's IPv4 source address
	Seq        uint32 // the sender's sequence number
	ICV        [ahICVLen]byte
}

// AHPacket is what the IPv4 and AH headers of a sent AH advert carry beyond
// the advert itself.
type AHPacket struct {
	Src, Dst netip.Addr
	TTL      uint8
	// ID is the IPv4 identification. The ICV covers it, so it must not be 0
	// (the kernel would replace it): keepalived counts it from 1 per instance.
	ID  uint16
	Seq uint32  // AH sequence number
	Key [8]byte // auth_pass, zero-padded
	// Unicast says the instance sends to unicast peers: keepalived then
	// zeroes the TTL in the ICV input (it keeps it for multicast).
	Unicast bool
}

// AppendAH encodes a, a VRRPv2 IPv4 advert, as the whole IPv4 datagram
// keepalived sends with auth_type AH onto b (its auth type field set to AH
// whatever a.AuthType says): IPv4 header (TOS 0xc0, no
// fragmentation, protocol 51, header checksum filled in), Authentication
// Header (next header 112, SPI = source address, p.Seq, HMAC-MD5-96 ICV) and
// the VRRP message with its 8 zero authentication bytes. The datagram must
// be sent as is (IP_HDRINCL).
func (a *Advert) AppendAH(b []byte, p AHPacket) ([]byte, error) {
	if a.Version != 2 {
		return b, fmt.Errorf("%w: AH authentication is VRRPv2 only", ErrVersion)
	}
	if !p.Src.Is4() || !p.Dst.Is4() {
		return b, fmt.Errorf("%w: AH authentication is IPv4 only (source %v, destination %v)", ErrFamily, p.Src, p.Dst)
	}
	if p.ID == 0 {
		return b, fmt.Errorf("vrrp: AH advert needs a non-zero IPv4 identification")
	}
	start := len(b)
	src, dst := p.Src.As4(), p.Dst.As4()
	b = append(b, 0x45, trafficClass, 0, 0, 0, 0, 0, 0, p.TTL, ProtocolAH, 0, 0)
	binary.BigEndian.PutUint16(b[start+4:], p.ID)
	b = append(b, src[:]...)
	b = append(b, dst[:]...)
	b = append(b, ProtocolNumber, ahPayloadLen, 0, 0)
	b = append(b, src[:]...)
	b = binary.BigEndian.AppendUint32(b, p.Seq)
	b = append(b, make([]byte, ahICVLen)...)
	msg := *a
	msg.AuthType, msg.AuthData = AuthAH, [8]byte{}
	b, err := msg.Append(b, p.Src, p.Dst, ChecksumRFC9568)
	if err != nil {
		return b[:start], err
	}
	d := b[start:]
	binary.BigEndian.PutUint16(d[2:4], uint16(len(d)))
	icv := ahICV(p.Key, d, ipv4HeaderLen, p.Unicast)
	copy(d[ipv4HeaderLen+ahICVOffset:], icv[:])
	binary.BigEndian.PutUint16(d[10:12], checksum(d[:ipv4HeaderLen], 0))
	return b, nil
}

// trafficClass is the TOS VRRP is sent with (CS6, internetwork control).
const trafficClass = 0xc0

// ParseAH runs the packet-level receive checks on datagram, a whole IPv4
// datagram of protocol 51 as a raw socket delivers it: IPv4 header (its
// total length must be the datagram's), protocol 51 and an Authentication
// Header whose next header is VRRP (else DropNotVRRP), then Parse on the VRRP message with the
// header's source, destination and TTL. On DropNone rx holds the advert with
// AH set, AuthHeader filled and Datagram aliasing datagram; the ICV, SPI and
// sequence number are the instance's to check (Machine.Receive), with its key.
// Like keepalived it reads the Authentication Header as 24 bytes whatever
// its Payload Len says.
func ParseAH(rx *Received, datagram []byte) DropReason {
	if len(datagram) < ipv4HeaderLen || datagram[0]>>4 != 4 {
		return DropTooShort
	}
	ihl := int(datagram[0]&0x0f) * 4
	if ihl < ipv4HeaderLen || len(datagram) < ihl+AHHeaderLen {
		return DropTooShort
	}
	if int(binary.BigEndian.Uint16(datagram[2:4])) != len(datagram) {
		return DropLength
	}
	ah := datagram[ihl : ihl+AHHeaderLen]
	if datagram[9] != ProtocolAH || ah[0] != ProtocolNumber {
		return DropNotVRRP
	}
	src := netip.AddrFrom4([4]byte(datagram[12:16]))
	dst := netip.AddrFrom4([4]byte(datagram[16:20]))
	if reason := Parse(rx, datagram[ihl+AHHeaderLen:], src, dst, datagram[ipv4TTLByte]); reason != DropNone {
		return reason
	}
	rx.AH = true
	rx.AuthHeader = AuthHeader{
		NextHeader: ah[0],
		SPI:        binary.BigEndian.Uint32(ah[4:8]),
		Seq:        binary.BigEndian.Uint32(ah[8:12]),
		ICV:        [ahICVLen]byte(ah[ahICVOffset:]),
	}
	rx.Datagram = datagram
	return DropNone
}

// VerifyAH reports whether the ICV of datagram (an IPv4 datagram ParseAH
// accepted) is the one key gives, computed as keepalived does: over the IPv4
// header with TOS, fragment field and checksum zeroed (and the TTL too when
// unicast: the receiving instance has unicast peers), the Authentication
// Header with its ICV zeroed, and the rest of the datagram.
func VerifyAH(datagram []byte, key [8]byte, unicast bool) bool {
	ihl := int(datagram[0]&0x0f) * 4
	want := ahICV(key, datagram, ihl, unicast)
	return hmac.Equal(want[:], datagram[ihl+ahICVOffset:ihl+ahICVOffset+ahICVLen])
}

// ahICV computes the truncated HMAC-MD5 of datagram (IPv4 header of ihl
// bytes, Authentication Header, VRRP message) with the mutable fields and the
// ICV taken as zero.
func ahICV(key [8]byte, datagram []byte, ihl int, zeroTTL bool) [ahICVLen]byte {
	var hdr [60 + AHHeaderLen]byte
	n := copy(hdr[:], datagram[:ihl+AHHeaderLen])
	hdr[ipv4TOSByte] = 0
	hdr[6], hdr[7] = 0, 0   // flags and fragment offset
	hdr[10], hdr[11] = 0, 0 // header checksum
	if zeroTTL {
		hdr[ipv4TTLByte] = 0
	}
	clear(hdr[ihl+ahICVOffset : ihl+ahICVOffset+ahICVLen])
	mac := hmac.New(md5.New, key[:])
	mac.Write(hdr[:n])
	mac.Write(datagram[ihl+AHHeaderLen:])
	var icv [ahICVLen]byte
	copy(icv[:], mac.Sum(nil))
	return icv
}
