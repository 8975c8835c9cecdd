package engine

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/track"
	"github.com/havip/havip/runtime/vrrp"
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
	// Config validation refuses this within one file; the engine checks
	// again whatever it is handed.
	clash := planned(t, "vrrp_instance VI_3 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    192.0.2.102\n  }\n}\n")
	err := checkVRIDs(append(planned(t, twoInstances), clash...))
	if err == nil || !strings.Contains(err.Error(), "vrrp_instance VI_3 (test.conf:1): VRID 51 is already used on eth0/IPv4 by vrrp_instance VI_1") {
		t.Fatalf("err = %v, want the VRID clash named", err)
	}
	if err := checkVRIDs(planned(t, twoInstances)); err != nil {
		t.Fatal(err)
	}
}

func TestReplayed(t *testing.T) {
	toBackup := vrrp.Transition{From: vrrp.StateInit, To: vrrp.StateBackup, Reason: "startup"}
	toFault := vrrp.Transition{From: vrrp.StateInit, To: vrrp.StateFault, Reason: "startup in fault"}
	toMaster := vrrp.Transition{From: vrrp.StateInit, To: vrrp.StateMaster, Reason: "address owner"}
	for _, tc := range []struct {
		name  string
		acts  []vrrp.Action
		state vrrp.State
		want  string
	}{
		{"backup stays backup: nothing to do", []vrrp.Action{toBackup}, vrrp.StateBackup, "[]"},
		{"fault stays fault", []vrrp.Action{toFault}, vrrp.StateFault, "[]"},
		{"a new fault leaves backup", []vrrp.Action{toFault}, vrrp.StateBackup, "[BACKUP -> FAULT (startup in fault)]"},
		{"fault cleared by the new config", []vrrp.Action{toBackup}, vrrp.StateFault, "[FAULT -> BACKUP (startup)]"},
		{"now the address owner: the master path is carried out",
			[]vrrp.Action{vrrp.SendAdvert{Priority: 255}, vrrp.AddVIPs{}, vrrp.Announce{Repeat: 5}, toMaster}, vrrp.StateBackup,
			"[" + vrrp.SendAdvert{Priority: 255}.String() + " " + vrrp.AddVIPs{}.String() + " " + vrrp.Announce{Repeat: 5}.String() +
				" BACKUP -> MASTER (address owner)]"},
		{"a sync-group request passes", []vrrp.Action{toBackup, vrrp.RequestMaster{Reason: "x"}}, vrrp.StateBackup,
			"[" + vrrp.RequestMaster{Reason: "x"}.String() + "]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := replayed(tc.acts, tc.state)
			s := make([]string, len(got))
			for i, a := range got {
				if tr, ok := a.(vrrp.Transition); ok {
					s[i] = fmt.Sprintf("%s -> %s (%s)", tr.From, tr.To, tr.Reason)
				} else {
					s[i] = a.String()
				}
			}
			if str := "[" + strings.Join(s, " ") + "]"; str != tc.want {
				t.Errorf("got %s\nwant %s", str, tc.want)
			}
		})
	}
}

// TestReplayMasterIsQuiet: a machine replayed into MASTER advertises on its
// interval from now, and sends no GARP burst (neither the first nor the
// delayed second one) unless a refresh is configured.
func TestReplayMasterIsQuiet(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		name     string
		base     uint8 // configured priority
		priority uint8 // effective priority handed to the replay
		garp     vrrp.GarpConfig
		want     string // GARP/NA activity over the next 12 s
	}{
		{"default GARP", 100, 150, vrrp.DefaultGarpConfig(), "adverts only"},
		{"address owner", 255, 255, vrrp.DefaultGarpConfig(), "adverts only"},
		{"refresh every 10 s", 100, 150,
			vrrp.GarpConfig{MasterRepeat: 5, MasterDelay: 5 * time.Second, MasterRefresh: 10 * time.Second, RefreshRepeat: 1},
			"announce at 10s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := vrrp.New(vrrp.Config{Name: "VI_1", VRID: 51, Version: 2, Priority: tc.base, AdvertInterval: time.Second,
				Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.100")}, Garp: tc.garp}, netip.MustParseAddr("192.0.2.1"))
			if err != nil {
				t.Fatal(err)
			}
			replayMaster(m, now, tc.priority, "reload")
			if m.State() != vrrp.StateMaster || m.Priority() != tc.priority {
				t.Fatalf("state %s priority %d, want MASTER %d", m.State(), m.Priority(), tc.priority)
			}
			if d := m.NextDeadline(); !d.Equal(now.Add(time.Second)) {
				t.Fatalf("next deadline %v after now, want the advert interval", d.Sub(now))
			}
			got := "adverts only"
			for at := now.Add(time.Second); !at.After(now.Add(12 * time.Second)); at = at.Add(time.Second) {
				for _, a := range m.Expire(at) {
					switch a.(type) {
					case vrrp.SendAdvert:
					case vrrp.Announce:
						got = fmt.Sprintf("announce at %v", at.Sub(now))
					default:
						t.Fatalf("unexpected action %s at %v", a, at.Sub(now))
					}
				}
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
