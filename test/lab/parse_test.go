package lab

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// Lines as tshark 4.0.17 printed them for keepalived 2.2.7 traffic in this lab.
const (
	lineVRRPv3IPv6 = "1795351573.755609930|2e:42:25:9d:ef:bd||fe80::2c42:25ff:fe9d:efbd||ff02::12||255||0x000000c0|3|52|120|1||100||0xe8f1|1||2001:db8::100"
	lineVRRPv2IPv4 = "1795351573.774762291|2e:42:25:9d:ef:bd|192.0.2.1||224.0.0.18||255||0xc0||2|53|120|1|1||0|0xa463|1|192.0.2.100|"
	lineGARP       = "1795351573.780778760|2e:42:25:9d:ef:bd|ff:ff:ff:ff:ff:ff|1|2e:42:25:9d:ef:bd|192.0.2.100|ff:ff:ff:ff:ff:ff|192.0.2.100|1"
	lineARPRequest = "1795351573.774210218|1e:b7:03:17:0a:c9|ff:ff:ff:ff:ff:ff|1|1e:b7:03:17:0a:c9|192.0.2.250|00:00:00:00:00:00|192.0.2.1|"
	lineNAUnsolic  = "1795351573.764513012|2e:42:25:9d:ef:bd|2001:db8::100|ff02::1|255|2001:db8::100|2|2e:42:25:9d:ef:bd|0|0|1"
	lineNASolicit  = "1795351573.765338282|2e:42:25:9d:ef:bd|2001:db8::1|2001:db8::250|255|2001:db8::1|2|2e:42:25:9d:ef:bd|0|1|1"
)

func TestParseVRRP(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    VRRPPacket
		wantErr string
	}{
		{name: "v3 IPv6", line: lineVRRPv3IPv6, want: VRRPPacket{
			Time: 1795351573.755609930, EthSrc: "2e:42:25:9d:ef:bd", IPSrc: "fe80::2c42:25ff:fe9d:efbd", IPDst: "ff02::12",
			HopLimit: 255, DSField: "0xc0", Version: 3, VRID: 52, Priority: 120, Count: 1, AdverInt: 100,
			Checksum: "0xe8f1", ChecksumGood: true, Addrs: []string{"2001:db8::100"}}},
		{name: "v2 IPv4", line: lineVRRPv2IPv4, want: VRRPPacket{
			Time: 1795351573.774762291, EthSrc: "2e:42:25:9d:ef:bd", IPSrc: "192.0.2.1", IPDst: "224.0.0.18",
			TTL: 255, DSField: "0xc0", Version: 2, VRID: 53, Priority: 120, Count: 1, AdverInt: 1,
			Checksum: "0xa463", ChecksumGood: true, Addrs: []string{"192.0.2.100"}}},
		{name: "bad checksum, two addresses, upper-case MAC",
			line: "1.5|2E:42:25:9D:EF:BD|192.0.2.1||224.0.0.18||255||0x00||3|1|0|2||100||0x0000|0|192.0.2.100,192.0.2.101|",
			want: VRRPPacket{Time: 1.5, EthSrc: "2e:42:25:9d:ef:bd", IPSrc: "192.0.2.1", IPDst: "224.0.0.18", TTL: 255,
				DSField: "0x00", Version: 3, VRID: 1, Count: 2, AdverInt: 100, Checksum: "0x0000",
				Addrs: []string{"192.0.2.100", "192.0.2.101"}}},
		{name: "ICMP-quoted copy keeps the outer header",
			line: "2|aa:bb:cc:dd:ee:ff|192.0.2.9,192.0.2.1||192.0.2.1,224.0.0.18||64,255||0xc0,0xc0||2|51|100|1|1||0|0x1234|1|192.0.2.100|",
			want: VRRPPacket{Time: 2, EthSrc: "aa:bb:cc:dd:ee:ff", IPSrc: "192.0.2.9", IPDst: "192.0.2.1", TTL: 64,
				DSField: "0xc0", Version: 2, VRID: 51, Priority: 100, Count: 1, AdverInt: 1, Checksum: "0x1234",
				ChecksumGood: true, Addrs: []string{"192.0.2.100"}}},
		{name: "too few fields", line: "1|2|3", wantErr: "has 3 fields, want 21"},
		{name: "bad priority", line: strings.Replace(lineVRRPv2IPv4, "|120|", "|high|", 1), wantErr: "vrrp.prio = \"high\""},
		{name: "bad time", line: strings.Replace(lineVRRPv2IPv4, "1795351573.774762291", "noon", 1), wantErr: "frame.time_epoch = \"noon\""},
		{name: "empty line", line: "", wantErr: "has 1 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseVRRP(tt.line)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseVRRP error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseVRRP: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseVRRP =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseARP(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    ARPPacket
		wantErr string
	}{
		{name: "keepalived GARP", line: lineGARP, want: ARPPacket{Time: 1795351573.780778760, EthSrc: "2e:42:25:9d:ef:bd",
			EthDst: "ff:ff:ff:ff:ff:ff", Op: 1, SenderMAC: "2e:42:25:9d:ef:bd", SenderIP: "192.0.2.100",
			TargetMAC: "ff:ff:ff:ff:ff:ff", TargetIP: "192.0.2.100", Gratuitous: true}},
		{name: "ordinary request", line: lineARPRequest, want: ARPPacket{Time: 1795351573.774210218, EthSrc: "1e:b7:03:17:0a:c9",
			EthDst: "ff:ff:ff:ff:ff:ff", Op: 1, SenderMAC: "1e:b7:03:17:0a:c9", SenderIP: "192.0.2.250",
			TargetMAC: "00:00:00:00:00:00", TargetIP: "192.0.2.1"}},
		{name: "boolean spelt True", line: strings.TrimSuffix(lineGARP, "1") + "True", want: ARPPacket{Time: 1795351573.780778760,
			EthSrc: "2e:42:25:9d:ef:bd", EthDst: "ff:ff:ff:ff:ff:ff", Op: 1, SenderMAC: "2e:42:25:9d:ef:bd",
			SenderIP: "192.0.2.100", TargetMAC: "ff:ff:ff:ff:ff:ff", TargetIP: "192.0.2.100", Gratuitous: true}},
		{name: "bad boolean", line: strings.TrimSuffix(lineGARP, "1") + "maybe", wantErr: "arp.isgratuitous = \"maybe\": want a boolean"},
		{name: "bad opcode", line: strings.Replace(lineGARP, "|1|", "|x|", 1), wantErr: "arp.opcode = \"x\""},
		{name: "extra field", line: lineGARP + "|", wantErr: "has 10 fields, want 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseARP(tt.line)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseARP error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseARP: %v", err)
			}
			if got != tt.want {
				t.Errorf("parseARP =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseNA(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    NAPacket
		wantErr string
	}{
		{name: "keepalived unsolicited NA", line: lineNAUnsolic, want: NAPacket{Time: 1795351573.764513012,
			EthSrc: "2e:42:25:9d:ef:bd", IPSrc: "2001:db8::100", IPDst: "ff02::1", HopLimit: 255, Target: "2001:db8::100",
			TargetLLAddr: "2e:42:25:9d:ef:bd", Override: true}},
		{name: "solicited NA", line: lineNASolicit, want: NAPacket{Time: 1795351573.765338282,
			EthSrc: "2e:42:25:9d:ef:bd", IPSrc: "2001:db8::1", IPDst: "2001:db8::250", HopLimit: 255, Target: "2001:db8::1",
			TargetLLAddr: "2e:42:25:9d:ef:bd", Solicited: true, Override: true}},
		{name: "no options, router flag", line: "3|aa:bb:cc:dd:ee:ff|fe80::1|ff02::1|255|2001:db8::1|||1|0|0", want: NAPacket{
			Time: 3, EthSrc: "aa:bb:cc:dd:ee:ff", IPSrc: "fe80::1", IPDst: "ff02::1", HopLimit: 255, Target: "2001:db8::1", Router: true}},
		{name: "source then target link-layer option, nonce in between",
			line: "4|aa:bb:cc:dd:ee:ff|fe80::1|ff02::1|255|2001:db8::1|1,14,2|11:11:11:11:11:11,22:22:22:22:22:22|0|0|1",
			want: NAPacket{Time: 4, EthSrc: "aa:bb:cc:dd:ee:ff", IPSrc: "fe80::1", IPDst: "ff02::1", HopLimit: 255,
				Target: "2001:db8::1", TargetLLAddr: "22:22:22:22:22:22", Override: true}},
		{name: "option without address", line: "5|aa:bb:cc:dd:ee:ff|fe80::1|ff02::1|255|2001:db8::1|2||0|0|1",
			wantErr: "1 link-layer options but 0 addresses"},
		{name: "bad hop limit", line: strings.Replace(lineNAUnsolic, "|255|", "|-x|", 1), wantErr: "ipv6.hlim = \"-x\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNA(tt.line)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseNA error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseNA: %v", err)
			}
			if got != tt.want {
				t.Errorf("parseNA =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestLastState(t *testing.T) {
	log := `Sun Nov 22 12:44:55 2026: (VI_1) Entering BACKUP STATE (init)
Sun Nov 22 12:44:55 2026: (VI_2) Entering BACKUP STATE (init)
Sun Nov 22 12:44:59 2026: (VI_1) Receive advertisement timeout
Sun Nov 22 12:44:59 2026: (VI_1) Entering MASTER STATE
Sun Nov 22 12:45:03 2026: (VI_2) Entering FAULT STATE
Sun Nov 22 12:45:03 2026: (VI_10) Entering MASTER STATE
`
	tests := []struct{ instance, want string }{
		{"VI_1", "MASTER"},
		{"VI_2", "FAULT"},
		{"VI_10", "MASTER"},
		{"VI_3", ""},
		{"VI", ""},
	}
	for _, tt := range tests {
		if got := lastState(log, tt.instance); got != tt.want {
			t.Errorf("lastState(%s) = %q, want %q", tt.instance, got, tt.want)
		}
	}
	if got := lastState("", "VI_1"); got != "" {
		t.Errorf("lastState of an empty log = %q", got)
	}
}

func TestDocIPv6(t *testing.T) {
	tests := []struct {
		id   int
		want string
	}{{1, "2001:db8::1"}, {9, "2001:db8::9"}, {10, "2001:db8::10"}, {42, "2001:db8::42"}, {250, "2001:db8::250"}}
	for _, tt := range tests {
		if got := docIPv6(tt.id); got != netip.MustParseAddr(tt.want) {
			t.Errorf("docIPv6(%d) = %v, want %s", tt.id, got, tt.want)
		}
	}
}

func TestValidIfaceName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"eth0", true}, {"eth0.100", true}, {"123456789012345", true}, {"vrrp.51", true},
		{"", false}, {".", false}, {"..", false}, {"1234567890123456", false},
		{"a/b", false}, {"eth0:vip", false}, {"eth 0", false}, {"eth\t0", false},
	}
	for _, tt := range tests {
		if err := validIfaceName(tt.name); (err == nil) != tt.ok {
			t.Errorf("validIfaceName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestSafeFileName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"keepalived-hv1-2-n1", "keepalived-hv1-2-n1"},
		{"tshark eth0/1", "tshark_eth0_1"},
		{"", "process"},
		{"ünï", "_n_"},
	}
	for _, tt := range tests {
		if got := safeFileName(tt.in); got != tt.want {
			t.Errorf("safeFileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCaptureMarkerFilter(t *testing.T) {
	m := captureMarker{id: 0x01020304, payload: append([]byte{1, 2, 3, 4}, markerText...)}
	if got := m.filter(""); got != "" {
		t.Errorf("filter(\"\") = %q, want \"\" (capture everything)", got)
	}
	want := "(arp or icmp) or (ether proto 0x88b5 and ether[14:4] = 0x01020304)"
	if got := m.filter("arp or icmp"); got != want {
		t.Errorf("filter = %q, want %q", got, want)
	}
	if len(m.payload) < 46 {
		t.Errorf("marker payload is %d bytes; an Ethernet payload needs at least 46", len(m.payload))
	}
}

func FuzzParseVRRP(f *testing.F) {
	for _, seed := range []string{lineVRRPv3IPv6, lineVRRPv2IPv4, "", "|||", strings.Repeat("|", 20)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		p, err := parseVRRP(line)
		if err != nil {
			return
		}
		if strings.Count(line, "|") != len(vrrpFields)-1 {
			t.Fatalf("accepted %q with the wrong field count", line)
		}
		for _, a := range p.Addrs {
			if strings.Contains(a, ",") {
				t.Fatalf("address %q still holds the aggregator", a)
			}
		}
		if p.DSField != "" && !strings.HasPrefix(p.DSField, "0x") {
			t.Fatalf("DSField %q not in 0x form", p.DSField)
		}
	})
}

func FuzzParseARP(f *testing.F) {
	for _, seed := range []string{lineGARP, lineARPRequest, "", strings.Repeat("|", 8)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		p, err := parseARP(line)
		if err != nil {
			return
		}
		if strings.Count(line, "|") != len(arpFields)-1 {
			t.Fatalf("accepted %q with the wrong field count", line)
		}
		if p.EthSrc != strings.ToLower(p.EthSrc) || p.SenderMAC != strings.ToLower(p.SenderMAC) {
			t.Fatalf("MACs not lower-cased: %+v", p)
		}
	})
}

func FuzzParseNA(f *testing.F) {
	for _, seed := range []string{lineNAUnsolic, lineNASolicit, "", strings.Repeat("|", 10),
		"4|aa:bb:cc:dd:ee:ff|fe80::1|ff02::1|255|2001:db8::1|1,14,2|11:11:11:11:11:11,22:22:22:22:22:22|0|0|1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		p, err := parseNA(line)
		if err != nil {
			return
		}
		if strings.Count(line, "|") != len(naFields)-1 {
			t.Fatalf("accepted %q with the wrong field count", line)
		}
		if p.TargetLLAddr != "" && !strings.Contains(strings.ToLower(strings.Split(line, "|")[7]), p.TargetLLAddr) {
			t.Fatalf("TargetLLAddr %q not taken from the link-layer address field", p.TargetLLAddr)
		}
	})
}

func FuzzLastState(f *testing.F) {
	f.Add("(VI_1) Entering MASTER STATE\n(VI_1) Entering BACKUP STATE (init)", "VI_1")
	f.Add("(VI_1) Entering", "VI_1")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, log, instance string) {
		state := lastState(log, instance)
		if state == "" {
			return
		}
		if strings.Trim(state, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			t.Fatalf("state %q is not an upper-case word", state)
		}
		if !strings.Contains(log, "("+instance+") Entering "+state+" STATE") {
			t.Fatalf("state %q for %q does not come from a log line", state, instance)
		}
	})
}
