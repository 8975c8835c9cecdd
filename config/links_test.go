package config

import (
	"fmt"
	"strings"
	"testing"
)

// diagsText joins the diagnostics as "LINE: severity: message" lines.
func diagsText(ds Diagnostics) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.String())
	}
	return strings.Join(s, "\n")
}

// TestInterfaceDelays reads interface_up_down_delays as keepalived 2.2.7
// does: seconds to the µs, at most 255, the up delay 0 when not given,
// invalid entries skipped, and delays reduced below
// (down_timer_adverts - 1) × advert_int of an instance on the interface.
func TestInterfaceDelays(t *testing.T) {
	tests := []struct {
		name  string
		lines string // the block's entries
		body  string // more instance keywords
		want  string // "IFNAME DOWN UP" entries
		diag  string // substring of the diagnostics; "" = none
	}{
		{"down and up", "eth0 1.5 0.5", "", "eth0 1.5 0.5", ""},
		{"up not given is 0", "eth0 1", "", "eth0 1 0", ""},
		{"microsecond resolution", "eth0 0.00001 0.0000004", "", "eth0 0.00001 0", ""},
		{"zero", "eth0 0", "", "eth0 0 0", ""},
		{"255 on an interface no instance uses", "eth1 255 255", "", "eth1 255 255", ""},
		{"above 255", "eth1 255.5", "", "", `/cfg/test.conf:2: warning: interface_up_down_delays: eth1: down delay: "255.5" is out of range 0..255 seconds; the entry is ignored, as keepalived does`},
		{"negative up delay", "eth1 1 -1", "", "", `up delay: "-1" is out of range (0 to 1e9 seconds); the entry is ignored`},
		{"not a number", "eth1 soon", "", "", `down delay: "soon" is not a number of seconds; the entry is ignored`},
		{"no delay", "eth1", "", "", "eth1 has no delay (IFNAME DOWN_DELAY [UP_DELAY]); the entry is ignored"},
		{"too many delays", "eth1 1 2 3", "", "eth1 1 2", "eth1 has too many delays; [3] ignored, as keepalived does"},
		{"an interface twice", "eth1 1\neth1 2 1", "", "eth1 2 1", "/cfg/test.conf:3: warning: interface_up_down_delays: eth1 is also given at /cfg/test.conf:2; this entry replaces it"},
		{"two interfaces", "eth0 1\neth1 0.5 0.25", "", "eth0 1 0, eth1 0.5 0.25", ""},
		{"down delay reduced below 2 × advert_int", "eth0 3 1", "", "eth0 1.996094 1",
			"eth0: delays must be below 2 × advert_int (1 s) of vrrp_instance VI_1; the down delay reduced to 1.996094 s, as keepalived does"},
		{"both reduced with down_timer_adverts 4", "eth0 3 4", "advert_int 0.5\nversion 3\ndown_timer_adverts 4", "eth0 1.498047 1.498047", "both reduced to 1.498047 s"},
		{"a delay at the bound is reduced", "eth0 1.5 2", "", "eth0 1.5 1.996094", "the up delay reduced"},
		{"down_timer_adverts 1 allows none", "eth0 1 1", "down_timer_adverts 1", "eth0 0 0", "delays cannot be used with vrrp_instance VI_1's down_timer_adverts 1; set to 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags := parse(t, "interface_up_down_delays {\n"+tc.lines+"\n}\n"+inst(tc.body))
			if diags.HasErrors() {
				t.Fatalf("errors: %v", diags.Err())
			}
			var got []string
			for _, d := range cfg.InterfaceDelays {
				got = append(got, d.Interface+" "+formatDelay(d.Down)+" "+formatDelay(d.Up))
			}
			if g := strings.Join(got, ", "); g != tc.want {
				t.Errorf("delays %q, want %q", g, tc.want)
			}
			text := diagsText(diags)
			if tc.diag == "" && text != "" || !strings.Contains(text, tc.diag) {
				t.Errorf("diagnostics:\n%s\nwant %q", text, tc.diag)
			}
			roundTrip(t, cfg)
		})
	}
}

// roundTrip checks that cfg prints to text that parses back to it.
func roundTrip(t *testing.T, cfg *Config) {
	t.Helper()
	text := Format(cfg)
	again, diags := ParseBytes("/cfg/formatted.conf", text, testOpts)
	if diags.HasErrors() {
		t.Fatalf("formatted config has errors: %v\n%s", diags.Err(), text)
	}
	if !cfg.Equal(again) {
		t.Fatalf("model changed through Format:\n%s", text)
	}
}

// TestTrackGroups checks that the instances of a track_group track, with
// weight 0, the interface of each static address (dev), route (dev) and
// rule (iif) naming the group, as keepalived 2.2.7 does.
func TestTrackGroups(t *testing.T) {
	group := "track_group TG {\n group {\n  VI_1\n }\n}\n"
	vi2 := "vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 52\n virtual_ipaddress {\n 192.0.2.11/24\n }\n}\n"
	tests := []struct {
		name string
		src  string
		want string // "INSTANCE: IFNAME ..." of the track_interface entries a group added
		diag string // substring of the diagnostics; "" = none
	}{
		{"static route dev", group + "static_routes {\n 198.51.100.0/24 via 192.0.2.254 dev eth1 track_group TG\n}\n" + inst("") + vi2,
			"VI_1: eth1/0/TG", ""},
		{"static address dev", group + "static_ipaddress {\n 203.0.113.1/24 dev eth2 track_group TG\n}\n" + inst(""),
			"VI_1: eth2/0/TG", ""},
		{"static rule iif", group + "static_rules {\n from 203.0.113.0/24 iif eth3 table 100 track_group TG\n}\n" + inst(""),
			"VI_1: eth3/0/TG", ""},
		{"track_group first on a route", group + "static_routes {\n track_group TG 198.51.100.0/24 dev eth1\n}\n" + inst(""),
			"VI_1: eth1/0/TG", ""},
		{"every member, each interface once", "track_group TG {\n group {\n  VI_1 VI_2\n }\n}\n" +
			"static_routes {\n 198.51.100.0/24 dev eth1 track_group TG\n 203.0.113.0/24 dev eth1 track_group TG\n}\n" +
			"static_rules {\n iif eth4 table 7 track_group TG\n}\n" + inst("") + vi2,
			"VI_1: eth1/0/TG eth4/0/TG; VI_2: eth1/0/TG eth4/0/TG", ""},
		{"besides the instance's own track_interface", group + "static_routes {\n 198.51.100.0/24 dev eth1 track_group TG\n}\n" +
			inst("track_interface {\n eth1 weight 10\n}"), "VI_1: eth1/10 eth1/0/TG", ""},
		{"the instance's own interface is not added", group + "static_routes {\n 198.51.100.0/24 dev eth0 track_group TG\n}\n" + inst(""), "", ""},
		{"with dont_track_primary its own interface is", group + "static_routes {\n 198.51.100.0/24 dev eth0 track_group TG\n}\n" + inst("dont_track_primary"),
			"VI_1: eth0/0/TG", ""},
		{"a route without dev tracks nothing", group + "static_routes {\n unreachable 198.51.100.0/24 track_group TG\n}\n" + inst(""), "",
			"/cfg/test.conf:7: warning: static_routes: route 198.51.100.0/24 has no interface (dev), so its removal is not tracked"},
		{"with no_track: not tracking", group + "static_ipaddress {\n 203.0.113.1/24 dev eth2 no_track track_group TG\n}\n" + inst(""), "",
			"/cfg/test.conf:7: warning: static address 203.0.113.1/24 has both track_group and no_track; it is not tracked, as keepalived does"},
		{"rule with no_track", group + "static_rules {\n iif eth3 table 100 no_track track_group TG\n}\n" + inst(""), "",
			"static rule has both track_group and no_track; it is not tracked"},
		{"an undefined group", "static_routes {\n 198.51.100.0/24 dev eth1 track_group TX\n}\n" + group + inst(""), "",
			"/cfg/test.conf:2: warning: static_routes: track_group TX is not defined before it; the track_group is ignored, as keepalived does"},
		{"a group defined after the entry", "static_routes {\n 198.51.100.0/24 dev eth1 track_group TG\n}\n" + group + inst(""), "",
			"track_group TG is not defined before it"},
		{"a misspelt group", group + "static_routes {\n 198.51.100.0/24 dev eth1 track_group TH\n}\n" + inst(""), "",
			"track_group TH is not defined before it (did you mean 'TG'?)"},
		{"an undefined member", "track_group TG {\n group {\n  VI_1 VI_9\n }\n}\nstatic_routes {\n 198.51.100.0/24 dev eth1 track_group TG\n}\n" + inst(""),
			"VI_1: eth1/0/TG", "/cfg/test.conf:1: warning: track_group TG: vrrp_instance VI_9 is not defined (did you mean 'VI_1'?); the member is ignored"},
		{"a member defined after the group", group + "static_routes {\n 198.51.100.0/24 dev eth1 track_group TG\n}\n" + vi2 + inst(""),
			"VI_1: eth1/0/TG", ""},
		{"a group defined twice", group + "track_group TG {\n group {\n  VI_2\n }\n}\nstatic_routes {\n 198.51.100.0/24 dev eth1 track_group TG\n}\n" + inst("") + vi2,
			"VI_1: eth1/0/TG", "/cfg/test.conf:6: warning: track_group TG is already defined at /cfg/test.conf:1; the track_group is ignored"},
		{"a group without a name", "track_group {\n group {\n  VI_1\n }\n}\n" + inst(""), "", "track_group must have one name, have 0 words; the track_group is ignored"},
		{"a second group list", "track_group TG {\n group {\n  VI_1\n }\n group {\n  VI_2\n }\n}\nstatic_routes {\n 198.51.100.0/24 dev eth1 track_group TG\n}\n" + inst("") + vi2,
			"VI_1: eth1/0/TG", "track_group TG: group list already given; this list is ignored"},
		{"an empty group", "track_group TG {\n}\n" + inst(""), "", "track_group TG has no vrrp_instance (add group { INSTANCE ... }); it tracks nothing"},
		{"a duplicate track_group on an entry", group + "track_group TH {\n group {\n  VI_2\n }\n}\nstatic_routes {\n 198.51.100.0/24 dev eth1 track_group TG track_group TH\n}\n" + inst("") + vi2,
			"VI_1: eth1/0/TG", "track_group TH is a duplicate; ignored"},
		{"track_group without a name", group + "static_routes {\n 198.51.100.0/24 dev eth1 track_group\n}\n" + inst(""), "",
			"static_routes: track_group needs a group name; the entry is ignored"},
		{"nothing but a track_group", group + "static_rules {\n track_group TG\n}\n" + inst(""), "",
			"static_rules: the entry has nothing but a track_group; the entry is ignored"},
		{"not in virtual_ipaddress", group + inst("virtual_ipaddress {\n 192.0.2.20/24 dev eth1 track_group TG\n}"), "",
			`unknown option "track_group"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags := parse(t, tc.src)
			var got []string
			for _, in := range cfg.Instances {
				var ifs []string
				for _, ti := range in.Track.Interfaces {
					s := fmt.Sprintf("%s/%d", ti.Name, ti.Weight)
					if ti.TrackGroup != "" {
						s += "/" + ti.TrackGroup
					}
					ifs = append(ifs, s)
				}
				if len(ifs) > 0 {
					got = append(got, in.Name+": "+strings.Join(ifs, " "))
				}
			}
			if g := strings.Join(got, "; "); g != tc.want {
				t.Errorf("tracked %q, want %q", g, tc.want)
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

// TestTrackGroupFormat checks that Format prints the track_group before the
// static entries naming it and not the track_interface entries it adds.
func TestTrackGroupFormat(t *testing.T) {
	cfg, diags := parse(t, "static_routes {\n 192.0.2.0/24 dev eth0\n}\ntrack_group TG {\n group {\n  VI_1\n }\n}\n"+
		"static_routes {\n 198.51.100.0/24 dev eth1 track_group TG\n}\nstatic_ipaddress {\n 203.0.113.1/24 dev eth2 track_group TG\n}\n"+
		"interface_up_down_delays {\n eth1 1 0.5\n}\n"+inst(""))
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	text := string(Format(cfg))
	for _, want := range []string{
		"interface_up_down_delays {\n\teth1 1 0.5\n}\n\ntrack_group TG {\n\tgroup {\n\t\tVI_1\n\t}\n}\n\nstatic_ipaddress {\n\t203.0.113.1/24 dev eth2 track_group TG\n}\n",
		"\t198.51.100.0/24 dev eth1 track_group TG\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("formatted config lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "track_interface") {
		t.Errorf("formatted config prints the track_group's trackers:\n%s", text)
	}
	roundTrip(t, cfg)
}

// FuzzLinkSections parses interface_up_down_delays, track_group and static
// entries naming groups; a config without errors must print to text that
// parses back, without errors, to an Equal model.
func FuzzLinkSections(f *testing.F) {
	for _, s := range []string{
		"interface_up_down_delays {\neth0 1.5 0.5\neth1 0.00001\n}\n",
		"track_group G {\ngroup {\nV W\n}\n}\nstatic_routes {\n198.51.100.0/24 dev e track_group G\n}\nstatic_rules {\niif f table 1 track_group G\n}\n",
		"track_group G { group { V } }\nstatic_ipaddress {\n203.0.113.1/24 dev e track_group G no_track\n}\nvrrp_instance V { interface e\nvirtual_router_id 1\nadvert_int 0.5\n}\n",
		"interface_up_down_delays { e 9 9 }\nvrrp_instance V { interface e\nvirtual_router_id 1\ndown_timer_adverts 2\n}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !fuzzable(data) {
			return
		}
		cfg, diags := ParseBytes("fuzz.conf", data, fuzzOpts)
		if diags.HasErrors() {
			return
		}
		text := Format(cfg)
		again, diags2 := ParseBytes("formatted.conf", text, fuzzOpts)
		if diags2.HasErrors() {
			t.Fatalf("formatted config has errors:\n%v\ninput:\n%s\nformatted:\n%s", diags2.Err(), data, text)
		}
		if !cfg.Equal(again) {
			t.Fatalf("model changed through Format\ninput:\n%s\nformatted:\n%s", data, text)
		}
	})
}
