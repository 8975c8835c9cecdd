package engine

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/track"
)

// refsOf describes inst's interface references: "NAME/WEIGHT", "r" added
// for reverse, in order.
func refsOf(inst *instance) string {
	var s []string
	for _, r := range inst.refs {
		if r.Key.Kind != track.KindInterface {
			continue
		}
		d := fmt.Sprintf("%s/%d", r.Key.Name, r.Weight)
		if r.Reverse {
			d += "r"
		}
		s = append(s, d)
	}
	return strings.Join(s, " ")
}

// TestEntryInterfaceRefs: an instance tracks, with weight 0, the interface
// of each VIP and eVIP, the dev of each virtual route and the iif and oif
// of each virtual rule, unless no_track, as keepalived 2.2.7 does; not its
// own interface (the link watcher follows it), unless dont_track_primary
// and a route or rule is on it; one reference per interface, replacing a
// weighted track_interface of it.
func TestEntryInterfaceRefs(t *testing.T) {
	block := func(keyword string, lines ...string) string {
		return keyword + " {\n" + strings.Join(lines, "\n") + "\n}"
	}
	tests := []struct {
		name string
		conf string
		want string // refsOf each instance, "; " between
	}{
		{"VIP on the instance's interface", vi("VI_1", 51, 100, "192.0.2.100,192.0.2.101 dev eth0"), ""},
		{"VIP on another interface", vi("VI_1", 51, 100, "192.0.2.100,198.51.100.1/24 dev eth1"), "eth1/0"},
		{"no_track VIP", vi("VI_1", 51, 100, "192.0.2.100,198.51.100.1/24 dev eth1 no_track"), ""},
		{"eVIPs, two on one interface", vi("VI_1", 51, 100, "192.0.2.100",
			block("virtual_ipaddress_excluded", "198.51.100.1/24 dev eth2", "198.51.100.2/24 dev eth2", "198.51.100.3/24 dev eth3")), "eth2/0 eth3/0"},
		{"virtual routes", vi("VI_1", 51, 100, "192.0.2.100", block("virtual_routes",
			"203.0.113.0/24 via 198.51.100.254 dev eth1", "203.0.113.128/25 dev eth2 no_track", "198.51.100.0/24 via 192.0.2.254",
			"192.0.2.128/25 dev eth0")), "eth1/0"},
		{"virtual rules: iif and oif", vi("VI_1", 51, 100, "192.0.2.100", block("virtual_rules",
			"from 192.0.2.1 table 100 iif eth4 oif eth5", "from 192.0.2.2 table 101 iif eth6 no_track", "from 192.0.2.3 table 102")), "eth4/0 eth5/0"},
		{"dont_track_primary: a VIP on the interface is not tracked, a route or rule on it is",
			vi("VI_1", 51, 100, "192.0.2.100 dev eth0", "dont_track_primary") +
				vi("VI_2", 52, 100, "192.0.2.101", "dont_track_primary", block("virtual_routes", "198.51.100.0/24 dev eth0")) +
				vi("VI_3", 53, 100, "192.0.2.102", "dont_track_primary", block("virtual_rules", "from 192.0.2.3 table 100 oif eth0")),
			"; eth0/0; eth0/0"},
		{"a weighted track_interface of the interface loses its weight",
			vi("VI_1", 51, 100, "192.0.2.100,198.51.100.1/24 dev eth1", block("track_interface", "eth1 weight -10", "eth2 weight 5")),
			"eth1/0 eth2/5"},
		{"a weight-0 track_interface of the interface stands, reverse or not",
			vi("VI_1", 51, 100, "192.0.2.100,198.51.100.1/24 dev eth1,198.51.100.2/24 dev eth2", block("track_interface", "eth1", "eth2 weight 0 reverse")),
			"eth1/0 eth2/0r"},
		{"a sync group's track_interface of the interface merges into the instance's",
			"vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n " + block("track_interface", "eth1 weight 10") + "\n sync_group_tracking_weight\n}\n" +
				vi("VI_1", 51, 100, "192.0.2.100,198.51.100.1/24 dev eth1") + vi("VI_2", 52, 100, "192.0.2.101"),
			"eth1/0; eth1/10"},
		{"use_vmac: the interface's VIPs move to the VMAC", vi("VI_1", 51, 100, "192.0.2.100 dev eth0,198.51.100.1/24 dev eth1", "use_vmac"), "eth1/0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.conf)
			var got []string
			for _, inst := range r.e.instances {
				got = append(got, refsOf(inst))
			}
			if g := strings.Join(got, "; "); g != tc.want {
				t.Errorf("refs %q, want %q", g, tc.want)
			}
		})
	}
}

// TestEntryInterfaceFault runs, on the fake host and clock, instances with
// VIPs, routes and rules on other interfaces: the tracked ones go to FAULT
// (their sync group with them) while the interface is down, as keepalived
// 2.2.7 does, with a reason naming the interface and the entry; no_track
// ones stay MASTER; a weighted track_interface of the interface only holds
// it in FAULT; the interface_up_down_delays of the interface apply.
func TestEntryInterfaceFault(t *testing.T) {
	group := "vrrp_sync_group G {\n group {\n  VI_3\n  VI_4\n }\n}\n"
	master := []linkStep{{event: "eth0 up"}, {wait: 4 * time.Second}}
	tests := []struct {
		name  string
		conf  string
		steps []linkStep
		fault string // VI_1's FAULT reasons after the steps, "" for none
	}{
		{"VIP dev eth1, and no_track", vi("VI_1", 51, 100, "192.0.2.100,198.51.100.1/24 dev eth1") +
			vi("VI_2", 52, 100, "192.0.2.101,198.51.100.2/24 dev eth1 no_track"), []linkStep{
			{want: "VI_1=MASTER VI_2=MASTER"},
			{event: "track eth1 down", want: "VI_1=FAULT VI_2=MASTER"},
		}, `tracker: interface "eth1" down: FAULT (the interface of virtual_ipaddress 198.51.100.1/24)`},
		{"back up", vi("VI_1", 51, 100, "192.0.2.100,198.51.100.1/24 dev eth1") +
			vi("VI_2", 52, 100, "192.0.2.101,198.51.100.2/24 dev eth1 no_track"), []linkStep{
			{event: "track eth1 down", want: "VI_1=FAULT VI_2=MASTER"},
			{event: "track eth1 up", want: "VI_1=BACKUP VI_2=MASTER"},
			{wait: 4 * time.Second, want: "VI_1=MASTER VI_2=MASTER"},
		}, ""},
		{"sync group", group + vi("VI_1", 51, 100, "192.0.2.100") + vi("VI_3", 53, 100, "192.0.2.103",
			"virtual_routes {\n  203.0.113.0/24 via 198.51.100.254 dev eth2\n}") + vi("VI_4", 54, 100, "192.0.2.104"), []linkStep{
			{event: "track eth2 down", want: "VI_1=MASTER VI_3=FAULT VI_4=FAULT"},
			{event: "track eth2 up", want: "VI_1=MASTER VI_3=BACKUP VI_4=BACKUP"},
		}, ""},
		{"virtual rule oif", vi("VI_1", 51, 100, "192.0.2.100", "virtual_rules {\n  from 192.0.2.1 table 100 oif eth3\n}"), []linkStep{
			{event: "track eth3 down", want: "VI_1=FAULT"},
		}, `tracker: interface "eth3" down: FAULT (the interface of virtual_rules from 192.0.2.1/32 oif eth3 table 100)`},
		{"weighted track_interface of a VIP's interface", vi("VI_1", 51, 100, "192.0.2.100,198.51.100.1/24 dev eth1",
			"track_interface {\n  eth1 weight 20\n}"), []linkStep{
			{event: "track eth1 down", want: "VI_1=FAULT"},
		}, `tracker: interface "eth1" down: FAULT (the interface of virtual_ipaddress 198.51.100.1/24)`},
		{"interface_up_down_delays", "interface_up_down_delays {\n eth1 2 1\n}\n" + vi("VI_1", 51, 100, "192.0.2.100,198.51.100.1/24 dev eth1"), []linkStep{
			{event: "track eth1 down", want: "VI_1=MASTER"},
			{wait: 1900 * time.Millisecond, want: "VI_1=MASTER"},
			{wait: 200 * time.Millisecond, want: "VI_1=FAULT"},
			{event: "track eth1 up", want: "VI_1=FAULT"},
			{wait: 1100 * time.Millisecond, want: "VI_1=BACKUP"},
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.conf).start()
			defer r.stop()
			for i, s := range append(slices.Clone(master), tc.steps...) {
				r.do(t, i, s, "")
			}
			if got := strings.Join(r.e.snapshot().Instances[0].Faults, "; "); got != tc.fault {
				t.Errorf("VI_1's faults %q, want %q", got, tc.fault)
			}
		})
	}
}

// TestEntryInterfaceReload: a reload that adds a VIP on another interface
// tracks it from its state as the host reports it (a MASTER stays MASTER
// while it is up; an instance goes to FAULT at once while it is down), one
// that moves it tracks the new interface and not the old, one that removes
// it or makes it no_track untracks it and takes the instance out of its
// FAULT.
func TestEntryInterfaceReload(t *testing.T) {
	conf := func(vips string) string { return vi("VI_1", 51, 100, vips) }
	host := &downHost{fakeHost: newFakeHost(), down: map[string]bool{"eth2": true}}
	r := &rig{t: t, host: host.fakeHost, clock: newFakeClock()}
	e, err := NewWithOptions(parseConfig(t, conf("192.0.2.100")), Options{Log: slog.New(slog.DiscardHandler), Host: host, Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	r.e = e
	r.start()
	defer r.stop()
	for i, s := range []struct {
		wait   time.Duration
		reload string // "" for none
		event  string
		want   string
		keys   []string // the interface trackers, with a result each
	}{
		{0, "", "eth0 up", "", nil},
		{4 * time.Second, "", "", "VI_1=MASTER", nil},
		{0, conf("192.0.2.100,198.51.100.1/24 dev eth1"), "", "VI_1=MASTER", []string{"eth1"}},
		{0, "", "track eth1 down", "VI_1=FAULT", []string{"eth1"}},
		{0, conf("192.0.2.100,198.51.100.1/24 dev eth2"), "", "VI_1=FAULT", []string{"eth2"}},
		{0, "", "track eth2 up", "VI_1=BACKUP", []string{"eth2"}},
		{4 * time.Second, "", "", "VI_1=MASTER", []string{"eth2"}},
		{0, "", "track eth2 down", "VI_1=FAULT", []string{"eth2"}},
		{0, conf("192.0.2.100,198.51.100.1/24 dev eth2 no_track"), "", "VI_1=BACKUP", nil},
		{0, conf("192.0.2.100,198.51.100.1/24 dev eth2"), "", "VI_1=FAULT", []string{"eth2"}},
		{0, conf("192.0.2.100"), "", "VI_1=BACKUP", nil},
	} {
		r.step(s.wait)
		if s.reload != "" {
			if err := r.e.reload(parseConfig(t, s.reload)); err != nil {
				t.Fatalf("step %d: reload: %v", i, err)
			}
		}
		r.do(t, i, linkStep{event: s.event, want: s.want}, "")
		var keys []string
		for key := range r.e.trackers {
			if _, ok := r.e.results[key]; ok {
				keys = append(keys, key.Name)
			}
		}
		slices.Sort(keys)
		if !slices.Equal(keys, s.keys) || len(r.e.trackers) != len(keys) {
			t.Fatalf("step %d: %d trackers, with results %q; want %q", i, len(r.e.trackers), keys, s.keys)
		}
	}
}

// TestEntryInterfaceSeed: a tracked VIP's interface down when the config
// is applied holds the instance in FAULT from the start, without waiting
// for its tracker.
func TestEntryInterfaceSeed(t *testing.T) {
	host := &downHost{fakeHost: newFakeHost(), down: map[string]bool{"eth1": true}}
	e, err := NewWithOptions(parseConfig(t, vi("VI_1", 51, 100, "192.0.2.100,198.51.100.1/24 dev eth1")+vi("VI_2", 52, 100, "192.0.2.101")),
		Options{Log: slog.New(slog.DiscardHandler), Host: host, Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	e.begin()
	defer func() { e.stop(); e.close() }()
	st := e.snapshot().Instances
	if st[0].State != "FAULT" || st[1].State != "BACKUP" || !strings.Contains(strings.Join(st[0].Faults, ""), `interface "eth1" down`) {
		t.Fatalf("states %s %s, VI_1's faults %q; want VI_1 in FAULT for eth1", st[0].State, st[1].State, st[0].Faults)
	}
}

// downHost is a fakeHost whose LinkUp reports the interfaces in down down.
type downHost struct {
	*fakeHost
	down map[string]bool
}

func (h *downHost) LinkUp(name string) (bool, error) { return !h.down[name], nil }

// TestRunEntryInterfaceLinkBeat runs instances whose VIP interfaces are
// polled (linkbeat_interfaces): eth1, another instance's interface too, is
// polled by one poller, whose reads reach both (logged once); eth2, a
// VIP's interface only, is polled, not watched with netlink.
func TestRunEntryInterfaceLinkBeat(t *testing.T) {
	host, clock, log := newFakeHost(), newFakeClock(), newLogLines()
	conf := "linkbeat_interfaces {\n  eth1\n  eth2\n}\n" +
		vi("VI_1", 51, 100, "192.0.2.100,198.51.100.1/24 dev eth1,198.51.100.2/24 dev eth2") +
		strings.Replace(vi("VI_2", 52, 100, "198.51.100.3/24"), "eth0", "eth1", 1)
	e := runPolled(t, conf, host, clock, log)
	waitFor(t, e, "BACKUP at start", stateIs("BACKUP", "BACKUP"))
	clock.set(clock.Now().Add(4 * time.Second))
	waitFor(t, e, "MASTER", stateIs("MASTER", "MASTER"))
	deadline := time.Now().Add(10 * time.Second)
	for log.count("linkbeat: polling the link interface=eth1") == 0 || log.count("linkbeat: polling the link interface=eth2") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("eth1 and eth2 not polled; log:\n%s", log.all())
		}
		time.Sleep(time.Millisecond)
	}
	setLink := func(name string, up bool) {
		host.mu.Lock()
		defer host.mu.Unlock()
		host.linkBeat[name] = netif.LinkEvent{Name: name, Index: 2, Up: up}
	}
	setLink("eth1", false)
	waitFor(t, e, "both in FAULT when the poll reads eth1 down", stateIs("FAULT", "FAULT"))
	setLink("eth1", true)
	waitFor(t, e, "both BACKUP when the poll reads eth1 up", stateIs("BACKUP", "BACKUP"))
	setLink("eth2", false)
	waitFor(t, e, "VI_1 in FAULT when the poll reads eth2 down", stateIs("FAULT", "BACKUP"))
	host.mu.Lock()
	watching := slices.Clone(host.watching)
	host.mu.Unlock()
	if !slices.Equal(watching, []string{"eth0"}) {
		t.Errorf("netlink watching %q, want eth0 only", watching)
	}
	for _, name := range []string{"eth1", "eth2"} {
		if n := log.count("linkbeat: polling the link interface=" + name); n != 1 {
			t.Errorf("%s: %d polls started, want 1", name, n)
		}
		if n := log.count("linkbeat reports a change interface=" + name + " up=false"); n != 1 {
			t.Errorf("%s: %d changes to down logged, want 1; log:\n%s", name, n, log.all())
		}
	}
}
