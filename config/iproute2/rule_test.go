package iproute2

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRuleOptionsSet(t *testing.T) {
	testDatabases(t)
	tests := []struct {
		name, value string
		want        RuleOptions
	}{
		{"tos", "0x10", RuleOptions{TOS: 0x10}},
		{"dsfield", "AF11", RuleOptions{TOS: 0x28}},
		{"realms", "cosmos/edge", RuleOptions{Realms: 7}},
		{"realms", "0", RuleOptions{}},
		{"goto", "200", RuleOptions{Goto: 200}},
		{"suppress_prefixlength", "0", RuleOptions{HasSuppressPrefixlen: true}},
		{"suppress_prefixlength", "24", RuleOptions{SuppressPrefixlen: 24, HasSuppressPrefixlen: true}},
		{"suppress_ifgroup", "uplinks", RuleOptions{SuppressIfgroup: 5, HasSuppressIfgroup: true}},
		{"uidrange", "1000-2000", RuleOptions{UIDStart: 1000, UIDEnd: 2000, HasUIDRange: true}},
		{"sport", "80", RuleOptions{Sport: PortRange{Start: 80, End: 80, Set: true}}},
		{"dport", "1000-2000", RuleOptions{Dport: PortRange{Start: 1000, End: 2000, Set: true}}},
		{"ipproto", "tcp", RuleOptions{IPProto: unix.IPPROTO_TCP}},
		{"ipproto", "ipv6-icmp", RuleOptions{IPProto: unix.IPPROTO_ICMPV6}},
		{"ipproto", "17", RuleOptions{IPProto: 17}},
		{"protocol", "keepalived", RuleOptions{Protocol: unix.RTPROT_KEEPALIVED}},
		{"protocol", "havip", RuleOptions{Protocol: 250}},
		{"type", "unicast", RuleOptions{Action: unix.FR_ACT_TO_TBL}},
		{"type", "blackhole", RuleOptions{Action: unix.FR_ACT_BLACKHOLE}},
		{"type", "unreachable", RuleOptions{Action: unix.FR_ACT_UNREACHABLE}},
		{"type", "prohibit", RuleOptions{Action: unix.FR_ACT_PROHIBIT}},
		{"type", "nop", RuleOptions{Action: unix.FR_ACT_NOP}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.value, func(t *testing.T) {
			var got RuleOptions
			if err := got.Set(tt.name, tt.value); err != nil || got != tt.want {
				t.Fatalf("Set(%s, %s) = %+v, %v; want %+v", tt.name, tt.value, got, err, tt.want)
			}
		})
	}
}

func TestRuleOptionsErrors(t *testing.T) {
	testDatabases(t)
	tests := []struct {
		name, value string
		unsupported bool
		wantErr     string
	}{
		{"l3mdev", "1", true, `option "l3mdev" is not supported: the netlink library cannot send FRA_L3MDEV`},
		{"tun_id", "5", true, `option "tun_id" is not supported`},
		{"bogus", "1", false, `unknown ip-rule option "bogus"`},
		{"type", "local", false, "type local: want unicast, blackhole, unreachable, prohibit or nop"},
		{"uidrange", "5", false, "uidrange 5: want START-END, numbers from 0 to 4294967295 with START <= END"},
		{"sport", "2000-1000", false, "sport 2000-1000: want N or START-END, numbers from 0 to 65535 with START <= END"},
		{"dport", "65536", false, "dport 65536: want N or START-END, numbers from 0 to 65535"},
		{"ipproto", "carrier-pigeon", false, "ipproto carrier-pigeon: want a number from 0 to 255 or one of icmp, igmp, tcp"},
		{"protocol", "carrier-pigeon", false, "protocol carrier-pigeon: neither a number nor a name known to iproute2 (rt_protos"},
		{"goto", "-1", false, "goto -1: want a whole number from 0 to 4294967295"},
		{"goto", "0", false, "goto 0: want a preference from 1 to 4294967295 to continue at"},
		{"suppress_prefixlength", "x", false, "suppress_prefixlength x: want a whole number from 0 to 2147483647"},
		{"suppress_ifgroup", "downlinks", false, "suppress_ifgroup downlinks: neither a number nor a name known to iproute2 (group"},
		{"realms", "9999/1", false, `realms 9999/1: realm "9999": 9999 is out of range (0-255)`},
		{"tos", "fast", false, "tos fast: neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.value, func(t *testing.T) {
			var o RuleOptions
			err := o.Set(tt.name, tt.value)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Set(%s, %s) error = %v, want one containing %q", tt.name, tt.value, err, tt.wantErr)
			}
			var unsupported *UnsupportedError
			if errors.As(err, &unsupported) != tt.unsupported {
				t.Errorf("Set(%s, %s) error %v: unsupported %v, want %v", tt.name, tt.value, err, !tt.unsupported, tt.unsupported)
			}
		})
	}
}

func TestParseFwmark(t *testing.T) {
	tests := []struct {
		s       string
		want    Fwmark
		wantErr bool
	}{
		{s: "7", want: Fwmark{Mark: 7, Mask: 0xffffffff, Word: "7"}},
		{s: "0x10/0xff", want: Fwmark{Mark: 0x10, Mask: 0xff, Word: "0x10/0xff"}},
		{s: "1/0", want: Fwmark{Mark: 1, Mask: 0, Word: "1/0"}},
		{s: "mark", wantErr: true},
		{s: "1/0x1ffffffff", wantErr: true},
		{s: "4294967296", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseFwmark(tt.s)
		if tt.wantErr {
			if err == nil || err.Error() != `fwmark "`+tt.s+`": want VALUE[/MASK], each a 32-bit number` {
				t.Errorf("ParseFwmark(%q) = %+v, %v; want an error naming it", tt.s, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseFwmark(%q) = %+v, %v; want %+v", tt.s, got, err, tt.want)
		}
	}
	if b, _ := (Fwmark{Word: "0x1/0xf"}).MarshalText(); string(b) != "0x1/0xf" {
		t.Errorf("MarshalText = %q", b)
	}
}

func TestRuleOptionsWords(t *testing.T) {
	o := RuleOptions{TOS: 0x10, Realms: 7, Goto: 100, HasSuppressPrefixlen: true, SuppressIfgroup: 5, HasSuppressIfgroup: true,
		UIDStart: 1, UIDEnd: 100, HasUIDRange: true, Sport: PortRange{Start: 80, End: 80, Set: true}, Dport: PortRange{Start: 1, End: 2, Set: true},
		IPProto: 6, Protocol: unix.RTPROT_KEEPALIVED, Action: unix.FR_ACT_BLACKHOLE}
	want := "tos 16 realms 7 goto 100 suppress_prefixlength 0 suppress_ifgroup 5 uidrange 1-100 sport 80-80 dport 1-2 ipproto 6 protocol keepalived type blackhole"
	if got := strings.Join(o.Words(), " "); got != want {
		t.Errorf("Words() = %q, want %q", got, want)
	}
}
