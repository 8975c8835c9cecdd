package vrrp

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// keepalivedAH are adverts keepalived 2.2.7 sent with auth_type AH, captured
// (tcpdump -w, IP datagram bytes shown) from two namespaces joined by a veth
// pair: 192.0.2.1 running keepalived, the capture on 192.0.2.2. Each is the
// first advert of its instance after it became MASTER (IPv4 identification 1,
// AH sequence number 1).
var keepalivedAH = []struct {
	name     string
	datagram string
	pass     string // auth_pass as configured
	unicast  bool
	adv      Advert
	dst      netip.Addr
}{
	{
		name: "multicast, two VIPs",
		datagram: "45c0004400010000ff3318b2c0000201e0000012" + // IPv4, TOS 0xc0, id 1, TTL 255, proto 51
			"70040000c000020100000001" + "7a90b8699a393e8e8527330b" + // AH: VRRP, len 4, SPI 192.0.2.1, seq 1, ICV
			"213396020201c1fec0000264c00002650000000000000000", // VRRPv2 VRID 51 prio 150 auth 2, 2 addrs, 8 zero bytes
		pass: "s3cret",
		adv: Advert{Version: 2, VRID: 51, Priority: 150, AdverInt: 1, AuthType: AuthAH,
			Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.100"), netip.MustParseAddr("192.0.2.101")}},
		dst: GroupIPv4,
	},
	{
		name: "unicast peer, auth_pass truncated to 8 characters",
		datagram: "45c0004000010000ff3336c6c0000201c0000202" +
			"70040000c000020100000001" + "e9da5cc68a8737e0c5ca27e9" +
			"2134960102 01845a c000026e 0000000000000000",
		pass:    "longpass", // configured as "longpassword"
		unicast: true,
		adv: Advert{Version: 2, VRID: 52, Priority: 150, AdverInt: 1, AuthType: AuthAH,
			Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.110")}},
		dst: netip.MustParseAddr("192.0.2.2"),
	},
}

func key8(pass string) (k [8]byte) {
	copy(k[:], pass)
	return k
}

// TestAHKeepalivedVectors: havip encodes keepalived's adverts byte for byte
// and decodes and authenticates them, with keepalived's key only.
func TestAHKeepalivedVectors(t *testing.T) {
	for _, g := range keepalivedAH {
		t.Run(g.name, func(t *testing.T) {
			want := mustHex(t, g.datagram)
			got, err := g.adv.AppendAH(nil, AHPacket{Src: ours4, Dst: g.dst, TTL: TTL, ID: 1, Seq: 1, Key: key8(g.pass), Unicast: g.unicast})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendAH\n got %x\nwant %x", got, want)
			}
			var rx Received
			if r := ParseAH(&rx, want); r != DropNone {
				t.Fatalf("ParseAH: %v", r)
			}
			if !rx.AH || rx.AuthHeader.NextHeader != ProtocolNumber || rx.AuthHeader.SPI != 0xc0000201 || rx.AuthHeader.Seq != 1 ||
				rx.Src != ours4 || rx.Dst != g.dst || rx.TTL != TTL || rx.VRID != g.adv.VRID || rx.AuthType != AuthAH ||
				len(rx.Addrs) != len(g.adv.Addrs) || !bytes.Equal(rx.Datagram, want) {
				t.Fatalf("ParseAH gave %+v", rx)
			}
			if !VerifyAH(want, key8(g.pass), g.unicast) {
				t.Fatal("keepalived's ICV does not verify with its key")
			}
			for _, wrong := range []struct {
				key     string
				unicast bool
			}{{"x" + g.pass, g.unicast}, {"", g.unicast}, {g.pass, !g.unicast}} {
				if VerifyAH(want, key8(wrong.key), wrong.unicast) {
					t.Errorf("ICV verifies with key %q, unicast %v", wrong.key, wrong.unicast)
				}
			}
		})
	}
}

// TestAHMutableFields: the ICV ignores what routers may change (TOS,
// fragment field, header checksum, and for unicast the TTL) and covers the
// rest.
func TestAHMutableFields(t *testing.T) {
	for _, unicast := range []bool{false, true} {
		dst := GroupIPv4
		if unicast {
			dst = peer4
		}
		a := Advert{Version: 2, VRID: 7, Priority: 100, AdverInt: 1, Addrs: []netip.Addr{vipV4}}
		d, err := a.AppendAH(nil, AHPacket{Src: ours4, Dst: dst, TTL: TTL, ID: 9, Seq: 3, Key: key8("k"), Unicast: unicast})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name     string
			off      int
			verifies bool
		}{
			{"TOS", 1, true},
			{"flags", 6, true},
			{"fragment offset", 7, true},
			{"header checksum", 11, true},
			{"TTL", 8, unicast},
			{"identification", 5, false},
			{"source", 15, false},
			{"destination", 19, false},
			{"SPI", 27, false},
			{"sequence number", 31, false},
			{"ICV", 32, false},
			{"priority", 46, false},
			{"address", 55, false},
			{"authentication bytes", 60, false},
		}
		for _, tt := range tests {
			b := bytes.Clone(d)
			b[tt.off] ^= 0x01
			if got := VerifyAH(b, key8("k"), unicast); got != tt.verifies {
				t.Errorf("unicast %v: flipping a bit of the %s: verifies %v, want %v", unicast, tt.name, got, tt.verifies)
			}
		}
	}
}

func TestAppendAHRefuses(t *testing.T) {
	v2 := Advert{Version: 2, VRID: 1, Priority: 100, AdverInt: 1, Addrs: []netip.Addr{vipV4}}
	v3 := v2
	v3.Version = 3
	ok := AHPacket{Src: ours4, Dst: GroupIPv4, TTL: TTL, ID: 1}
	tests := []struct {
		name string
		adv  Advert
		p    AHPacket
		want string
	}{
		{"VRRPv3", v3, ok, "VRRPv2 only"},
		{"IPv6", v2, AHPacket{Src: ll6, Dst: GroupIPv6, TTL: TTL, ID: 1}, "IPv4 only"},
		{"identification 0", v2, AHPacket{Src: ours4, Dst: GroupIPv4, TTL: TTL}, "identification"},
		{"address of another family", Advert{Version: 2, VRID: 1, AdverInt: 1, Addrs: []netip.Addr{vipV6}}, ok, "family"},
	}
	for _, tt := range tests {
		b, err := tt.adv.AppendAH([]byte{0xaa}, tt.p)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !bytes.Equal(b, []byte{0xaa}) {
			t.Errorf("%s: err %v, buffer %x; want an error about %q and the buffer unchanged", tt.name, err, b, tt.want)
		}
	}
}

// TestParseAHLadder: the packet-level checks of an AH datagram.
func TestParseAHLadder(t *testing.T) {
	good := mustHex(t, keepalivedAH[0].datagram)
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name string
		b    []byte
		want DropReason
	}{
		{"keepalived's advert", good, DropNone},
		{"empty", nil, DropTooShort},
		{"IPv6 version nibble", edit(func(b []byte) []byte { b[0] = 0x65; return b }), DropTooShort},
		{"header length 16", edit(func(b []byte) []byte { b[0] = 0x44; return b }), DropTooShort},
		{"AH cut short", good[:40], DropTooShort},
		{"not protocol 51", edit(func(b []byte) []byte { b[9] = ProtocolNumber; return b }), DropNotVRRP},
		{"total length beyond the datagram", edit(func(b []byte) []byte { b[3]++; return b }), DropLength},
		{"trailing byte", append(bytes.Clone(good), 0), DropLength},
		{"AH for TCP", edit(func(b []byte) []byte { b[20] = 6; return b }), DropNotVRRP},
		{"VRRP checksum", edit(func(b []byte) []byte { b[50] ^= 0xff; return b }), DropChecksum},
		{"VRRP address count", edit(func(b []byte) []byte { b[47] = 3; return b }), DropLength},
	}
	for _, tt := range tests {
		var rx Received
		if got := ParseAH(&rx, tt.b); got != tt.want {
			t.Errorf("%s: ParseAH = %v, want %v", tt.name, got, tt.want)
		}
	}
	// A plain advert parsed into a Received that held an AH one is plain.
	var rx Received
	if r := ParseAH(&rx, good); r != DropNone {
		t.Fatal(r)
	}
	msg := advertFor(t, v2Config(), peer4, 100)
	b, _ := msg.Append(nil, peer4, GroupIPv4, ChecksumRFC9568)
	if r := Parse(&rx, b, peer4, GroupIPv4, TTL); r != DropNone || rx.AH || rx.Datagram != nil || rx.AuthHeader != (AuthHeader{}) {
		t.Fatalf("Parse after ParseAH: %v, AH %v, datagram %x", r, rx.AH, rx.Datagram)
	}
}

func ahConfig(pass string, peers ...Peer) Config {
	c := v2Config()
	c.AuthType, c.AuthPass, c.Peers = AuthAH, pass, peers
	return c
}

// ahAdvert builds the Received of an AH advert the way the socket reader
// does: AppendAH from src, then ParseAH.
func ahAdvert(t testing.TB, cfg Config, src netip.Addr, prio uint8, seq uint32, edit func(d []byte)) *Received {
	t.Helper()
	field, _ := cfg.advertIntervalField()
	a := Advert{Version: 2, VRID: cfg.VRID, Priority: prio, AdverInt: field, Addrs: cfg.Addrs}
	dst := GroupIPv4
	if len(cfg.Peers) > 0 {
		dst = ours4
	}
	d, err := a.AppendAH(nil, AHPacket{Src: src, Dst: dst, TTL: TTL, ID: 1, Seq: seq, Key: key8(cfg.AuthPass), Unicast: len(cfg.Peers) > 0})
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(d)
	}
	rx := new(Received)
	if r := ParseAH(rx, d); r != DropNone {
		t.Fatalf("test advert rejected by ParseAH: %v", r)
	}
	return rx
}

// TestAHReceive walks an AH backup through a sequence of adverts: each is
// accepted or refused as keepalived's vrrp_in_chk_ipsecah decides, and the
// sequence counter follows what it accepts.
func TestAHReceive(t *testing.T) {
	cfg := ahConfig("s3cret")
	other := cfg
	other.AuthPass = "s3creT"
	plain := v2Config()
	spi := func(d []byte) { d[27]++ }
	steps := []struct {
		name    string
		rx      *Received
		want    DropReason
		counter uint32
	}{
		{"first advert, sequence 5", ahAdvert(t, cfg, peer4, 150, 5, nil), DropNone, 5},
		{"replayed sequence 5", ahAdvert(t, cfg, peer4, 150, 5, nil), DropAuthPass, 5},
		{"older sequence 4", ahAdvert(t, cfg, peer4, 150, 4, nil), DropAuthPass, 5},
		{"sequence 6", ahAdvert(t, cfg, peer4, 150, 6, nil), DropNone, 6},
		{"another auth_pass", ahAdvert(t, other, peer4, 150, 100, nil), DropAuthPass, 6},
		{"SPI is not the source", ahAdvert(t, cfg, peer4, 150, 100, spi), DropAuthPass, 6},
		{"no AH header", advertFor(t, plain, peer4, 150), DropAuthType, 6},
		{"authenticated, then dropped for its interval: the counter moves", ahAdvert(t, func() Config { c := cfg; c.AdvertInterval = 2 * sec; return c }(), peer4, 150, 50, nil), DropIntervalMismatch, 50},
		{"sequence 51", ahAdvert(t, cfg, peer4, 150, 51, nil), DropNone, 51},
	}
	m, err := New(cfg, ours4)
	if err != nil {
		t.Fatal(err)
	}
	m.Start(t0)
	for i, st := range steps {
		acts := m.Receive(t0.Add(time.Duration(i)*100*ms), st.rx)
		got := DropNone
		if len(acts) > 0 {
			if d, ok := acts[0].(Discard); ok {
				got = d.Reason
				if d.Detail == "" {
					t.Errorf("%s: Discard without detail", st.name)
				}
			}
		}
		if got != st.want || m.ahSeq != st.counter || m.State() != StateBackup {
			t.Fatalf("%s: %v (%v), counter %d, state %v; want %v, counter %d, BACKUP", st.name, got, acts, m.ahSeq, m.State(), st.want, st.counter)
		}
	}
	c := m.Counters()
	if c.Accepted != 3 || c.Dropped(DropAuthPass) != 4 || c.Dropped(DropAuthType) != 1 || c.Dropped(DropIntervalMismatch) != 1 {
		t.Fatalf("counters %+v", c)
	}
}

// TestAHReceiveRules: AH on one side only is an auth type mismatch; unicast
// instances leave the TTL out of the ICV.
func TestAHReceiveRules(t *testing.T) {
	unicast := ahConfig("pw", Peer{Addr: peer4})
	tests := []struct {
		name string
		cfg  Config
		rx   *Received
		want DropReason
	}{
		{"AH advert to a PASS instance", func() Config { c := v2Config(); c.AuthType, c.AuthPass = AuthPass, "pw"; return c }(), ahAdvert(t, ahConfig("pw"), peer4, 150, 1, nil), DropAuthType},
		{"AH advert to an instance without authentication", v2Config(), ahAdvert(t, ahConfig("pw"), peer4, 150, 1, nil), DropAuthType},
		{"unicast: TTL changed on the way", unicast, ahAdvert(t, unicast, peer4, 150, 1, func(d []byte) { d[8] = 64; d[10], d[11] = 0, 0 }), DropNone},
		{"multicast: the ICV covers the TTL", ahConfig("pw"), ahAdvert(t, ahConfig("pw"), peer4, 150, 1, nil), DropNone},
	}
	for _, tt := range tests {
		m, err := New(tt.cfg, ours4)
		if err != nil {
			t.Fatal(err)
		}
		m.Start(t0)
		acts := m.Receive(t0.Add(ms), tt.rx)
		got := DropNone
		if len(acts) > 0 {
			if d, ok := acts[0].(Discard); ok {
				got = d.Reason
			}
		}
		if got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, acts, tt.want)
		}
	}
}

// TestAHSend: an AH master's datagrams carry increasing identifications and
// sequence numbers, continue above the last sequence number accepted, and
// authenticate with the key; a cycled counter restarts from 1 on becoming
// MASTER.
func TestAHSend(t *testing.T) {
	cfg := ahConfig("s3cret")
	m, err := New(cfg, ours4)
	if err != nil {
		t.Fatal(err)
	}
	m.Start(t0)
	if acts := m.Receive(t0.Add(ms), ahAdvert(t, cfg, peer4, 150, 1000, nil)); len(acts) > 0 {
		if _, ok := acts[0].(Discard); ok {
			t.Fatalf("advert refused: %v", acts)
		}
	}
	m.Expire(m.NextDeadline())
	if m.State() != StateMaster {
		t.Fatalf("state %v, want MASTER", m.State())
	}
	seqOf := func(d []byte) (uint16, uint32) {
		return binary.BigEndian.Uint16(d[4:6]), binary.BigEndian.Uint32(d[28:32])
	}
	for i, want := range []uint32{1001, 1002} {
		d, err := m.AppendAHDatagram(nil, 100, GroupIPv4, TTL)
		if err != nil {
			t.Fatal(err)
		}
		id, seq := seqOf(d)
		if id != uint16(i+1) || seq != want || d[8] != TTL || d[9] != ProtocolAH {
			t.Fatalf("advert %d: id %d, seq %d, TTL %d, protocol %d; want id %d, seq %d", i, id, seq, d[8], d[9], i+1, want)
		}
		var rx Received
		if r := ParseAH(&rx, d); r != DropNone || !VerifyAH(d, key8("s3cret"), false) || rx.Priority != 100 || rx.AuthType != AuthAH || rx.AuthData != ([8]byte{}) {
			t.Fatalf("sent advert: ParseAH %v, %+v", r, rx)
		}
	}
	if _, err := m.AppendAdvert(nil, 100, GroupIPv4); err == nil {
		t.Fatal("AppendAdvert built a plain advert for an AH instance")
	}

	m.ahSeq, m.ipID = ahSeqLimit+1, 0xffff
	d, _ := m.AppendAHDatagram(nil, 100, GroupIPv4, TTL)
	if id, seq := seqOf(d); !m.ahCycled || seq != ahSeqLimit+1 || id != 1 {
		t.Fatalf("at the limit: cycled %v, seq %d, id %d; want cycled, seq %d, id 1 (0 skipped)", m.ahCycled, seq, id, ahSeqLimit+1)
	}
	m.Receive(t0.Add(5*sec), ahAdvert(t, cfg, peer4, 200, ahSeqLimit+2, nil)) // a higher priority takes over
	if m.State() != StateBackup {
		t.Fatalf("state %v, want BACKUP", m.State())
	}
	m.ahCycled = true
	m.Expire(m.NextDeadline())
	d, _ = m.AppendAHDatagram(nil, 100, GroupIPv4, TTL)
	if _, seq := seqOf(d); m.State() != StateMaster || seq != 1 {
		t.Fatalf("cycled counter after becoming MASTER: state %v, seq %d; want MASTER, 1", m.State(), seq)
	}

	plain, _ := New(v2Config(), ours4)
	if _, err := plain.AppendAHDatagram(nil, 100, GroupIPv4, TTL); err == nil {
		t.Fatal("AppendAHDatagram built an AH advert for an instance without AH")
	}
}

// FuzzParseAH: ParseAH never panics, and what it accepts re-encodes to the
// same datagram modulo the IP header checksum, which the kernel owns.
func FuzzParseAH(f *testing.F) {
	for _, g := range keepalivedAH {
		f.Add(mustHex(f, g.datagram))
	}
	f.Add([]byte{})
	f.Add([]byte{0x46, 0, 0, 0x1c})
	f.Fuzz(func(t *testing.T, data []byte) {
		var rx Received
		if ParseAH(&rx, data) != DropNone {
			return
		}
		if !rx.AH || !bytes.Equal(rx.Datagram, data) || rx.AuthHeader.NextHeader != ProtocolNumber {
			t.Fatalf("accepted without AH fields: %+v", rx)
		}
		ihl := int(data[0]&0x0f) * 4
		unicast := !rx.Dst.IsMulticast()
		key := [8]byte{1}
		_ = VerifyAH(data, key, unicast) // must not panic
		if ihl != ipv4HeaderLen || rx.Version != 2 || rx.AuthType != AuthAH || !rx.Src.Is4() ||
			binary.BigEndian.Uint16(data[4:6]) == 0 || rx.AuthData != ([8]byte{}) ||
			!bytes.Equal(data[1:2], []byte{trafficClass}) || data[6] != 0 || data[7] != 0 || !bytes.Equal(data[22:24], []byte{0, 0}) ||
			binary.BigEndian.Uint32(data[24:28]) != binary.BigEndian.Uint32(data[12:16]) || data[21] != ahPayloadLen {
			return // valid for ParseAH, but not a datagram AppendAH produces
		}
		p := AHPacket{Src: rx.Src, Dst: rx.Dst, TTL: rx.TTL, ID: binary.BigEndian.Uint16(data[4:6]), Seq: rx.AuthHeader.Seq, Key: key, Unicast: unicast}
		enc, err := rx.Advert.AppendAH(nil, p)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", rx.Advert, err)
		}
		if !bytes.Equal(enc[:10], data[:10]) || !bytes.Equal(enc[12:32], data[12:32]) || !bytes.Equal(enc[44:], data[44:]) {
			t.Fatalf("re-encoded\n got %x\nwant %x", enc, data)
		}
		if !VerifyAH(enc, key, unicast) {
			t.Fatalf("re-encoded datagram does not verify: %x", enc)
		}
	})
}
