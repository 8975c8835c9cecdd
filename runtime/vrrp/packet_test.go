package vrrp

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

var (
	srcV4  = netip.MustParseAddr("192.0.2.1")
	vipV4  = netip.MustParseAddr("192.0.2.100")
	srcV6  = netip.MustParseAddr("fe80::303c:c3ff:fe45:829")
	vipLL  = netip.MustParseAddr("fe80::1")
	vipV6  = netip.MustParseAddr("2001:db8::100")
	peerV4 = netip.MustParseAddr("192.0.2.2")
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenVectors are the brief's §1.2 vectors (verified with tshark).
var goldenVectors = []struct {
	name     string
	adv      Advert
	src, dst netip.Addr
	form     ChecksumForm
	hex      string // full message, or "" when only the checksum is known
	checksum uint16
}{
	{
		name: "v3 IPv4 pseudo-header",
		adv:  Advert{Version: 3, VRID: 51, Priority: 150, AdverInt: 100, Addrs: []netip.Addr{vipV4}},
		src:  srcV4, dst: GroupIPv4, form: ChecksumRFC5798,
		hex: "31 33 96 01 00 64 d3 71 c0 00 02 64", checksum: 0xd371,
	},
	{
		name: "v3 IPv4 message only",
		adv:  Advert{Version: 3, VRID: 51, Priority: 150, AdverInt: 100, Addrs: []netip.Addr{vipV4}},
		src:  srcV4, dst: GroupIPv4, form: ChecksumRFC9568,
		hex: "31 33 96 01 00 64 76 02 c0 00 02 64", checksum: 0x7602,
	},
	{
		name: "v2",
		adv:  Advert{Version: 2, VRID: 51, Priority: 120, AdverInt: 1, Addrs: []netip.Addr{vipV4}},
		src:  srcV4, dst: GroupIPv4, form: ChecksumRFC9568,
		hex: "21 33 78 01 00 01 a4 65 c0 00 02 64 00 00 00 00 00 00 00 00", checksum: 0xa465,
	},
	{
		name: "v3 IPv6",
		adv:  Advert{Version: 3, VRID: 51, Priority: 150, AdverInt: 100, Addrs: []netip.Addr{vipLL, vipV6}},
		src:  srcV6, dst: GroupIPv6, form: ChecksumRFC5798,
		checksum: 0x1252,
	},
}

func TestGoldenVectors(t *testing.T) {
	for _, g := range goldenVectors {
		t.Run(g.name, func(t *testing.T) {
			b, err := g.adv.Append(nil, g.src, g.dst, g.form)
			if err != nil {
				t.Fatal(err)
			}
			if g.hex != "" {
				if want := mustHex(t, g.hex); !reflect.DeepEqual(b, want) {
					t.Fatalf("encoded % x, want % x", b, want)
				}
			}
			if got := uint16(b[6])<<8 | uint16(b[7]); got != g.checksum {
				t.Fatalf("checksum %#04x, want %#04x", got, g.checksum)
			}
			var rx Received
			if r := Parse(&rx, b, g.src, g.dst, TTL); r != DropNone {
				t.Fatalf("Parse: %v", r)
			}
			if !reflect.DeepEqual(rx.Advert, g.adv) {
				t.Fatalf("decoded %+v, want %+v", rx.Advert, g.adv)
			}
			wantForm := g.form
			if g.adv.Version == 2 {
				wantForm = ChecksumRFC9568
			}
			if rx.Checksum != wantForm {
				t.Fatalf("checksum form %v, want %v", rx.Checksum, wantForm)
			}
		})
	}
}

func TestAppendAppendsAfterExistingBytes(t *testing.T) {
	a := goldenVectors[0].adv
	b, err := a.Append([]byte{0xaa, 0xbb}, srcV4, GroupIPv4, ChecksumRFC5798)
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]byte{0xaa, 0xbb}, mustHex(t, goldenVectors[0].hex)...); !reflect.DeepEqual(b, want) {
		t.Fatalf("got % x, want % x", b, want)
	}
}

func TestAppendErrors(t *testing.T) {
	many := make([]netip.Addr, 256)
	for i := range many {
		many[i] = vipV4
	}
	tests := []struct {
		name     string
		adv      Advert
		src, dst netip.Addr
		want     error
	}{
		{"version 4", Advert{Version: 4, AdverInt: 1}, srcV4, GroupIPv4, ErrVersion},
		{"v2 over IPv6", Advert{Version: 2, AdverInt: 1}, srcV6, GroupIPv6, ErrFamily},
		{"mixed src dst", Advert{Version: 3, AdverInt: 1}, srcV4, GroupIPv6, ErrFamily},
		{"invalid dst", Advert{Version: 3, AdverInt: 1}, srcV4, netip.Addr{}, ErrFamily},
		{"v6 addr in v4 packet", Advert{Version: 3, AdverInt: 1, Addrs: []netip.Addr{vipV6}}, srcV4, GroupIPv4, ErrFamily},
		{"v2 interval 256", Advert{Version: 2, AdverInt: 256}, srcV4, GroupIPv4, ErrInterval},
		{"v3 interval 4096", Advert{Version: 3, AdverInt: 4096}, srcV4, GroupIPv4, ErrInterval},
		{"256 addresses", Advert{Version: 3, AdverInt: 1, Addrs: many}, srcV4, GroupIPv4, ErrTooMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.adv.Append([]byte{1}, tt.src, tt.dst, ChecksumRFC5798)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if len(b) != 1 {
				t.Fatalf("output grew to %d bytes on error", len(b))
			}
		})
	}
}

func TestMessageLen(t *testing.T) {
	tests := []struct {
		version uint8
		ipv6    bool
		n, want int
	}{
		{2, false, 1, 20}, {3, false, 1, 12}, {3, true, 1, 24}, {3, true, 2, 40}, {2, false, 0, 16}, {3, false, 255, 1028},
	}
	for _, tt := range tests {
		if got := MessageLen(tt.version, tt.ipv6, tt.n); got != tt.want {
			t.Errorf("MessageLen(%d, %v, %d) = %d, want %d", tt.version, tt.ipv6, tt.n, got, tt.want)
		}
	}
}

func TestV3ReservedBitsIgnored(t *testing.T) {
	b := mustHex(t, goldenVectors[1].hex) // message-only checksum
	b[4] |= 0xf0
	// Fix the message-only checksum for the changed word.
	b[6], b[7] = 0, 0
	sum := checksum(b, 0)
	b[6], b[7] = byte(sum>>8), byte(sum)
	var rx Received
	if r := Parse(&rx, b, srcV4, GroupIPv4, TTL); r != DropNone {
		t.Fatalf("Parse: %v", r)
	}
	if rx.AdverInt != 100 {
		t.Fatalf("AdverInt %d, want 100", rx.AdverInt)
	}
}

func TestChecksumFormsOnReceive(t *testing.T) {
	a := Advert{Version: 3, VRID: 7, Priority: 100, AdverInt: 100, Addrs: []netip.Addr{vipV4}}
	tests := []struct {
		name     string
		txForm   ChecksumForm
		txDst    netip.Addr // address used in the pseudo-header by the sender
		rxDst    netip.Addr // destination the packet actually carries
		want     ChecksumForm
		wantDrop DropReason
	}{
		{"pseudo-header multicast", ChecksumRFC5798, GroupIPv4, GroupIPv4, ChecksumRFC5798, DropNone},
		{"message only multicast", ChecksumRFC9568, GroupIPv4, GroupIPv4, ChecksumRFC9568, DropNone},
		{"pseudo-header unicast", ChecksumRFC5798, peerV4, peerV4, ChecksumRFC5798, DropNone},
		{"legacy unicast", ChecksumLegacyUnicast, peerV4, peerV4, ChecksumLegacyUnicast, DropNone},
		{"legacy form not accepted on multicast", ChecksumRFC5798, netip.MustParseAddr("192.0.2.9"), GroupIPv4, 0, DropChecksum},
		{"wrong unicast destination", ChecksumRFC5798, netip.MustParseAddr("192.0.2.9"), peerV4, 0, DropChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := a.Append(nil, srcV4, tt.txDst, tt.txForm)
			if err != nil {
				t.Fatal(err)
			}
			var rx Received
			r := Parse(&rx, b, srcV4, tt.rxDst, TTL)
			if r != tt.wantDrop {
				t.Fatalf("Parse = %v, want %v", r, tt.wantDrop)
			}
			if r == DropNone && rx.Checksum != tt.want {
				t.Fatalf("form %v, want %v", rx.Checksum, tt.want)
			}
		})
	}
}

func TestParseUnmapsIPv4MappedAddresses(t *testing.T) {
	b := mustHex(t, goldenVectors[0].hex)
	var rx Received
	src, dst := netip.AddrFrom16(srcV4.As16()), netip.AddrFrom16(GroupIPv4.As16())
	if r := Parse(&rx, b, src, dst, TTL); r != DropNone {
		t.Fatalf("Parse with mapped addresses: %v", r)
	}
	if rx.Src != srcV4 || rx.Dst != GroupIPv4 || rx.Checksum != ChecksumRFC5798 {
		t.Fatalf("addresses not unmapped: %v %v %v", rx.Src, rx.Dst, rx.Checksum)
	}
}

func TestIPv6ChecksumCoversPseudoHeader(t *testing.T) {
	g := goldenVectors[3]
	b, err := g.adv.Append(nil, g.src, g.dst, ChecksumRFC9568) // form ignored for IPv6
	if err != nil {
		t.Fatal(err)
	}
	if sum := uint16(b[6])<<8 | uint16(b[7]); sum != 0x1252 {
		t.Fatalf("IPv6 checksum %#04x ignores the pseudo-header", sum)
	}
	var rx Received
	if r := Parse(&rx, b, netip.MustParseAddr("fe80::2"), g.dst, TTL); r != DropChecksum {
		t.Fatalf("wrong source accepted: %v", r)
	}
}

// build encodes a for the ladder table, optionally corrupting it.
func build(t *testing.T, a Advert, src, dst netip.Addr, mutate func([]byte) []byte) []byte {
	t.Helper()
	b, err := a.Append(nil, src, dst, ChecksumRFC5798)
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		b = mutate(b)
	}
	return b
}

// resum recomputes the checksum after a mutation so that a later rung is
// the one that fails.
func resum(src, dst netip.Addr) func([]byte) []byte {
	return func(b []byte) []byte {
		b[6], b[7] = 0, 0
		var sum uint16
		if b[0]>>4 == 2 {
			sum = checksum(b, 0)
		} else {
			sum = checksum(b, pseudoHeaderSum(src, dst, len(b)))
		}
		b[6], b[7] = byte(sum>>8), byte(sum)
		return b
	}
}

func TestParseLadder(t *testing.T) {
	v2 := Advert{Version: 2, VRID: 51, Priority: 100, AdverInt: 1, Addrs: []netip.Addr{vipV4}}
	v3 := Advert{Version: 3, VRID: 51, Priority: 100, AdverInt: 100, Addrs: []netip.Addr{vipV4}}
	v6 := Advert{Version: 3, VRID: 51, Priority: 100, AdverInt: 100, Addrs: []netip.Addr{vipLL, vipV6}}
	then := func(fs ...func([]byte) []byte) func([]byte) []byte {
		return func(b []byte) []byte {
			for _, f := range fs {
				b = f(b)
			}
			return b
		}
	}
	set := func(i int, v byte) func([]byte) []byte {
		return func(b []byte) []byte { b[i] = v; return b }
	}
	pad := func(n int) func([]byte) []byte {
		return func(b []byte) []byte { return append(b, make([]byte, n)...) }
	}
	fix4 := resum(srcV4, GroupIPv4)
	fix6 := resum(srcV6, GroupIPv6)
	tests := []struct {
		name     string
		adv      Advert
		src, dst netip.Addr
		mutate   func([]byte) []byte
		want     DropReason
	}{
		{"v2 ok", v2, srcV4, GroupIPv4, nil, DropNone},
		{"v3 ok", v3, srcV4, GroupIPv4, nil, DropNone},
		{"v6 ok", v6, srcV6, GroupIPv6, nil, DropNone},
		{"too short", v3, srcV4, GroupIPv4, func(b []byte) []byte { return b[:7] }, DropTooShort},
		{"version 1", v3, srcV4, GroupIPv4, then(set(0, 0x11), fix4), DropBadVersion},
		{"v2 over IPv6", v6, srcV6, GroupIPv6, then(set(0, 0x21), fix6), DropBadVersion},
		{"type 2", v3, srcV4, GroupIPv4, then(set(0, 0x32), fix4), DropType},
		{"count larger than message", v3, srcV4, GroupIPv4, then(set(3, 2), fix4), DropLength},
		{"v2 missing auth data", v2, srcV4, GroupIPv4, func(b []byte) []byte { return b[:12] }, DropLength},
		{"IPv4 Ethernet padding tolerated", v3, srcV4, GroupIPv4, pad(14), DropNone},
		{"v2 Ethernet padding tolerated", v2, srcV4, GroupIPv4, pad(6), DropNone},
		{"IPv4 trailing bytes beyond padding", v3, srcV4, GroupIPv4, pad(15), DropLength},
		{"IPv6 trailing bytes", v6, srcV6, GroupIPv6, pad(4), DropLength},
		{"bad checksum v3", v3, srcV4, GroupIPv4, set(7, 0), DropChecksum},
		{"bad checksum v2", v2, srcV4, GroupIPv4, set(2, 99), DropChecksum},
		{"bad checksum v6", v6, srcV6, GroupIPv6, set(2, 99), DropChecksum},
		{"v3 interval 0", v3, srcV4, GroupIPv4, then(set(5, 0), fix4), DropZeroInterval},
		{"v2 interval 0 is the instance's business", v2, srcV4, GroupIPv4, then(set(5, 0), fix4), DropNone},
		{"v3 count 0", Advert{Version: 3, VRID: 1, Priority: 1, AdverInt: 1}, srcV4, GroupIPv4, nil, DropNoAddrs},
		{"v2 count 0 accepted", Advert{Version: 2, VRID: 1, Priority: 1, AdverInt: 1}, srcV4, GroupIPv4, nil, DropNone},
		{"IPv6 first not link-local is the instance's business", Advert{Version: 3, VRID: 51, Priority: 100, AdverInt: 100, Addrs: []netip.Addr{vipV6, vipLL}}, srcV6, GroupIPv6, nil, DropNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := build(t, tt.adv, tt.src, tt.dst, tt.mutate)
			var rx Received
			got := Parse(&rx, b, tt.src, tt.dst, 255)
			if got != tt.want {
				t.Fatalf("Parse = %v, want %v", got, tt.want)
			}
			if got == DropNone && (rx.Src != tt.src || rx.Dst != tt.dst || rx.TTL != 255) {
				t.Fatalf("IP facts not recorded: %+v", rx)
			}
		})
	}
}

func TestDecodeReusesAddrs(t *testing.T) {
	b := build(t, goldenVectors[3].adv, srcV6, GroupIPv6, nil)
	var rx Received
	if r := Parse(&rx, b, srcV6, GroupIPv6, TTL); r != DropNone {
		t.Fatal(r)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if r := Parse(&rx, b, srcV6, GroupIPv6, TTL); r != DropNone {
			t.Fatal(r)
		}
	})
	if allocs != 0 {
		t.Fatalf("Parse into a reused Received allocates %.1f times", allocs)
	}
}

func TestDropReasonStrings(t *testing.T) {
	seen := map[string]DropReason{}
	for _, r := range append([]DropReason{DropNone}, DropReasons()...) {
		s := r.String()
		if s == "" || strings.HasPrefix(s, "drop-reason-") {
			t.Errorf("reason %d has no name", int(r))
		}
		if prev, dup := seen[s]; dup {
			t.Errorf("reasons %d and %d share the name %q", prev, r, s)
		}
		seen[s] = r
	}
	if got := DropReason(1000).String(); got != "drop-reason-1000" {
		t.Errorf("unknown reason string %q", got)
	}
	if len(DropReasons()) != int(dropReasonCount)-1 {
		t.Errorf("DropReasons lists %d reasons", len(DropReasons()))
	}
}

func TestCounters(t *testing.T) {
	var c Counters
	c.Count(DropNone, ChecksumRFC9568)
	c.Count(DropChecksum, 0)
	c.Count(DropChecksum, 0)
	c.Drop(DropNone)
	c.Drop(DropReason(-1))
	if c.Accepted != 1 || c.Checksums[ChecksumRFC9568] != 1 || c.Dropped(DropChecksum) != 2 || c.Dropped(DropNone) != 0 || c.Dropped(DropReason(99)) != 0 {
		t.Fatalf("counters %+v", c)
	}
}

func FuzzDecode(f *testing.F) {
	for _, g := range goldenVectors {
		b, err := g.adv.Append(nil, g.src, g.dst, g.form)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, g.src.Is6())
	}
	f.Add([]byte{}, false)
	f.Add([]byte{0x31, 1, 1, 0, 0, 1, 0, 0}, true)
	f.Fuzz(func(t *testing.T, data []byte, ipv6 bool) {
		src, dst := srcV4, GroupIPv4
		if ipv6 {
			src, dst = srcV6, GroupIPv6
		}
		var rx Received
		_ = Parse(&rx, data, src, dst, TTL) // must not panic
		var a Advert
		n, reason := Decode(&a, data, ipv6)
		if reason != DropNone {
			return
		}
		if n > len(data) || n != MessageLen(a.Version, ipv6, len(a.Addrs)) {
			t.Fatalf("Decode consumed %d of %d bytes for %+v", n, len(data), a)
		}
		for _, form := range []ChecksumForm{ChecksumRFC5798, ChecksumRFC9568} {
			enc, err := a.Append(nil, src, dst, form)
			if err != nil {
				t.Fatalf("re-encode %+v: %v", a, err)
			}
			var back Received
			if r := Parse(&back, enc, src, dst, TTL); r == DropChecksum || r == DropLength {
				t.Fatalf("re-encoded advert rejected: %v", r)
			}
			var b Advert
			if _, r := Decode(&b, enc, ipv6); r != DropNone {
				t.Fatalf("decode(encode(x)) failed: %v", r)
			}
			if !reflect.DeepEqual(normal(a), normal(b)) {
				t.Fatalf("decode(encode(x)) = %+v, want %+v", b, a)
			}
		}
	})
}

// normal makes an empty address list compare equal to a nil one.
func normal(a Advert) Advert {
	if len(a.Addrs) == 0 {
		a.Addrs = nil
	}
	return a
}

func BenchmarkEncodeV3IPv4(b *testing.B) {
	a := goldenVectors[0].adv
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = a.Append(buf[:0], srcV4, GroupIPv4, ChecksumRFC5798); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeV3IPv6(b *testing.B) {
	a := goldenVectors[3].adv
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = a.Append(buf[:0], srcV6, GroupIPv6, ChecksumRFC5798); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseV3IPv4(b *testing.B) {
	msg := mustHex(b, goldenVectors[0].hex)
	var rx Received
	b.ReportAllocs()
	for b.Loop() {
		if r := Parse(&rx, msg, srcV4, GroupIPv4, TTL); r != DropNone {
			b.Fatal(r)
		}
	}
}

func BenchmarkParseV3IPv6(b *testing.B) {
	g := goldenVectors[3]
	msg, _ := g.adv.Append(nil, g.src, g.dst, g.form)
	var rx Received
	b.ReportAllocs()
	for b.Loop() {
		if r := Parse(&rx, msg, srcV6, GroupIPv6, TTL); r != DropNone {
			b.Fatal(r)
		}
	}
}

func BenchmarkParseV2FreshAdvert(b *testing.B) {
	msg := mustHex(b, goldenVectors[2].hex)
	b.ReportAllocs()
	for b.Loop() {
		var rx Received
		if r := Parse(&rx, msg, srcV4, GroupIPv4, TTL); r != DropNone {
			b.Fatal(r)
		}
	}
}
