package config

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// TestUseIPVLAN: use_ipvlan and vrf as keepalived 2.2.7's vrrp_ipvlan_handler,
// vrrp_vrf_handler and vrrp_complete_instance read them.
func TestUseIPVLAN(t *testing.T) {
	pfx := netip.MustParsePrefix
	tests := []struct {
		name, body string
		want       *IPVLAN    // nil: no use_ipvlan kept
		wantSrc    netip.Addr // the instance's multicast source address
		faults     int        // config faults
		wantDiag   string     // a diagnostic containing this ("" = none)
		wantErr    bool
	}{
		{name: "bare, IPv4: config fault", body: " use_ipvlan", want: &IPVLAN{Mode: "bridge"}, faults: 1,
			wantDiag: "IPv4 ipvlan requires a source ip address"},
		{name: "name, address, default mode", body: " use_ipvlan ipv1 192.0.2.50/24",
			want: &IPVLAN{Name: "ipv1", Addr: pfx("192.0.2.50/24"), Mode: "bridge"}, wantSrc: netip.MustParseAddr("192.0.2.50")},
		{name: "any order, host address", body: " use_ipvlan vepa 192.0.2.50 iv",
			want: &IPVLAN{Name: "iv", Addr: pfx("192.0.2.50/32"), Mode: "vepa"}, wantSrc: netip.MustParseAddr("192.0.2.50")},
		{name: "private", body: " use_ipvlan private 192.0.2.50/24",
			want: &IPVLAN{Addr: pfx("192.0.2.50/24"), Mode: "private"}, wantSrc: netip.MustParseAddr("192.0.2.50")},
		{name: "mcast_src_ip before keeps the source", body: " mcast_src_ip 192.0.2.1\n use_ipvlan ipv1 192.0.2.50/24",
			want: &IPVLAN{Name: "ipv1", Addr: pfx("192.0.2.50/24"), Mode: "bridge"}, wantSrc: netip.MustParseAddr("192.0.2.1")},
		{name: "second type ignored", body: " use_ipvlan bridge private 192.0.2.50",
			want: &IPVLAN{Addr: pfx("192.0.2.50/32"), Mode: "bridge"}, wantSrc: netip.MustParseAddr("192.0.2.50"),
			wantDiag: "ipvlan type already specified; 'private' is ignored"},
		{name: "second address ignored", body: " use_ipvlan 192.0.2.50 192.0.2.51",
			want: &IPVLAN{Addr: pfx("192.0.2.50/32"), Mode: "bridge"}, wantSrc: netip.MustParseAddr("192.0.2.50"),
			wantDiag: "ipvlan address already specified; '192.0.2.51' is ignored"},
		{name: "second name ignored", body: " use_ipvlan a b 192.0.2.50",
			want: &IPVLAN{Name: "a", Addr: pfx("192.0.2.50/32"), Mode: "bridge"}, wantSrc: netip.MustParseAddr("192.0.2.50"),
			wantDiag: "IPVLAN interface already specified; 'b' is ignored"},
		{name: "name too long", body: " use_ipvlan ipvlan0123456789 192.0.2.50",
			want: &IPVLAN{Addr: pfx("192.0.2.50/32"), Mode: "bridge"}, wantSrc: netip.MustParseAddr("192.0.2.50"),
			wantDiag: "IPVLAN interface name 'ipvlan0123456789' too long"},
		{name: "twice", body: " use_ipvlan a 192.0.2.50\n use_ipvlan b 192.0.2.51",
			want: &IPVLAN{Name: "a", Addr: pfx("192.0.2.50/32"), Mode: "bridge"}, wantSrc: netip.MustParseAddr("192.0.2.50"),
			wantDiag: "use_ipvlan already specified"},
		{name: "other family: config fault", body: " use_ipvlan 2001:db8::50/64",
			want: &IPVLAN{Addr: pfx("2001:db8::50/64"), Mode: "bridge"}, faults: 1,
			wantDiag: "does not match the instance's family"},
		{name: "promote_secondaries ignored", body: " promote_secondaries\n use_ipvlan 192.0.2.50",
			want: &IPVLAN{Addr: pfx("192.0.2.50/32"), Mode: "bridge"}, wantSrc: netip.MustParseAddr("192.0.2.50"),
			wantDiag: "promote_secondaries is automatically set for vmacs"},
		{name: "vrf after interface", body: " vrf red",
			wantDiag: "Cannot specify VRF interface and interface; vrf is ignored"},
		{name: "vrf name too long", body: " vrf red0123456789abc",
			wantDiag: "VRF interface name 'red0123456789abc' too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := parse(t, inst(tt.body))
			if diags.HasErrors() != tt.wantErr {
				t.Fatalf("errors %v, want errors %v", diags, tt.wantErr)
			}
			all := fmt.Sprint(diags)
			if tt.wantDiag != "" && !strings.Contains(all, tt.wantDiag) {
				t.Fatalf("diagnostics %q lack %q", all, tt.wantDiag)
			}
			in := cfg.Instances[0]
			if got := in.IPVLAN; !got.Equal(tt.want) {
				t.Fatalf("IPVLAN = %+v, want %+v", got, tt.want)
			}
			if in.VRF != "" || len(in.ConfigFaults) != tt.faults || in.MulticastSource != tt.wantSrc {
				t.Fatalf("VRF %q faults %q source %v; want none, %d, %v", in.VRF, in.ConfigFaults, in.MulticastSource, tt.faults, tt.wantSrc)
			}
			if tt.name == "promote_secondaries ignored" && in.PromoteSecondaries {
				t.Fatal("promote_secondaries kept")
			}
			again, _ := ParseBytes("printed.conf", Format(cfg), testOpts)
			if !cfg.Equal(again) {
				t.Errorf("printed config does not parse back equal:\n%s", Format(cfg))
			}
		})
	}
}

// TestVRF: vrf before interface, with or without unicast peers, as vrrp_complete_instance
// clears it; without interface havip, which needs one, refuses it.
func TestVRF(t *testing.T) {
	tests := []struct {
		name, src, wantDiag string
		wantErr             bool
	}{
		{"vrf then interface: cleared", "vrrp_instance V {\n vrf red\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 192.0.2.10/24\n }\n}\n",
			"vrf can only be specified without interface; vrf is cleared", false},
		{"vrf without interface, multicast: cleared", "vrrp_instance V {\n vrf red\n virtual_router_id 51\n virtual_ipaddress {\n 192.0.2.10/24\n }\n}\n",
			"vrf can only be specified with unicast; vrf is cleared", true},
		{"vrf without interface, unicast: not supported", "vrrp_instance V {\n vrf red\n unicast_src_ip 192.0.2.1\n unicast_peer {\n 192.0.2.2\n }\n virtual_router_id 51\n virtual_ipaddress {\n 192.0.2.10/24\n }\n}\n",
			"vrf red without interface is not supported by havip", true},
		{"vrf twice", "vrrp_instance V {\n vrf red\n vrf blue\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 192.0.2.10/24\n }\n}\n",
			"VRF interface already specified as 'red'", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := parse(t, tt.src)
			if diags.HasErrors() != tt.wantErr || !strings.Contains(fmt.Sprint(diags), tt.wantDiag) {
				t.Fatalf("diagnostics %v: want errors %v and %q", diags, tt.wantErr, tt.wantDiag)
			}
			if !tt.wantErr && (cfg.Instances[0].VRF != "red" || !cfg.Instances[0].VRFCleared) {
				t.Fatalf("VRF %q cleared %v, want red, cleared", cfg.Instances[0].VRF, cfg.Instances[0].VRFCleared)
			}
			if !tt.wantErr {
				if again, _ := ParseBytes("printed.conf", Format(cfg), testOpts); !cfg.Equal(again) {
					t.Errorf("printed config does not parse back equal:\n%s", Format(cfg))
				}
			}
		})
	}
}

// FuzzUseIPVLAN: any use_ipvlan / vrf arguments parse without panic, and a config that parses
// prints back equal.
func FuzzUseIPVLAN(f *testing.F) {
	for _, s := range []string{"use_ipvlan", "use_ipvlan ipv1 192.0.2.50/24 bridge", "use_ipvlan vepa private 2001:db8::1", "vrf red", "use_ipvlan a b c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		// The lexer's block, comment and quote syntax, and control characters (which it
		// splits on inconsistently, whatever the keyword), are out of this target's scope.
		if strings.ContainsAny(line, "{}#!\"") || strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return
		}
		cfg, diags := ParseBytes("f.conf", []byte(inst(" "+line)), testOpts)
		if diags.HasErrors() || len(cfg.Instances) == 0 {
			return
		}
		again, _ := ParseBytes("printed.conf", Format(cfg), testOpts)
		if !cfg.Equal(again) {
			t.Errorf("printed config does not parse back equal:\n%s", Format(cfg))
		}
	})
}
