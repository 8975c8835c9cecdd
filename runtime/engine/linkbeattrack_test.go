package engine

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/track"
)

// TestLinkBeatTrackers: a track_interface naming a polled interface polls
// it, with the interface's method, wherever the track_interface comes from
// (an instance, a sync group, a track_group); the others, and a use_vmac
// device, follow netlink.
func TestLinkBeatTrackers(t *testing.T) {
	tracking := func(names ...string) string {
		return "track_interface {\n" + strings.Join(names, "\n") + "\n}"
	}
	tests := []struct {
		name string
		conf string
		want string // "IFNAME/METHOD" (poll; "" = default order) or "IFNAME netlink", sorted
	}{
		{"not listed", vi("VI_1", 51, 100, "192.0.2.100", tracking("eth1")), "eth1 netlink"},
		{"listed in linkbeat_interfaces", "linkbeat_interfaces {\n eth1 MII\n eth2\n}\n" +
			vi("VI_1", 51, 100, "192.0.2.100", tracking("eth1", "eth2", "eth3")), "eth1/MII eth2/ eth3 netlink"},
		{"sync group track_interface", "linkbeat_interfaces {\n eth2 IOCTL\n}\n" +
			"vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n " + tracking("eth2") + "\n}\n" +
			vi("VI_1", 51, 100, "192.0.2.100") + vi("VI_2", 52, 100, "192.0.2.101"), "eth2/IOCTL"},
		{"another instance's linkbeat_use_polling interface", vi("VI_1", 51, 100, "192.0.2.100", tracking("eth1")) +
			strings.Replace(vi("VI_2", 52, 100, "192.0.2.101", "linkbeat_use_polling"), "eth0", "eth1", 1), "eth1/"},
		{"top-level linkbeat_use_polling polls the instances' interfaces only", "linkbeat_use_polling\n" +
			vi("VI_1", 51, 100, "192.0.2.100", tracking("eth0", "eth1")), "eth0/ eth1 netlink"},
		{"track_group of a static route", "linkbeat_interfaces {\n eth4 ETHTOOL\n}\n" +
			"track_group TG {\n group {\n  VI_1\n }\n}\nstatic_routes {\n 198.51.100.0/24 dev eth4 track_group TG\n}\n" +
			vi("VI_1", 51, 100, "192.0.2.100"), "eth4/ETHTOOL"},
		{"use_vmac device", "linkbeat_interfaces {\n vrrp.51\n}\n" + vi("VI_1", 51, 100, "192.0.2.100", "use_vmac") +
			vi("VI_2", 52, 100, "192.0.2.101", tracking("vrrp.51")), "vrrp.51 netlink"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := NewWithOptions(parseConfig(t, tc.conf), Options{Log: slog.New(slog.DiscardHandler), Host: newFakeHost(), Clock: newFakeClock()})
			if err != nil {
				t.Fatal(err)
			}
			if g := strings.Join(interfaceTrackers(e), " "); g != tc.want {
				t.Errorf("trackers %q, want %q", g, tc.want)
			}
		})
	}
}

// interfaceTrackers describes e's track_interface trackers, sorted.
func interfaceTrackers(e *Engine) []string {
	var got []string
	for key, run := range e.trackers {
		if key.Kind != track.KindInterface {
			continue
		}
		_, polls := run.tracker.(*linkBeatTracker)
		switch {
		case polls != run.spec.linkBeat.on:
			got = append(got, key.Name+" spec and tracker disagree")
		case polls:
			got = append(got, key.Name+"/"+run.spec.linkBeat.prefer.String())
		default:
			got = append(got, key.Name+" netlink")
		}
	}
	slices.Sort(got)
	return got
}

// TestLinkBeatTrackerReload: a reload that lists or unlists a tracked
// interface in linkbeat_interfaces replaces its tracker; one that keeps
// the listing keeps it.
func TestLinkBeatTrackerReload(t *testing.T) {
	plain := vi("VI_1", 51, 100, "192.0.2.100", "track_interface {", "  eth1", "}")
	listed := "linkbeat_interfaces {\n eth1\n}\n" + plain
	r := newRig(t, plain).start()
	defer r.stop()
	key := track.Key{Kind: track.KindInterface, Name: "eth1"}
	for i, step := range []struct {
		conf, want string
		same       bool
	}{
		{listed, "eth1/", false},
		{listed + "\n", "eth1/", true},
		{strings.Replace(listed, " eth1\n}", " eth1 MII\n}", 1), "eth1/MII", false},
		{plain, "eth1 netlink", false},
	} {
		before := r.e.trackers[key]
		if err := r.e.reload(parseConfig(t, step.conf)); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if g := strings.Join(interfaceTrackers(r.e), " "); g != step.want || (r.e.trackers[key] == before) != step.same {
			t.Fatalf("step %d: trackers %q (same run %t), want %q (same run %t)", i, g, r.e.trackers[key] == before, step.want, step.same)
		}
	}
}

// TestRunLinkBeatTrackInterface runs instances whose track_interface
// (their own, their sync group's) is polled: a poll reading it down puts
// them in FAULT, up takes them out, and it is polled whatever netlink
// would say.
func TestRunLinkBeatTrackInterface(t *testing.T) {
	host, clock := newFakeHost(), newFakeClock()
	conf := "linkbeat_interfaces {\n  eth1\n  eth2 MII\n}\n" +
		"vrrp_sync_group G {\n  group {\n    VI_2\n    VI_3\n  }\n  track_interface {\n    eth2\n  }\n}\n" +
		vi("VI_1", 51, 100, "192.0.2.100", "track_interface {", "  eth1", "}") +
		vi("VI_2", 52, 100, "192.0.2.101") + vi("VI_3", 53, 100, "192.0.2.102")
	e := runPolled(t, conf, host, clock, nil)
	waitFor(t, e, "BACKUP at start", stateIs("BACKUP", "BACKUP", "BACKUP"))
	clock.set(clock.Now().Add(4 * time.Second))
	waitFor(t, e, "MASTER", stateIs("MASTER", "MASTER", "MASTER"))
	setLink := func(name string, up bool) {
		host.mu.Lock()
		defer host.mu.Unlock()
		host.linkBeat[name] = netif.LinkEvent{Name: name, Index: 2, Up: up}
	}
	setLink("eth1", false)
	waitFor(t, e, "VI_1 FAULT when the poll reads eth1 down", stateIs("FAULT", "MASTER", "MASTER"))
	setLink("eth1", true)
	waitFor(t, e, "VI_1 BACKUP when the poll reads eth1 up", stateIs("BACKUP", "MASTER", "MASTER"))
	setLink("eth2", false)
	waitFor(t, e, "the sync group FAULT when the poll reads eth2 down", stateIs("BACKUP", "FAULT", "FAULT"))
	setLink("eth2", true)
	waitFor(t, e, "the sync group BACKUP when the poll reads eth2 up", stateIs("BACKUP", "BACKUP", "BACKUP"))
	host.mu.Lock()
	eth1, eth2, watching := host.polls["eth1"], host.polls["eth2"], slices.Clone(host.watching)
	host.mu.Unlock()
	if eth1 < 2 || eth2 < 2 || !slices.Equal(watching, []string{"eth0"}) {
		t.Fatalf("polls eth1 %d, eth2 %d, netlink watching %q; want both polled, eth0 watched", eth1, eth2, watching)
	}
}
