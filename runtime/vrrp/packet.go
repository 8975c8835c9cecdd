package vrrp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// ProtocolNumber is the IP protocol / IPv6 next-header value of VRRP.
const ProtocolNumber = 112

// TTL is the IPv4 TTL / IPv6 hop limit VRRP advertisements are sent with
// and, in multicast mode, must arrive with.
const TTL = 255

// PriorityOwner is the priority of the address owner; PriorityStop is the
// priority a master sends when it resigns.
const (
	PriorityOwner uint8 = 255
	PriorityStop  uint8 = 0
)

// Multicast groups adverts are sent to.
var (
	GroupIPv4 = netip.MustParseAddr("224.0.0.18")
	GroupIPv6 = netip.MustParseAddr("ff02::12")
)

// MaxAddrs is the largest address count the 8-bit count field can carry.
const MaxAddrs = 255

const (
	typeAdvertisement = 1
	v2HeaderLen       = 8
	v2AuthLen         = 8
	v3HeaderLen       = 8
	v3MaxAdverInt     = 0x0fff
	v2MaxAdverInt     = 0xff
)

// AuthType is the VRRPv2 authentication type field.
type AuthType uint8

// VRRPv2 authentication types, as keepalived implements them: PASS carries
// the password in the message, AH an IPsec Authentication Header (ah.go).
const (
	AuthNone AuthType = 0
	AuthPass AuthType = 1
	AuthAH   AuthType = 2
)

func (t AuthType) String() string {
	switch t {
	case AuthNone:
		return "none"
	case AuthPass:
		return "PASS"
	case AuthAH:
		return "AH"
	}
	return fmt.Sprintf("auth-type-%d", uint8(t))
}

// Advert is one decoded VRRP advertisement. Its family is the family of its
// addresses (and of the carrying IP header).
type Advert struct {
	Version  uint8 // 2 or 3
	VRID     uint8
	Priority uint8
	// AdverInt is the raw interval field: whole seconds for v2 (8 bits),
	// centiseconds for v3 (12 bits, the 4 reserved bits are not kept).
	AdverInt uint16
	AuthType AuthType // v2 only
	AuthData [8]byte  // v2 only: the 8 authentication bytes
	Addrs    []netip.Addr
}

// Interval converts AdverInt to a duration according to Version.
func (a *Advert) Interval() time.Duration {
	if a.Version == 2 {
		return time.Duration(a.AdverInt) * time.Second
	}
	return time.Duration(a.AdverInt) * 10 * time.Millisecond
}

// ChecksumForm names the way a checksum was (or is to be) computed.
type ChecksumForm uint8

// Checksum forms. ChecksumRFC5798 is the pseudo-header form (always used for
// IPv6, the keepalived default for v3/IPv4); ChecksumRFC9568 is the
// message-only form (always used for v2, keepalived's v3_checksum_as_v2 for
// v3/IPv4); ChecksumLegacyUnicast is the pre-1.3.6 keepalived unicast form whose
// IPv4 pseudo-header carries the multicast group instead of the unicast
// destination (accepted on receive only).
const (
	ChecksumRFC5798 ChecksumForm = iota
	ChecksumRFC9568
	ChecksumLegacyUnicast
	checksumFormCount
)

func (f ChecksumForm) String() string {
	switch f {
	case ChecksumRFC5798:
		return "rfc5798-pseudo-header"
	case ChecksumRFC9568:
		return "rfc9568-message-only"
	case ChecksumLegacyUnicast:
		return "legacy-unicast-pseudo-header"
	}
	return fmt.Sprintf("checksum-form-%d", uint8(f))
}

// Encoding errors.
var (
	ErrVersion  = errors.New("vrrp: version must be 2 or 3")
	ErrFamily   = errors.New("vrrp: address family mismatch")
	ErrInterval = errors.New("vrrp: advertisement interval out of range")
	ErrTooMany  = errors.New("vrrp: more than 255 addresses")
)

// MessageLen returns the encoded length of a message of the given version
// and family (true for IPv6) carrying n addresses.
func MessageLen(version uint8, ipv6 bool, n int) int {
	addrLen := 4
	if ipv6 {
		addrLen = 16
	}
	l := v3HeaderLen + n*addrLen
	if version == 2 {
		l += v2AuthLen
	}
	return l
}

// Append encodes a onto b and returns the extended slice. src and dst are the
// IP source and destination of the carrying packet; they select the family
// and feed the pseudo-header. form is honoured for v3/IPv4 only: v2 always
// uses the message-only checksum and IPv6 always the pseudo-header.
func (a *Advert) Append(b []byte, src, dst netip.Addr, form ChecksumForm) ([]byte, error) {
	ipv6 := src.Is6()
	if a.Version != 2 && a.Version != 3 {
		return b, ErrVersion
	}
	if a.Version == 2 && ipv6 {
		return b, fmt.Errorf("%w: VRRPv2 is IPv4 only", ErrFamily)
	}
	if src.Is6() != dst.Is6() || !src.IsValid() || !dst.IsValid() {
		return b, fmt.Errorf("%w: source %v, destination %v", ErrFamily, src, dst)
	}
	if len(a.Addrs) > MaxAddrs {
		return b, ErrTooMany
	}
	if (a.Version == 2 && a.AdverInt > v2MaxAdverInt) || (a.Version == 3 && a.AdverInt > v3MaxAdverInt) {
		return b, fmt.Errorf("%w: %d for version %d", ErrInterval, a.AdverInt, a.Version)
	}
	start := len(b)
	b = append(b, a.Version<<4|typeAdvertisement, a.VRID, a.Priority, uint8(len(a.Addrs)))
	if a.Version == 2 {
		b = append(b, uint8(a.AuthType), uint8(a.AdverInt))
	} else {
		b = binary.BigEndian.AppendUint16(b, a.AdverInt&v3MaxAdverInt)
	}
	b = append(b, 0, 0)
	for _, addr := range a.Addrs {
		if addr.Is6() != ipv6 || addr.Is4In6() {
			return b[:start], fmt.Errorf("%w: address %v in a packet from %v", ErrFamily, addr, src)
		}
		b = append(b, addr.AsSlice()...)
	}
	if a.Version == 2 {
		b = append(b, a.AuthData[:]...)
	}
	msg := b[start:]
	var sum uint16
	if a.Version == 2 {
		sum = checksum(msg, 0)
	} else {
		sum = checksumV3(msg, src, dst, form)
	}
	binary.BigEndian.PutUint16(msg[6:8], sum)
	return b, nil
}

// checksumV3 computes the v3 checksum of msg (whose checksum field must be
// zero) in the given form.
func checksumV3(msg []byte, src, dst netip.Addr, form ChecksumForm) uint16 {
	if src.Is4() && form == ChecksumRFC9568 {
		return checksum(msg, 0)
	}
	if src.Is4() && form == ChecksumLegacyUnicast {
		dst = GroupIPv4
	}
	return checksum(msg, pseudoHeaderSum(src, dst, len(msg)))
}

// pseudoHeaderSum is the unfolded one's-complement sum of the IPv4 (RFC 791)
// or IPv6 (RFC 8200 §8.1) pseudo-header for a VRRP message of length n.
func pseudoHeaderSum(src, dst netip.Addr, n int) uint32 {
	var sum uint32
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		sum = sum16(s[:], 0)
		sum = sum16(d[:], sum)
		return sum + ProtocolNumber + uint32(n)
	}
	s, d := src.As16(), dst.As16()
	sum = sum16(s[:], 0)
	sum = sum16(d[:], sum)
	return sum + uint32(n>>16) + uint32(n&0xffff) + ProtocolNumber
}

// sum16 adds the big-endian 16-bit words of b to sum. VRRP messages and
// addresses always have an even length.
func sum16(b []byte, sum uint32) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	return sum
}

// checksum is the RFC 1071 Internet checksum of b plus an initial unfolded
// sum.
func checksum(b []byte, initial uint32) uint16 {
	sum := sum16(b, initial)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
