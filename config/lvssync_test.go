package config

import (
	"net/netip"
	"strings"
	"testing"
)

func TestLVSSyncDaemon(t *testing.T) {
	const vi1 = "vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.1\n}\n%s}\n"
	global := func(line string) string {
		return "global_defs {\n" + line + "\n}\n" + strings.Replace(vi1, "%s", "", 1)
	}
	instance := func(line string) string { return strings.Replace(vi1, "%s", line+"\n", 1) }
	for _, tc := range []struct {
		name  string
		text  string
		want  *LVSSyncDaemon // Pos aside
		diags []string       // substrings, each of one warning, in order
	}{{
		name: "interface and instance: the sync id is the VRID",
		text: global("lvs_sync_daemon eth1 inst VI_1"),
		want: &LVSSyncDaemon{Interface: "eth1", Instance: "VI_1", SyncID: 51},
	}, {
		name: "every option",
		text: global("lvs_sync_daemon eth1 inst VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 239.0.0.81"),
		want: &LVSSyncDaemon{Interface: "eth1", Instance: "VI_1", SyncID: 7, MaxLen: 1400, Port: 8849, TTL: 2, Group: netip.MustParseAddr("239.0.0.81")},
	}, {
		name: "IPv6 group, id 0",
		text: global("lvs_sync_daemon eth1 VI_1 id 0 group ff05::81"),
		want: &LVSSyncDaemon{Interface: "eth1", Instance: "VI_1", SyncID: 0, Group: netip.MustParseAddr("ff05::81")},
	}, {
		name:  "positional instance and sync id",
		text:  global("lvs_sync_daemon eth1 VI_1 9"),
		want:  &LVSSyncDaemon{Interface: "eth1", Instance: "VI_1", SyncID: 9},
		diags: []string{`write the sync id as "id 9"`},
	}, {
		name: "no instance: sync id 0",
		text: global("lvs_sync_daemon eth1"),
		want: &LVSSyncDaemon{Interface: "eth1", SyncID: 0},
	}, {
		name:  "no interface",
		text:  global("lvs_sync_daemon"),
		diags: []string{"lvs_sync_daemon needs an interface; the LVS sync daemon is not started, as keepalived does"},
	}, {
		name:  "interface name too long",
		text:  global("lvs_sync_daemon abcdefghijklmnop inst VI_1"),
		diags: []string{`interface name "abcdefghijklmnop" is longer than 15 bytes; the LVS sync daemon is not started`},
	}, {
		name:  "unknown instance",
		text:  global("lvs_sync_daemon eth1 inst VI_9"),
		diags: []string{"lvs_sync_daemon: vrrp_instance VI_9 is not defined (did you mean 'VI_1'?); the LVS sync daemon is not started"},
	}, {
		name: "bad values are dropped, the rest kept",
		text: global("lvs_sync_daemon eth1 VI_1 x port 0 maxlen 65508 ttl 256 group 192.0.2.7 id 300 foo"),
		want: &LVSSyncDaemon{Interface: "eth1", Instance: "VI_1", SyncID: 51},
		diags: []string{
			`sync id "x" is not an integer in 0..255; the instance's virtual_router_id is the sync id`,
			`port "0" is not an integer in 1..65535; the kernel's default 8848 is used`,
			`maxlen "65508" is not an integer in 1..65507`,
			`ttl "256" is not an integer in 1..255; the kernel's default 1 is used`,
			`group 192.0.2.7 is not a multicast address; the kernel's default 224.0.0.81 is used`,
			`id "300" is not an integer in 0..255`,
			`unknown option "foo"; the option is ignored`,
		},
	}, {
		name:  "missing values",
		text:  global("lvs_sync_daemon eth1 inst VI_1 group"),
		want:  &LVSSyncDaemon{Interface: "eth1", Instance: "VI_1", SyncID: 51},
		diags: []string{"group has no value"},
	}, {
		name:  "inst after a positional instance",
		text:  global("lvs_sync_daemon eth1 VI_1 inst VI_2"),
		want:  &LVSSyncDaemon{Interface: "eth1", Instance: "VI_1", SyncID: 51},
		diags: []string{"the vrrp_instance is already VI_1; the option is ignored"},
	}, {
		name:  "given twice",
		text:  "global_defs {\nlvs_sync_daemon eth1 inst VI_1\nlvs_sync_daemon eth2\n}\n" + strings.Replace(vi1, "%s", "", 1),
		want:  &LVSSyncDaemon{Interface: "eth1", Instance: "VI_1", SyncID: 51},
		diags: []string{"lvs_sync_daemon is already set (interface eth1 at test.conf:2); this one is ignored"},
	}, {
		name:  "deprecated instance keyword: that instance, sync id 0",
		text:  instance("lvs_sync_daemon_interface eth1"),
		want:  &LVSSyncDaemon{Interface: "eth1", Instance: "VI_1", SyncID: 0},
		diags: []string{`vrrp_instance VI_1: lvs_sync_daemon_interface is deprecated; write "lvs_sync_daemon eth1 inst VI_1 id 0" in global_defs`},
	}, {
		name: "deprecated instance keyword after the global one",
		text: "global_defs {\nlvs_sync_daemon eth2\n}\n" + instance("lvs_sync_daemon_interface eth1"),
		want: &LVSSyncDaemon{Interface: "eth2", SyncID: 0},
		diags: []string{
			"lvs_sync_daemon_interface is deprecated",
			"vrrp_instance VI_1: the LVS sync daemon is already set (interface eth2 at test.conf:2); this one is ignored",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags := ParseBytes("test.conf", []byte(tc.text), Options{ConfigID: "test"})
			if diags.HasErrors() {
				t.Fatalf("errors: %v", diags)
			}
			got := cfg.Global.LVSSyncDaemon
			if !got.Equal(tc.want) {
				t.Errorf("LVSSyncDaemon = %+v, want %+v", got, tc.want)
			}
			var msgs []string
			for _, d := range diags {
				if strings.Contains(d.Msg, "lvs_sync_daemon") || strings.Contains(d.Msg, "LVS sync daemon") {
					msgs = append(msgs, d.String())
				}
			}
			if len(msgs) != len(tc.diags) {
				t.Fatalf("diagnostics %q, want %d: %q", msgs, len(tc.diags), tc.diags)
			}
			for i, want := range tc.diags {
				if !strings.Contains(msgs[i], want) {
					t.Errorf("diagnostic %d = %q, want it to contain %q", i, msgs[i], want)
				}
			}
			// Format prints it back in global_defs, with the resolved id.
			again, diags2 := ParseBytes("formatted.conf", Format(cfg), Options{ConfigID: "test"})
			if diags2.HasErrors() || !again.Equal(cfg) {
				t.Errorf("through Format: %+v, %v\n%s", again.Global.LVSSyncDaemon, diags2, Format(cfg))
			}
		})
	}
}
