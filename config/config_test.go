package config

import (
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testOpts = Options{ConfigID: "node1", LookupEnv: func(k string) (string, bool) {
	if k == "HAVIP_IF" {
		return "eth7", true
	}
	return "", false
}}

func parse(t *testing.T, src string) (*Config, Diagnostics) {
	t.Helper()
	return ParseBytes("/cfg/test.conf", []byte(src), testOpts)
}

// inst wraps instance keywords in a minimal valid instance.
func inst(body string) string {
	return "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 192.0.2.10/24\n }\n" + body + "\n}\n"
}

func TestDiagnostics(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		severity Severity
		want     string // substring of one diagnostic; "" = no diagnostics at all
	}{
		{"clean", inst(""), 0, ""},
		{"misspelled keyword", inst("priorty 100"), Warning, "unknown keyword 'priorty' in vrrp_instance VI_1 is ignored, as keepalived does; did you mean 'priority'?"},
		{"misspelled top-level", "vrrp_instanse X {\n}\n", Warning, "did you mean 'vrrp_instance'?"},
		{"state case", inst("state Master"), Warning, `state "Master" must be MASTER or BACKUP (upper case); BACKUP is used`},
		{"v2 advert rounding", inst("advert_int 1.4"), Warning, "1.4 rounded to 1"},
		{"v3 advert rounding", inst("version 3\nadvert_int 0.123"), Warning, "0.123 rounded to 0.12"},
		{"mixed family", inst("virtual_ipaddress {\n2001:db8::1\n}"), Warning, "is IPv6 but the instance is IPv4 (put the other family in virtual_ipaddress_excluded or another instance); the address is ignored"},
		{"excluded may mix", inst("virtual_ipaddress_excluded {\n2001:db8::1\n}"), 0, ""},
		{"duplicate vrid", inst("") + strings.Replace(inst(""), "VI_1", "VI_2", 1), Error, "VRID 51 is duplicated on interface eth0"},
		{"auth truncated", inst("authentication {\nauth_type PASS\nauth_pass 0123456789\n}"), Warning, `truncated to "01234567"`},
		{"auth dropped for v3", inst("version 3\nauthentication {\nauth_type PASS\nauth_pass x\n}"), Warning, "authentication is only used with VRRPv2"},
		{"auth AH", inst("authentication {\nauth_type AH\nauth_pass secret\n}"), 0, ""},
		{"auth AH with state MASTER", inst("state MASTER\npriority 200\nauthentication {\nauth_type AH\nauth_pass secret\n}"), Warning, "initial state MASTER is incompatible with AH authentication; using BACKUP"},
		{"auth AH, address owner with state MASTER", inst("state MASTER\npriority 255\nauthentication {\nauth_type AH\nauth_pass secret\n}"), 0, ""},
		{"undefined script", inst("track_script {\nchk\n}"), Warning, "vrrp_script chk is not defined; the reference is ignored"},
		{"undefined file", inst("track_file {\ntf\n}"), Warning, "track_file tf is not defined"},
		{"undefined process", inst("track_process {\ntp\n}"), Warning, "vrrp_track_process tp is not defined"},
		{"interface weight range", inst("track_interface {\neth1 weight 254\n}"), Warning, "track_interface eth1: weight 254 is outside -253..253; the weight is ignored (the interface is tracked without one)"},
		{"file weight range ok", "track_file tf {\nfile /tmp/x\n}\n" + inst("track_file {\ntf weight -254\n}"), 0, ""},
		{"file weight range", "track_file tf {\nfile /tmp/x\n}\n" + inst("track_file {\ntf weight 255\n}"), Error, "-254..254"},
		{"script weight range", "vrrp_script s {\nscript /bin/true\nweight -254\n}\n", Error, "-253..253"},
		{"script without script", "vrrp_script s {\ninterval 2\n}\n", Warning, "has no script (add a 'script' line); the vrrp_script is ignored"},
		{"missing brace", "vrrp_instance VI_1\n", Error, "missing '{' after vrrp_instance VI_1"},
		{"extra brace", inst("") + "}\n", Error, "extra '}' found"},
		{"unclosed block", "vrrp_instance VI_1 {\n", Error, "missing '}'"},
		{"vrid missing", "vrrp_instance VI_1 {\ninterface eth0\nvirtual_ipaddress {\n192.0.2.1\n}\n}\n", Error, "virtual_router_id is missing"},
		{"vrid range", strings.Replace(inst(""), "51", "0", 1), Error, "1..255"},
		{"bad vip", inst("virtual_ipaddress {\n192.0.2.300\n}"), Warning, `"192.0.2.300" is not an IPv4 or IPv6 address`},
		{"bad vip option", inst("virtual_ipaddress {\n192.0.2.3 deev eth0\n}"), Error, `did you mean "dev"?`},
		{"no vip", "vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 1\n}\n", Warning, "no virtual_ipaddress"},
		{"sync group member", inst("") + "vrrp_sync_group G {\ngroup {\nVI_1\nVI_X\n}\n}\n", Warning, "vrrp_instance VI_X is not defined (did you mean 'VI_1'?); the member is ignored"},
		{"lvs without protocol", "virtual_server 192.0.2.1 80 {\nreal_server 192.0.2.2 80 {\nweight 1\n}\n}\n", Warning, "no protocol; using UDP as keepalived 2.2.7 does"},
		{"unicast_fault_no_peer runs", inst("unicast_fault_no_peer"), Warning, ""},
		{"track_src_ip runs", inst("track_src_ip\nmcast_src_ip 192.0.2.1"), Warning, ""},
		{"vrrp_garp_interval runs", "global_defs {\nvrrp_garp_interval 0.1\nvrrp_gna_interval 0.2\n}\n" + inst(""), Warning, ""},
		{"promote_secondaries runs", inst("promote_secondaries"), Warning, ""},
		{"promote_secondaries with use_vmac", inst("use_vmac\npromote_secondaries"), Warning, "vrrp_instance VI_1: promote_secondaries is set on use_vmac devices anyway; promote_secondaries is ignored, as keepalived does"},
		{"garp_interval in an instance", inst("garp_interval 0.1"), Warning, "garp_interval is not a vrrp_instance keyword (gratuitous ARPs and NAs are paced per interface: vrrp_garp_interval in global_defs); the keyword is ignored, as keepalived does"},
		{"gna_interval in an instance", inst("gna_interval 0.1"), Warning, "gna_interval is not a vrrp_instance keyword (gratuitous ARPs and NAs are paced per interface: vrrp_gna_interval in global_defs); the keyword is ignored, as keepalived does"},
		{"smtp_alert_checker not supported", "global_defs {\nsmtp_alert_checker\n}\n", Warning, "smtp_alert_checker is not supported by havip"},
		{"random refused", "$X=${_RANDOM}\n" + inst("priority $X"), Error, "${_RANDOM} is not supported"},
		{"nopreempt master", inst("state MASTER\nnopreempt"), Warning, "nopreempt needs state BACKUP"},
		{"bool value", "global_defs {\nvrrp_min_garp maybe\n}\n", Error, `"maybe" is not a boolean`},
		{"timer value", inst("advert_int fast"), Error, `"fast" is not a number of seconds`},
		{"unmatched quote", inst(`notify_master "/bin/x`), Error, "unmatched"},
		{"strict unicast", "global_defs {\nvrrp_strict\n}\n" + inst("unicast_peer {\n192.0.2.2\n}"), Error, "strict mode does not allow unicast_peer"},
		{"unicast ttl", inst("unicast_peer {\n192.0.2.2 min_ttl 200 max_ttl 100\n}"), Error, "min_ttl 200 is above max_ttl 100"},
		{"route host bits", inst("virtual_routes {\n198.51.100.1/24 dev eth0\n}"), Warning, "has host bits set; did you mean 198.51.100.0/24?; the route is ignored"},
		{"rule without table", inst("virtual_rules {\nfrom 192.0.2.0/24\n}"), Warning, "rule needs a table (or goto/type); the rule is ignored"},
		{"recursive definition", "$A=$A x\n" + inst("priority $A"), Error, "levels deep"},
		{"include loop-free missing include", "include /nonexistent/*.conf\n" + inst(""), 0, ""},
		{"interface missing", "vrrp_instance VI_1 {\nvirtual_router_id 1\nvirtual_ipaddress {\n192.0.2.1\n}\n}\n", Error, "interface is missing"},
		{"script defined after use", inst("track_script {\nchk\n}") + "vrrp_script chk {\nscript /bin/true\n}\n", Warning, "vrrp_script chk is defined after it is used"},
		{"sync group script after use", inst("") + "vrrp_sync_group G {\ngroup {\nVI_1\n}\ntrack_script {\nchk\n}\n}\nvrrp_script chk {\nscript /bin/true\n}\n", Warning, "defined after it is used"},
		{"sync group without group", inst("") + "vrrp_sync_group G {\nVI_1\n}\n", Warning, "vrrp_sync_group G has no members (add group { INSTANCE ... }); the vrrp_sync_group is ignored"},
		{"unicast bad peer", inst("unicast_peer {\n192.0.2.300\n}"), Warning, `unicast_peer: "192.0.2.300" is not an IPv4 or IPv6 address; the peer is ignored`},
		{"route bad gateway", inst("virtual_routes {\n198.51.100.0/24 via 192.0.2.999\n}"), Warning, "the route is ignored, as keepalived does"},
		{"rule bad address", "static_rules {\nfrom 192.0.2.1 to 192.168.100./24 table 1\n}\n", Warning, `"192.168.100./24" is not an address with an optional /length; the rule is ignored`},
		{"process without process", "vrrp_track_process p {\nquorum 1\n}\n", Warning, "has no process (add a 'process NAME' line); the vrrp_track_process is ignored"},
		{"track_file without file", "track_file f {\nweight 1\n}\n", Warning, "has no file (add a 'file PATH' line); the track_file is ignored"},
		{"priority range", inst("priority 300"), Warning, `priority: "300" is not an integer in 1..255; the default priority 100 is used`},
		{"unknown auth_type", inst("authentication {\nauth_type CRYPT\nauth_pass x\n}"), Warning, `auth_type "CRYPT" must be PASS or AH; the instance runs without authentication`},
		{"bad scope", inst("virtual_ipaddress {\n192.0.2.3 scope bogus\n}"), Warning, `scope "bogus" must be global, site, link, host, nowhere or a number; the scope is ignored`},
		{"instance defined twice", inst("") + strings.Replace(inst(""), "51", "52", 1), Warning, "vrrp_instance VI_1 is defined twice (first at /cfg/test.conf:1); this definition is ignored"},
		{"includer missing", "includer /nonexistent/x.conf\n" + inst(""), Error, "no file matches"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := parse(t, tc.src)
			if tc.want == "" {
				if len(diags) != 0 {
					t.Fatalf("want no diagnostics, got:\n%v", diags)
				}
				return
			}
			for _, d := range diags {
				if strings.Contains(d.Msg, tc.want) {
					if d.Severity != tc.severity {
						t.Fatalf("%q: severity %v, want %v", d.Msg, d.Severity, tc.severity)
					}
					if d.Pos.File == "" || d.Pos.Line == 0 {
						t.Fatalf("%q has no position: %+v", d.Msg, d.Pos)
					}
					return
				}
			}
			t.Fatalf("no diagnostic contains %q; got:\n%v", tc.want, diags)
		})
	}
}

func TestDefaultsResolved(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, in *Instance)
	}{
		{"backup defaults", inst(""), func(t *testing.T, in *Instance) {
			if in.State != StateBackup || in.Priority != 100 || in.Version != 2 || in.AdvertInt != time.Second || !in.Accept {
				t.Fatalf("got state %s prio %d v%d adv %v accept %v", in.State, in.Priority, in.Version, in.AdvertInt, in.Accept)
			}
			if in.MulticastGroup != netip.MustParseAddr("224.0.0.18") || in.UnicastTTL != 255 || in.DownTimerAdverts != 3 {
				t.Fatalf("got group %s ttl %d down %d", in.MulticastGroup, in.UnicastTTL, in.DownTimerAdverts)
			}
			if in.GARP.MasterDelay != 5*time.Second || in.GARP.MasterRepeat != 5 || in.GARP.LowerPrioRepeat != 5 {
				t.Fatalf("garp %+v", in.GARP)
			}
		}},
		{"master without priority is owner", inst("state MASTER"), func(t *testing.T, in *Instance) {
			if in.Priority != 255 {
				t.Fatalf("priority %d, want 255", in.Priority)
			}
		}},
		{"priority 255 without state is master", inst("priority 255"), func(t *testing.T, in *Instance) {
			if in.State != StateMaster {
				t.Fatalf("state %s, want MASTER", in.State)
			}
		}},
		{"ipv6 family and group", strings.Replace(inst(""), "192.0.2.10/24", "2001:db8::10/64", 1), func(t *testing.T, in *Instance) {
			if in.Family != IPv6 || in.Version != 3 || in.MulticastGroup != netip.MustParseAddr("ff02::12") {
				t.Fatalf("family %d version %d group %s", in.Family, in.Version, in.MulticastGroup)
			}
		}},
		{"v3 centiseconds", inst("version 3\nadvert_int 0.05"), func(t *testing.T, in *Instance) {
			if in.AdvertInt != 50*time.Millisecond {
				t.Fatalf("advert_int %v", in.AdvertInt)
			}
		}},
		{"garp inherited and overridden", "global_defs {\nvrrp_garp_master_repeat 2\nvrrp_garp_master_delay 1\n}\n" + inst("garp_master_delay 3"), func(t *testing.T, in *Instance) {
			if in.GARP.MasterRepeat != 2 || in.GARP.MasterDelay != 3*time.Second || in.GARP.LowerPrioDelay != 3*time.Second || in.GARP.LowerPrioRepeat != 2 {
				t.Fatalf("garp %+v", in.GARP)
			}
		}},
		{"strict accept default", "global_defs {\nvrrp_strict\n}\n" + inst(""), func(t *testing.T, in *Instance) {
			if in.Accept || !in.Strict || !in.LowerPrioNoAdvert || in.GARP.LowerPrioRepeat != 0 {
				t.Fatalf("accept %v strict %v lpna %v", in.Accept, in.Strict, in.LowerPrioNoAdvert)
			}
		}},
		{"no_accept", inst("no_accept"), func(t *testing.T, in *Instance) {
			if in.Accept {
				t.Fatal("accept still on")
			}
		}},
		{"checksum mode", "global_defs {\nv3_checksum_as_v2\n}\n" + inst(""), func(t *testing.T, in *Instance) {
			if in.Checksum != ChecksumAsV2 {
				t.Fatalf("checksum %s", in.Checksum)
			}
		}},
		{"script weight inherited and overridden", "vrrp_script a {\nscript \"/bin/check 'x y'\"\nweight -20 reverse\n}\nvrrp_script b {\nscript /bin/true\nweight 5\n}\n" +
			inst("track_script {\na\nb weight 7\n}"), func(t *testing.T, in *Instance) {
			want := []TrackRef{{Name: "a", Weight: -20, Reverse: true}, {Name: "b", Weight: 7}}
			for i, r := range in.Track.Scripts {
				r.Pos = Pos{}
				if r != want[i] {
					t.Fatalf("ref %d = %+v, want %+v", i, r, want[i])
				}
			}
		}},
		{"notify command argv", inst(`notify_master "/bin/notify master\tnow" root`), func(t *testing.T, in *Instance) {
			c := in.Notify.Master
			if c == nil || c.Text != "/bin/notify master\tnow" || strings.Join(c.Args, "|") != "/bin/notify|master|now" || c.User != "root" {
				t.Fatalf("command %+v", c)
			}
		}},
		{"quotes inside a quoted script group words, as keepalived 2.2.7 runs them", inst(`notify "/bin/sh -c 'exit 1'"`), func(t *testing.T, in *Instance) {
			if c := in.Notify.All; c == nil || strings.Join(c.Args, "|") != "/bin/sh|-c|exit 1" {
				t.Fatalf("command %+v, want argv /bin/sh, -c, exit 1", c)
			}
		}},
		{"env and instance built-ins", inst("interface ${_ENV HAVIP_IF}\nnotify \"/bin/n ${_INSTANCE}\""), func(t *testing.T, in *Instance) {
			if in.Interface != "eth7" || in.Notify.All.Text != "/bin/n node1" {
				t.Fatalf("interface %q notify %+v", in.Interface, in.Notify.All)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags := parse(t, tc.src)
			if diags.HasErrors() {
				t.Fatalf("unexpected errors:\n%v", diags.Err())
			}
			if len(cfg.Instances) != 1 {
				t.Fatalf("%d instances, want 1", len(cfg.Instances))
			}
			tc.check(t, cfg.Instances[0])
		})
	}
}

func TestCommandRoundTrip(t *testing.T) {
	for _, text := range []string{"/bin/a b", `/bin/say "hi" # not a comment ! {x}`, "/bin/x 'quoted' \\ back", "tab\there\nnewline\x01\xff"} {
		src := inst("notify_master " + quoteEscaped(text) + " root wheel")
		cfg, diags := parse(t, src)
		if diags.HasErrors() {
			t.Fatalf("%q: %v\n%s", text, diags.Err(), src)
		}
		c := cfg.Instances[0].Notify.Master
		if c.Text != text || c.User != "root" || c.Group != "wheel" {
			t.Fatalf("got %+v, want text %q", c, text)
		}
	}
}

func TestDiagnosticFormatting(t *testing.T) {
	ds := Diagnostics{
		{Pos: Pos{File: "a.conf", Line: 3}, Severity: Warning, Msg: "w"},
		{Pos: Pos{File: "a.conf", Line: 4}, Severity: Error, Msg: "e1"},
		{Pos: Pos{File: "b.conf", Line: 1}, Severity: Error, Msg: "e2"},
	}
	if got := ds[0].String(); got != "a.conf:3: warning: w" {
		t.Fatalf("String() = %q", got)
	}
	if !ds.HasErrors() || ds[:1].HasErrors() {
		t.Fatal("HasErrors wrong")
	}
	if ds[:1].Err() != nil {
		t.Fatal("Err() not nil for warnings only")
	}
	if got := ds.Err().Error(); got != "a.conf:4: error: e1\nb.conf:1: error: e2" {
		t.Fatalf("Err() = %q", got)
	}
}

// TestGARPGroupInterfaceWarnings names a missing garp_group interface at
// its own line, as keepalived -t does.
func TestGARPGroupInterfaceWarnings(t *testing.T) {
	opts := testOpts
	opts.InterfaceExists = func(name string) bool { return name == "eth0" }
	src := "garp_group {\ngarp_interval 0.1\ninterface eth0\ninterfaces {\neth9\n}\n}\n" + inst("")
	_, diags := ParseBytes("/cfg/test.conf", []byte(src), opts)
	var got []string
	for _, d := range diags {
		got = append(got, d.String())
	}
	want := "/cfg/test.conf:5: warning: interface eth9 for garp_group does not exist on this host"
	if strings.Join(got, "\n") != want {
		t.Fatalf("diagnostics %q, want %q", got, want)
	}
}

func TestInterfaceWarnings(t *testing.T) {
	opts := testOpts
	opts.InterfaceExists = func(name string) bool { return name == "eth0" }
	src := inst("track_interface {\neth0\neth9 weight 5\n}\nvirtual_ipaddress_excluded {\n198.51.100.1 dev eth8\n}")
	_, diags := ParseBytes("/cfg/test.conf", []byte(src), opts)
	if diags.HasErrors() {
		t.Fatalf("errors: %v", diags.Err())
	}
	var got []string
	for _, d := range diags {
		got = append(got, d.Msg)
	}
	want := []string{
		"interface eth9 for track_interface of vrrp_instance VI_1 does not exist on this host",
		"interface eth8 for address 198.51.100.1 does not exist on this host",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestDefaultConfigIDIsShortHostname(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skipf("no host name: %v", err)
	}
	short, _, _ := strings.Cut(host, ".")
	cfg, diags := ParseBytes("x.conf", []byte("@"+short+" $IF=eth3\n"+inst("interface $IF\nnotify \"/bin/n ${_INSTANCE}\"")), Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	if in := cfg.Instances[0]; in.Interface != "eth3" || in.Notify.All.Text != "/bin/n "+short {
		t.Fatalf("interface %q notify %q, want eth3 and /bin/n %s", in.Interface, in.Notify.All.Text, short)
	}
}

// TestMinGARP: vrrp_min_garp sets keepalived's minimal GARP settings where it
// stands, so a later keyword overrides it, and the printed config keeps that.
func TestMinGARP(t *testing.T) {
	tests := []struct {
		name, global string
		wantRepeat   int
		wantDelay    time.Duration
	}{
		{"alone", "vrrp_min_garp", 1, 0},
		{"overridden after", "vrrp_min_garp\n  vrrp_garp_master_repeat 3", 3, 0},
		{"overrides before", "vrrp_garp_master_repeat 3\n  vrrp_min_garp", 1, 0},
		{"off", "vrrp_min_garp off", 5, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "global_defs {\n  " + tt.global + "\n}\nvrrp_instance V {\n  interface eth0\n  virtual_router_id 9\n  virtual_ipaddress {\n    192.0.2.9\n  }\n}\n"
			cfg, diags := ParseBytes("min.conf", []byte(src), testOpts)
			if diags.HasErrors() {
				t.Fatal(diags.Err())
			}
			in := cfg.Instances[0]
			if in.GARP.MasterRepeat != tt.wantRepeat || in.GARP.MasterDelay != tt.wantDelay {
				t.Errorf("instance GARP repeat %d delay %v, want %d %v", in.GARP.MasterRepeat, in.GARP.MasterDelay, tt.wantRepeat, tt.wantDelay)
			}
			again, diags := ParseBytes("printed.conf", Format(cfg), testOpts)
			if diags.HasErrors() || !cfg.Equal(again) {
				t.Errorf("printed config does not parse back equal: %v\n%s", diags.Err(), Format(cfg))
			}
		})
	}
}

func TestUseVMAC(t *testing.T) {
	tests := []struct {
		name, line, extra string
		wantName, wantMAC string
		wantErr           string
	}{
		{name: "default", line: "use_vmac"},
		{name: "name", line: "use_vmac vrrp-web", wantName: "vrrp-web"},
		{name: "name and MAC either order", line: "use_vmac 02:00:5E:AA:BB:CC vweb", wantName: "vweb", wantMAC: "02:00:5e:aa:bb:cc"},
		{name: "five octets take the VRID", line: "use_vmac 02:00:5e:aa:bb", wantMAC: "02:00:5e:aa:bb:33"},
		{name: "multicast", line: "use_vmac 03:00:5e:aa:bb:cc", wantErr: "is a multicast address"},
		{name: "VRRP range", line: "use_vmac 00:00:5e:00:02:33", wantErr: "is in a VRRP virtual MAC range"},
		{name: "not a MAC", line: "use_vmac 02:zz:5e:aa:bb:cc", wantErr: "is not a MAC address"},
		{name: "own MAC under strict", line: "use_vmac 02:00:5e:aa:bb:cc", extra: "  strict_mode on\n", wantErr: "not allowed under strict mode"},
		{name: "name too long", line: "use_vmac vrrp-0123456789abc", wantErr: "longer than 15 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "vrrp_instance V {\n  interface eth0\n  virtual_router_id 51\n  " + tt.line + "\n" + tt.extra +
				"  virtual_ipaddress {\n    192.0.2.9\n  }\n}\n"
			cfg, diags := ParseBytes("vmac.conf", []byte(src), testOpts)
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Err().Error(), tt.wantErr) || !strings.Contains(diags.Err().Error(), "vmac.conf:4") {
					t.Fatalf("want an error at vmac.conf:4 containing %q, got %v", tt.wantErr, diags)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Err())
			}
			v := cfg.Instances[0].VMAC
			if v == nil || v.Name != tt.wantName || v.MAC != tt.wantMAC {
				t.Fatalf("VMAC = %+v, want name %q MAC %q", v, tt.wantName, tt.wantMAC)
			}
			again, _ := ParseBytes("printed.conf", Format(cfg), testOpts)
			if !cfg.Equal(again) {
				t.Errorf("printed config does not parse back equal:\n%s", Format(cfg))
			}
		})
	}
}

// TestGARPGroups reads garp_group blocks as keepalived 2.2.7 does.
func TestGARPGroups(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		want  []GARPGroup // positions left out
		diags []string
	}{
		{"interface and interfaces", "garp_group {\ngarp_interval 0.1\ngna_interval 0.002\ninterface eth0\ninterfaces {\neth1\neth2\n}\n}\n",
			[]GARPGroup{{Interval: 100 * time.Millisecond, NAInterval: 2 * time.Millisecond, Interfaces: []string{"eth0", "eth1", "eth2"}}}, nil},
		{"an interface in two groups", "garp_group {\ngarp_interval 0.1\ninterface eth0\n}\ngarp_group {\ngna_interval 0.1\ninterface eth0\ninterface eth1\n}\n",
			[]GARPGroup{{Interval: 100 * time.Millisecond, Interfaces: []string{"eth0"}}, {NAInterval: 100 * time.Millisecond, Interfaces: []string{"eth1"}}},
			[]string{"/cfg/test.conf:7: warning: garp_group: eth0 is already in the garp_group at /cfg/test.conf:1; the interface is ignored, as keepalived does"}},
		{"named twice", "garp_group {\ngarp_interval 0.1\ninterface eth0\ninterface eth0\n}\n",
			[]GARPGroup{{Interval: 100 * time.Millisecond, Interfaces: []string{"eth0"}}},
			[]string{"/cfg/test.conf:4: warning: garp_group: eth0 is named twice; the interface is ignored, as keepalived does"}},
		{"no interval", "garp_group {\ninterface eth0\n}\n", nil,
			[]string{"/cfg/test.conf:1: warning: garp_group has no garp_interval or gna_interval; the garp_group is ignored, as keepalived does"}},
		{"empty interfaces", "garp_group {\ngarp_interval 0.1\ninterfaces {\n}\n}\n",
			[]GARPGroup{{Interval: 100 * time.Millisecond}},
			[]string{"/cfg/test.conf:3: warning: garp_group: the interfaces block is empty"}},
		{"bad interval", "garp_group {\ngarp_interval soon\ninterface eth0\n}\n",
			[]GARPGroup{{Interfaces: []string{"eth0"}}},
			[]string{`/cfg/test.conf:2: error: garp_interval: "soon" is not a number of seconds`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := parse(t, tt.src)
			var got []string
			for _, d := range diags {
				got = append(got, d.String())
			}
			if !reflect.DeepEqual(got, tt.diags) {
				t.Fatalf("diagnostics\n%q\nwant\n%q", got, tt.diags)
			}
			for i := range cfg.GARPGroups {
				cfg.GARPGroups[i].Pos, cfg.GARPGroups[i].ifPos = Pos{}, nil
			}
			if !reflect.DeepEqual(cfg.GARPGroups, tt.want) {
				t.Fatalf("groups %+v, want %+v", cfg.GARPGroups, tt.want)
			}
			if len(tt.want) > 0 && !strings.Contains(string(Format(cfg)), "garp_group {") {
				t.Fatalf("Format lost the garp_group:\n%s", Format(cfg))
			}
		})
	}
}
