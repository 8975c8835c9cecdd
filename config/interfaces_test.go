package config

import (
	"strings"
	"testing"
)

// TestCheckInterfaces: a missing interface is reported once, at the line
// that names it, in each place keepalived 2.2.7 reports it (keepalived -t
// in a network namespace with eth0 only).
func TestCheckInterfaces(t *testing.T) {
	trackGroup := "track_group TG {\n group {\n  VI_1\n  VI_2\n }\n}\n"
	vi2 := "vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 52\n virtual_ipaddress {\n 192.0.2.11/24\n }\n}\n"
	tests := []struct {
		name string
		src  string
		want []string // "LINE: MESSAGE"
	}{
		{"every interface exists", "linkbeat_interfaces {\n eth0\n}\ninterface_up_down_delays {\n eth0 1\n}\n" +
			inst("virtual_rules {\nfrom 192.0.2.1 table 100 iif eth0 oif eth0\n}"), nil},
		{"linkbeat_interfaces", "linkbeat_interfaces {\n eth9\n eth0 MII\n eth8 IOCTL\n}\n" + inst(""), []string{
			"2: linkbeat_interfaces: interface eth9 does not exist on this host; keepalived ignores the entry (unknown interface eth9 specified for linkbeat interface)",
			"4: linkbeat_interfaces: interface eth8 does not exist on this host; keepalived ignores the entry (unknown interface eth8 specified for linkbeat interface)",
		}},
		{"interface_up_down_delays", "interface_up_down_delays {\n eth0 1\n eth9 2 1\n}\n" + inst(""), []string{
			"3: interface_up_down_delays: interface eth9 does not exist on this host; keepalived ignores the entry (unknown interface eth9 specified for up/down delay)",
		}},
		{"static rules iif and oif", "static_rules {\n from 192.0.2.1 table 100 iif eth9\n from 192.0.2.2 table 100 oif eth8\n from 192.0.2.3 table 100 iif eth0\n}\n" + inst(""), []string{
			"2: interface eth9 for static rule does not exist on this host",
			"3: interface eth8 for static rule does not exist on this host",
		}},
		{"virtual rules iif and oif", inst("virtual_rules {\nfrom 192.0.2.1 table 100 iif eth9 oif eth8\n}"), []string{
			"8: interface eth9 for rule of vrrp_instance VI_1 does not exist on this host",
			"8: interface eth8 for rule of vrrp_instance VI_1 does not exist on this host",
		}},
		{"track_group statics: one warning per entry", trackGroup +
			"static_ipaddress {\n 192.0.2.50/24 dev eth9 track_group TG\n}\n" +
			"static_routes {\n 198.51.100.0/24 dev eth8 track_group TG\n}\n" +
			"static_rules {\n from 192.0.2.1 table 100 iif eth7 track_group TG\n}\n" + inst("") + vi2, []string{
			"8: interface eth9 for static address 192.0.2.50/24 does not exist on this host",
			"11: interface eth8 for static route 198.51.100.0/24 does not exist on this host",
			"14: interface eth7 for static rule does not exist on this host",
		}},
		{"track_interface beside a track_group entry on the same interface", trackGroup +
			"static_ipaddress {\n 192.0.2.50/24 dev eth9 track_group TG\n}\n" +
			inst("track_interface {\neth9\n}") + vi2, []string{
			"8: interface eth9 for static address 192.0.2.50/24 does not exist on this host",
			"17: interface eth9 for track_interface of vrrp_instance VI_1 does not exist on this host",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOpts
			opts.InterfaceExists = func(name string) bool { return name == "eth0" }
			_, diags := ParseBytes("/cfg/test.conf", []byte(tc.src), opts)
			var got []string
			for _, d := range diags {
				if strings.Contains(d.Msg, "interface") && strings.Contains(d.Msg, "exist") {
					got = append(got, strings.TrimPrefix(d.Pos.String(), "/cfg/test.conf:")+": "+d.Msg)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
