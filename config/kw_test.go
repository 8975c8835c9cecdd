package config

import (
	"strings"
	"testing"
	"time"
)

// uinst is a unicast VRRPv3 IPv4 instance with extra keywords.
func uinst(body string) string {
	return inst("version 3\nunicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2\n}\n" + body)
}

func TestOldUnicastChecksum(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		compat   UnicastChecksumCompat
		checksum ChecksumMode
		diag     string // a diagnostic expected, "" = none
	}{
		{"default", uinst(""), UnicastChecksumAuto, ChecksumPseudoHeader, ""},
		{"bare keyword on unicast v3", uinst("old_unicast_checksum"), UnicastChecksumOld, ChecksumOldUnicast, ""},
		{"never", uinst("old_unicast_checksum never"), UnicastChecksumNever, ChecksumPseudoHeader, ""},
		{"unknown mode is dropped", uinst("old_unicast_checksum always"), UnicastChecksumAuto, ChecksumPseudoHeader, `old_unicast_checksum "always": the only mode is never; the keyword is ignored`},
		{"multicast keeps the standard form", inst("version 3\nold_unicast_checksum"), UnicastChecksumOld, ChecksumPseudoHeader, ""},
		{"VRRPv2 has no pseudo-header", strings.Replace(uinst("old_unicast_checksum"), "version 3", "version 2", 1), UnicastChecksumOld, ChecksumPseudoHeader, ""},
		{"v3_checksum_as_v2 wins", "global_defs {\nv3_checksum_as_v2\n}\n" + uinst("old_unicast_checksum"), UnicastChecksumOld, ChecksumAsV2, ""},
		{"another vrrp_mcast_group4 is warned", "global_defs {\nvrrp_mcast_group4 224.0.0.19\n}\n" + uinst("old_unicast_checksum"), UnicastChecksumOld, ChecksumOldUnicast,
			"old_unicast_checksum uses 224.0.0.18 in the checksum, not vrrp_mcast_group4 224.0.0.19 as keepalived does"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := parse(t, tt.src)
			if diags.HasErrors() {
				t.Fatalf("errors:\n%v", diags)
			}
			if tt.diag == "" && len(diags) != 0 {
				t.Fatalf("want no diagnostics, got:\n%v", diags)
			}
			if tt.diag != "" && !hasDiag(diags, tt.diag) {
				t.Fatalf("no diagnostic %q in:\n%v", tt.diag, diags)
			}
			in := c.Instances[0]
			if in.OldUnicastChecksum != tt.compat || in.Checksum != tt.checksum {
				t.Fatalf("old_unicast_checksum %q checksum %q, want %q %q", in.OldUnicastChecksum, in.Checksum, tt.compat, tt.checksum)
			}
			again, diags := parse(t, string(Format(c)))
			if diags.HasErrors() || !again.Equal(c) {
				t.Fatalf("formatted and parsed again differs:\n%s\n%v", Format(c), diags)
			}
		})
	}
	if _, diags := parse(t, uinst("old_unicast_checksum never never")); !diags.HasErrors() {
		t.Error("two arguments accepted")
	}
}

func TestGARPExtraIf(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		delay time.Duration
		all   bool
		diag  string // a diagnostic expected, "" = none
	}{
		{"default off", inst(""), 0, false, ""},
		{"global", "global_defs {\nvrrp_garp_extra_if 100\n}\n" + inst(""), 100 * time.Second, false, ""},
		{"global all first", "global_defs {\nvrrp_garp_extra_if all 100\n}\n" + inst(""), 100 * time.Second, true, ""},
		{"global all last", "global_defs {\nvrrp_garp_extra_if 60 all\n}\n" + inst(""), time.Minute, true, ""},
		{"global 0 is dropped", "global_defs {\nvrrp_garp_extra_if 0\n}\n" + inst(""), 0, false, `vrrp_garp_extra_if: "0" is not all or whole seconds 1..86400; the keyword is ignored`},
		{"global above a day", "global_defs {\nvrrp_garp_extra_if 86401\n}\n" + inst(""), 0, false, `"86401" is not all or whole seconds 1..86400`},
		{"global all without a delay", "global_defs {\nvrrp_garp_extra_if all\n}\n" + inst(""), 0, false, "vrrp_garp_extra_if: no delay (seconds) given; the keyword is ignored"},
		{"global fraction", "global_defs {\nvrrp_garp_extra_if 1.5\n}\n" + inst(""), 0, false, `"1.5" is not all or whole seconds`},
		{"instance", inst("garp_extra_if 30"), 30 * time.Second, false, ""},
		{"instance all", inst("garp_extra_if all 30"), 30 * time.Second, true, ""},
		{"instance 0 turns the global one off", "global_defs {\nvrrp_garp_extra_if all 100\n}\n" + inst("garp_extra_if 0"), 0, false, ""},
		{"instance overrides the global all", "global_defs {\nvrrp_garp_extra_if all 100\n}\n" + inst("garp_extra_if 20"), 20 * time.Second, false, ""},
		{"instance without a delay inherits", "global_defs {\nvrrp_garp_extra_if 100\n}\n" + inst("garp_extra_if all"), 100 * time.Second, false, "garp_extra_if: no delay (seconds) given; the keyword is ignored"},
		{"instance bad word", inst("garp_extra_if every 30"), 0, false, `garp_extra_if: "every" is not all or whole seconds 0..86400`},
		{"global name before 2.2.3", "global_defs {\nvrrp_vmac_garp_intvl all 50\n}\n" + inst(""), 50 * time.Second, true, "vrrp_vmac_garp_intvl is deprecated: use vrrp_garp_extra_if"},
		{"instance name before 2.2.3", inst("vmac_garp_intvl 40"), 40 * time.Second, false, "vmac_garp_intvl is deprecated: use garp_extra_if"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := parse(t, tt.src)
			if diags.HasErrors() {
				t.Fatalf("errors:\n%v", diags)
			}
			if tt.diag == "" && len(diags) != 0 {
				t.Fatalf("want no diagnostics, got:\n%v", diags)
			}
			if tt.diag != "" && !hasDiag(diags, tt.diag) {
				t.Fatalf("no diagnostic %q in:\n%v", tt.diag, diags)
			}
			g := c.Instances[0].GARP
			if g.ExtraIf != tt.delay || g.ExtraIfAll != tt.all {
				t.Fatalf("extra_if %v all %v, want %v %v", g.ExtraIf, g.ExtraIfAll, tt.delay, tt.all)
			}
			again, diags := parse(t, string(Format(c)))
			if diags.HasErrors() || !again.Equal(c) {
				t.Fatalf("formatted and parsed again differs:\n%s\n%v", Format(c), diags)
			}
		})
	}
	if _, diags := parse(t, inst("garp_extra_if all 1 2")); !diags.HasErrors() {
		t.Error("three arguments accepted")
	}
}

func TestFIFOWriteStatesOnReloadKeyword(t *testing.T) {
	tests := []struct {
		name string
		src  string
		on   bool
		bad  bool
	}{
		{"default off", inst(""), false, false},
		{"bare", "global_defs {\nfifo_write_vrrp_states_on_reload\n}\n" + inst(""), true, false},
		{"an argument is an error", "global_defs {\nfifo_write_vrrp_states_on_reload yes\n}\n" + inst(""), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := parse(t, tt.src)
			if diags.HasErrors() != tt.bad {
				t.Fatalf("errors %v, want %v:\n%v", diags.HasErrors(), tt.bad, diags)
			}
			if hasDiag(diags, "not supported") {
				t.Fatalf("still warned:\n%v", diags)
			}
			if c.Global.FIFOWriteStatesOnReload != tt.on {
				t.Fatalf("fifo_write_vrrp_states_on_reload %v, want %v", c.Global.FIFOWriteStatesOnReload, tt.on)
			}
			again, diags := parse(t, string(Format(c)))
			if diags.HasErrors() || !again.Equal(c) {
				t.Fatalf("formatted and parsed again differs:\n%s\n%v", Format(c), diags)
			}
		})
	}
}

func TestStartupShutdownScripts(t *testing.T) {
	tests := []struct {
		name                      string
		global                    string
		startup, shutdown         string // script texts, "" none
		startupTime, shutdownTime time.Duration
		diag                      string
		bad                       bool
	}{
		{"none", "", "", "", 0, 0, "", false},
		{"startup with the default timeout", "startup_script /bin/up", "/bin/up", "", 10 * time.Second, 0, "", false},
		{"shutdown with a timeout", "shutdown_script \"/bin/down now\" root\nshutdown_script_timeout 30", "", "/bin/down now", 0, 30 * time.Second, "", false},
		{"timeout before the script", "startup_script_timeout 5\nstartup_script /bin/up", "/bin/up", "", 5 * time.Second, 0, "", false},
		{"a second script is dropped", "startup_script /bin/a\nstartup_script /bin/b", "/bin/a", "", 10 * time.Second, 0, "startup_script is already given; this one is ignored", false},
		{"timeout without a script", "shutdown_script_timeout 7", "", "", 0, 7 * time.Second, "", false},
		{"timeout 0 is dropped", "startup_script_timeout 0", "", "", 0, 0, `startup_script_timeout: "0" is not whole seconds 1..1000; the keyword is ignored`, false},
		{"timeout above 1000 is dropped", "shutdown_script_timeout 1001", "", "", 0, 0, `"1001" is not whole seconds 1..1000`, false},
		{"a fraction is dropped, the default stands", "startup_script /bin/up\nstartup_script_timeout 2.5", "/bin/up", "", 10 * time.Second, 0, `"2.5" is not whole seconds`, false},
		{"no script", "startup_script", "", "", 0, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := parse(t, "global_defs {\n"+tt.global+"\n}\n"+inst(""))
			if diags.HasErrors() != tt.bad {
				t.Fatalf("errors %v, want %v:\n%v", diags.HasErrors(), tt.bad, diags)
			}
			if tt.diag != "" && !hasDiag(diags, tt.diag) {
				t.Fatalf("no diagnostic %q in:\n%v", tt.diag, diags)
			}
			if hasDiag(diags, "not supported") {
				t.Fatalf("still warned:\n%v", diags)
			}
			if tt.bad {
				return
			}
			g := c.Global
			text := func(c *Command) string {
				if c == nil {
					return ""
				}
				return c.Text
			}
			if text(g.StartupScript) != tt.startup || text(g.ShutdownScript) != tt.shutdown ||
				g.StartupScriptTimeout != tt.startupTime || g.ShutdownScriptTimeout != tt.shutdownTime {
				t.Fatalf("startup %q %v, shutdown %q %v", text(g.StartupScript), g.StartupScriptTimeout, text(g.ShutdownScript), g.ShutdownScriptTimeout)
			}
			again, diags := parse(t, string(Format(c)))
			if diags.HasErrors() || !again.Equal(c) {
				t.Fatalf("formatted and parsed again differs:\n%s\n%v", Format(c), diags)
			}
		})
	}
}
