package config

import (
	"strings"
	"testing"
)

// TestLinkBeat reads linkbeat_interfaces and the two linkbeat_use_polling
// keywords as keepalived 2.2.7 does (its warnings checked with
// keepalived -t): an unknown polling type or extra words warn and the
// interface is polled all the same, a later entry replaces an earlier one,
// and linkbeat_use_polling counts at the top level and in an instance, not
// in global_defs.
func TestLinkBeat(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		want     string // "IFNAME[/METHOD]" entries
		polling  bool   // the top-level linkbeat_use_polling
		instance bool   // VI_1's linkbeat_use_polling
		diag     string // substring of the diagnostics; "" = none
	}{
		{"interface", "linkbeat_interfaces {\neth0\n}\n", "eth0", false, false, ""},
		{"one line", "linkbeat_interfaces { eth0 }\n", "eth0", false, false, ""},
		{"methods", "linkbeat_interfaces {\neth0 MII\neth1 ETHTOOL\neth2 IOCTL\n}\n", "eth0/MII eth1/ETHTOOL eth2/IOCTL", false, false, ""},
		{"unknown method", "linkbeat_interfaces {\neth0 FOO\n}\n", "eth0", false, false,
			`/cfg/test.conf:2: warning: linkbeat_interfaces: eth0: unknown polling type "FOO" (MII, ETHTOOL or IOCTL); MII, else ETHTOOL, else IOCTL is used, as keepalived does`},
		{"methods are upper case", "linkbeat_interfaces {\neth0 mii\n}\n", "eth0", false, false, `unknown polling type "mii"`},
		{"extra words", "linkbeat_interfaces {\neth0 ETHTOOL now\n}\n", "eth0/ETHTOOL", false, false,
			"linkbeat_interfaces: eth0: extra words [now] ignored, as keepalived does"},
		{"an interface twice", "linkbeat_interfaces {\neth0 MII\neth0\n}\n", "eth0", false, false,
			"/cfg/test.conf:3: warning: linkbeat_interfaces: eth0 is also given at /cfg/test.conf:2; this entry replaces it"},
		{"header arguments", "linkbeat_interfaces all {\neth0\n}\n", "eth0", false, false, "linkbeat_interfaces takes no arguments; [all] ignored"},
		{"no block", "linkbeat_interfaces\n", "", false, false, "missing '{' after linkbeat_interfaces"},
		{"entry with a block", "linkbeat_interfaces {\neth0 {\n}\n}\n", "", false, false, "linkbeat_interfaces entry eth0 does not take a '{' block"},
		{"top-level polling", "linkbeat_use_polling\n", "", true, false, ""},
		{"top-level polling with words", "linkbeat_use_polling yes\n", "", true, false, "linkbeat_use_polling takes no arguments; [yes] ignored, as keepalived does"},
		{"polling in global_defs is ignored", "global_defs {\nlinkbeat_use_polling\n}\n", "", false, false,
			"linkbeat_use_polling is a top-level keyword, unknown in global_defs: ignored, as keepalived does"},
		{"instance polling", "", "", false, true, "(VI_1) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := ""
			if tc.instance {
				body = "linkbeat_use_polling"
			}
			cfg, diags := parse(t, tc.src+inst(body))
			var got []string
			for _, l := range cfg.LinkBeat {
				got = append(got, strings.TrimSuffix(l.Name+"/"+l.Method, "/"))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("linkbeat_interfaces %q, want %q", g, tc.want)
			}
			if cfg.LinkBeatUsePolling != tc.polling || cfg.Instances[0].LinkBeatUsePolling != tc.instance {
				t.Errorf("linkbeat_use_polling: top level %v, instance %v; want %v, %v",
					cfg.LinkBeatUsePolling, cfg.Instances[0].LinkBeatUsePolling, tc.polling, tc.instance)
			}
			text := diagsText(diags)
			if tc.diag == "" && text != "" || !strings.Contains(text, tc.diag) {
				t.Errorf("diagnostics:\n%s\nwant %q", text, tc.diag)
			}
			if !diags.HasErrors() {
				roundTrip(t, cfg)
			}
		})
	}
}
