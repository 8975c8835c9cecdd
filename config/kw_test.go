package config

import (
	"strings"
	"testing"
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
