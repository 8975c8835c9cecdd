package engine

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/track"
)

// twoInstances is the running config of the diff tests: VI_1 and VI_2 on eth0.
const twoInstances = `
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.100/24
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority 100
  virtual_ipaddress {
    192.0.2.101/24
  }
}
`

// planned builds the engine's instances of a config text, tracker
// references included, without opening anything.
func planned(t *testing.T, text string) []*instance {
	t.Helper()
	cfg, diags := config.ParseBytes("test.conf", []byte(text), config.Options{ConfigID: "test"})
	if diags.HasErrors() {
		t.Fatalf("config errors: %v", diags.Err())
	}
	var insts []*instance
	for _, ci := range cfg.Instances {
		inst, err := newInstance(ci, &cfg.Global)
		if err != nil {
			t.Fatal(err)
		}
		insts = append(insts, inst)
	}
	e := &Engine{log: slog.New(slog.DiscardHandler), trackers: map[track.Key]*trackerRun{}}
	if _, err := e.planTracking(cfg, insts); err != nil {
		t.Fatal(err)
	}
	return insts
}

func names(insts []*instance) string {
	s := make([]string, len(insts))
	for i, inst := range insts {
		s[i] = inst.name
	}
	return strings.Join(s, ",")
}

func pairNames(pairs []instancePair) string {
	s := make([]string, len(pairs))
	for i, p := range pairs {
		s[i] = p.new.name
	}
	return strings.Join(s, ",")
}

func TestDiffInstances(t *testing.T) {
	vi2 := func(body string) string {
		return strings.Replace(twoInstances, "  virtual_router_id 52\n  priority 100\n", body, 1)
	}
	for _, tc := range []struct {
		name string
		next string
		want string // unchanged | changed | added | removed
	}{
		{"same text", twoInstances, "VI_1,VI_2 |  |  | "},
		{"moved by comments only", "# a comment\n\n" + twoInstances, "VI_1,VI_2 |  |  | "},
		{"added", twoInstances + "vrrp_instance VI_3 {\n  interface eth0\n  virtual_router_id 53\n  virtual_ipaddress {\n    192.0.2.102/24\n  }\n}\n",
			"VI_1,VI_2 |  | VI_3 | "},
		{"removed", twoInstances[:strings.Index(twoInstances, "vrrp_instance VI_2")], "VI_1 |  |  | VI_2"},
		{"changed priority", vi2("  virtual_router_id 52\n  priority 150\n"), "VI_1 | VI_2 |  | "},
		{"changed VIPs", strings.Replace(twoInstances, "192.0.2.101/24", "192.0.2.101/24\n    192.0.2.111/24", 1), "VI_1 | VI_2 |  | "},
		{"changed advert_int", vi2("  virtual_router_id 52\n  priority 100\n  advert_int 2\n"), "VI_1 | VI_2 |  | "},
		{"renamed: same key, so changed", strings.Replace(twoInstances, "VI_2", "VI_X", 1), "VI_1 | VI_X |  | "},
		{"changed interface is remove + add", strings.Replace(twoInstances, "eth0\n  virtual_router_id 52", "eth1\n  virtual_router_id 52", 1),
			"VI_1 |  | VI_2 | VI_2"},
		{"changed VRID is remove + add", vi2("  virtual_router_id 62\n  priority 100\n"), "VI_1 |  | VI_2 | VI_2"},
		{"new tracker reference", vi2("  virtual_router_id 52\n  priority 100\n  track_interface {\n    eth1 weight 10\n  }\n"),
			"VI_1 | VI_2 |  | "},
		{"global GARP setting changes both", "global_defs {\n  vrrp_garp_master_repeat 2\n}\n" + twoInstances, " | VI_1,VI_2 |  | "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := diffInstances(planned(t, twoInstances), planned(t, tc.next))
			got := fmt.Sprintf("%s | %s | %s | %s", pairNames(d.unchanged), pairNames(d.changed), names(d.added), names(d.removed))
			if got != tc.want {
				t.Errorf("unchanged | changed | added | removed:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestCheckVRIDs(t *testing.T) {
	instance := func(name, body string) string {
		return "vrrp_instance " + name + " {\n  interface eth0\n  virtual_router_id 51\n" + body + "  virtual_ipaddress {\n    192.0.2.102\n  }\n}\n"
	}
	for _, tc := range []struct {
		name, a, b string
		clash      bool
	}{
		{"one multicast group", "", "", true},
		{"different multicast groups", "", "  mcast_dst_ip 224.0.0.19\n", false},
		{"multicast and unicast", "", "  unicast_peer {\n    192.0.2.2\n  }\n", false},
		{"disjoint unicast peers", "  unicast_peer {\n    192.0.2.2\n  }\n", "  unicast_peer {\n    192.0.2.3\n  }\n", false},
		{"a common unicast peer", "  unicast_peer {\n    192.0.2.2\n    192.0.2.4\n  }\n", "  unicast_peer {\n    192.0.2.3\n    192.0.2.4\n  }\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// planned parses each instance alone: config validation would
			// refuse a clash within one file, the engine checks again.
			insts := append(planned(t, instance("VI_1", tc.a)), planned(t, instance("VI_3", tc.b))...)
			err := checkVRIDs(insts)
			switch {
			case tc.clash && (err == nil || !strings.Contains(err.Error(), "vrrp_instance VI_3 (test.conf:1): VRID 51 is already used on eth0/IPv4 by vrrp_instance VI_1")):
				t.Fatalf("err = %v, want the VRID clash named", err)
			case !tc.clash && err != nil:
				t.Fatal(err)
			}
		})
	}
}
