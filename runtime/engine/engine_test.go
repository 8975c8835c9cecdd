package engine

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/track"
	"github.com/havip/havip/runtime/vrrp"
)

// vi is a vrrp_instance on eth0 at advert_int 1 with vips (comma-separated
// virtual_ipaddress lines); body adds lines.
func vi(name string, vrid, priority int, vips string, body ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "vrrp_instance %s {\n  interface eth0\n  virtual_router_id %d\n  priority %d\n  advert_int 1\n", name, vrid, priority)
	if vips != "" {
		b.WriteString("  virtual_ipaddress {\n")
		for _, v := range strings.Split(vips, ",") {
			b.WriteString("    " + v + "\n")
		}
		b.WriteString("  }\n")
	}
	for _, l := range body {
		b.WriteString("  " + l + "\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// vipsOn is how fakeHost.installed lists addresses on eth0.
func vipsOn(addrs ...string) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a + "/32 dev eth0"
	}
	return strings.Join(s, ", ")
}

// adverts formats sent adverts as "VRID:PRIORITY" in order.
func adverts(sent []sentAdvert) string {
	s := make([]string, len(sent))
	for i, a := range sent {
		s[i] = fmt.Sprintf("%d:%d", a.vrid, a.priority)
	}
	return strings.Join(s, " ")
}

const peer = "192.0.2.2"

func TestEngineElectsAndReleases(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100")).start()
	if got := r.states(); got != "VI_1=BACKUP" {
		t.Fatalf("after start: %s", got)
	}
	r.advance(3 * time.Second)
	if got := r.states(); got != "VI_1=BACKUP" || r.host.installed() != "" {
		t.Fatalf("before Master_Down_Interval: %s, VIPs %q", got, r.host.installed())
	}
	r.advance(700 * time.Millisecond)
	if got := r.states(); got != "VI_1=MASTER" || r.host.installed() != vipsOn("192.0.2.100") {
		t.Fatalf("after Master_Down_Interval: %s, VIPs %q", got, r.host.installed())
	}
	sent := r.host.takeSent()
	if adverts(sent) != "51:100" || sent[0].dst != group4 || sent[0].src != ip("192.0.2.1") {
		t.Fatalf("becoming master sent %+v", sent)
	}
	if got := r.host.takeAnnounced(); len(got) != 5 || got[0] != "eth0 192.0.2.100" {
		t.Fatalf("becoming master announced %v, want 5 GARPs", got)
	}
	r.advance(time.Second)
	if got := adverts(r.host.takeSent()); got != "51:100" {
		t.Fatalf("one advert interval later: %q", got)
	}
	r.advert("eth0", ip(peer), group4, 51, 200, "192.0.2.100")
	if got := r.states(); got != "VI_1=BACKUP" || r.host.installed() != "" {
		t.Fatalf("after a higher-priority advert: %s, VIPs %q", got, r.host.installed())
	}
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("after the peer fell silent: %s", got)
	}
	r.host.takeSent()
	r.stop()
	if got := adverts(r.host.takeSent()); got != "51:0" {
		t.Fatalf("stopping a master sent %q, want a priority-0 advert", got)
	}
	if got := r.host.leftovers(); got != "" {
		t.Fatalf("left after stop: %s", got)
	}
}

func TestEngineOwnerGoesMasterAtOnce(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 255, "192.0.2.100")).start()
	if got := r.states(); got != "VI_1=MASTER" || r.host.installed() != vipsOn("192.0.2.100") {
		t.Fatalf("owner after start: %s, VIPs %q", got, r.host.installed())
	}
	// A lower-priority advert is answered at once.
	r.host.takeSent()
	r.advert("eth0", ip(peer), group4, 51, 100, "192.0.2.100")
	if got := adverts(r.host.takeSent()); got != "51:255" {
		t.Fatalf("answer to a lower priority: %q", got)
	}
	r.stop()
	if got := r.host.leftovers(); got != "" {
		t.Fatalf("left after stop: %s", got)
	}
}

// twoMasters is the running config of the reload matrix: both instances
// become MASTER (no peer).
var twoMasters = vi("VI_1", 51, 150, "192.0.2.100") + vi("VI_2", 52, 100, "192.0.2.101")

func TestEngineReloadMatrix(t *testing.T) {
	for _, tc := range []struct {
		name     string
		next     string
		states   string
		vips     string
		sent     string // adverts sent by the reload
		announce int    // GARPs sent by the reload
		kept     string // instances whose machine survived, by name
	}{
		{"unchanged", twoMasters, "VI_1=MASTER VI_2=MASTER", vipsOn("192.0.2.100", "192.0.2.101"), "", 0, "VI_1 VI_2"},
		{"priority changed", vi("VI_1", 51, 150, "192.0.2.100") + vi("VI_2", 52, 120, "192.0.2.101"),
			"VI_1=MASTER VI_2=MASTER", vipsOn("192.0.2.100", "192.0.2.101"), "52:120", 0, "VI_1 VI_2"},
		{"VIP added", vi("VI_1", 51, 150, "192.0.2.100") + vi("VI_2", 52, 100, "192.0.2.101,192.0.2.102"),
			"VI_1=MASTER VI_2=MASTER", vipsOn("192.0.2.100", "192.0.2.101", "192.0.2.102"), "52:100", 5, "VI_1 VI_2"},
		{"VIP removed", vi("VI_1", 51, 150, "192.0.2.100") + vi("VI_2", 52, 100, "192.0.2.102"),
			"VI_1=MASTER VI_2=MASTER", vipsOn("192.0.2.100", "192.0.2.102"), "52:100", 5, "VI_1 VI_2"},
		{"instance removed", vi("VI_1", 51, 150, "192.0.2.100"),
			"VI_1=MASTER", vipsOn("192.0.2.100"), "52:0", 0, "VI_1"},
		{"instance added", twoMasters + vi("VI_3", 53, 100, "192.0.2.103"),
			"VI_1=MASTER VI_2=MASTER VI_3=BACKUP", vipsOn("192.0.2.100", "192.0.2.101"), "", 0, "VI_1 VI_2"},
		{"VIP moves between instances", vi("VI_1", 51, 150, "192.0.2.100,192.0.2.101") + vi("VI_2", 52, 100, "192.0.2.102"),
			"VI_1=MASTER VI_2=MASTER", vipsOn("192.0.2.100", "192.0.2.101", "192.0.2.102"), "51:150 52:100", 10, "VI_1 VI_2"},
		{"instance renamed", vi("VI_1", 51, 150, "192.0.2.100") + vi("VI_TWO", 52, 100, "192.0.2.101"),
			"VI_1=MASTER VI_TWO=MASTER", vipsOn("192.0.2.100", "192.0.2.101"), "", 0, "VI_1 VI_TWO"},
		{"now the address owner", vi("VI_1", 51, 150, "192.0.2.100") + vi("VI_2", 52, 255, "192.0.2.101"),
			"VI_1=MASTER VI_2=MASTER", vipsOn("192.0.2.100", "192.0.2.101"), "52:255", 0, "VI_1 VI_2"},
		{"VRID changed: another instance", vi("VI_1", 51, 150, "192.0.2.100") + vi("VI_2", 54, 100, "192.0.2.101"),
			"VI_1=MASTER VI_2=BACKUP", vipsOn("192.0.2.100"), "52:0", 0, "VI_1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, twoMasters).start()
			r.advance(4 * time.Second)
			machines := map[uint8]*vrrp.Machine{}
			for _, inst := range r.e.instances {
				machines[inst.vrid] = inst.m
			}
			r.host.takeSent()
			r.host.takeAnnounced()
			if err := r.apply(tc.next); err != nil {
				t.Fatal(err)
			}
			if got := r.states(); got != tc.states {
				t.Errorf("states %s, want %s", got, tc.states)
			}
			if got := r.host.installed(); got != tc.vips {
				t.Errorf("VIPs %q, want %q", got, tc.vips)
			}
			if got := adverts(r.host.takeSent()); got != tc.sent {
				t.Errorf("adverts %q, want %q", got, tc.sent)
			}
			if got := len(r.host.takeAnnounced()); got != tc.announce {
				t.Errorf("%d GARPs, want %d", got, tc.announce)
			}
			var kept []string
			for _, inst := range r.e.instances {
				if inst.m != nil && machines[inst.vrid] == inst.m {
					kept = append(kept, inst.name)
				}
			}
			if got := strings.Join(kept, " "); got != tc.kept {
				t.Errorf("machines kept by %q, want %q", got, tc.kept)
			}
			// The schedule still drives every instance.
			r.advance(time.Second)
			if got := len(r.host.takeSent()); got != strings.Count(tc.states, "MASTER") {
				t.Errorf("%d adverts in the next second, want one per master", got)
			}
			r.stop()
			if got := r.host.leftovers(); got != "" {
				t.Fatalf("left after stop: %s", got)
			}
		})
	}
}

func TestEngineReloadOfABackup(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100")).start()
	r.advert("eth0", ip(peer), group4, 51, 150, "192.0.2.100")
	r.advance(2 * time.Second)
	// Raised above the peer: the lower-priority adverts no longer hold it.
	if err := r.apply(vi("VI_1", 51, 200, "192.0.2.100")); err != nil {
		t.Fatal(err)
	}
	r.advert("eth0", ip(peer), group4, 51, 150, "192.0.2.100")
	if got := r.states(); got != "VI_1=BACKUP" {
		t.Fatalf("right after the reload: %s", got)
	}
	r.advance(2 * time.Second)
	if got := r.states(); got != "VI_1=MASTER" || r.host.installed() != vipsOn("192.0.2.100") {
		t.Fatalf("after its down timer: %s, VIPs %q", got, r.host.installed())
	}
	// A reload that makes a BACKUP the address owner takes over at once.
	r2 := newRig(t, vi("VI_1", 51, 100, "192.0.2.100")).start()
	r2.advert("eth0", ip(peer), group4, 51, 150, "192.0.2.100")
	if err := r2.apply(vi("VI_1", 51, 255, "192.0.2.100")); err != nil {
		t.Fatal(err)
	}
	if got := r2.states(); got != "VI_1=MASTER" || r2.host.installed() != vipsOn("192.0.2.100") {
		t.Fatalf("backup made owner: %s, VIPs %q", got, r2.host.installed())
	}
	r.stop()
	r2.stop()
}

func TestEngineLinkEvents(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100")).start()
	r.advance(4 * time.Second)
	r.host.takeSent()
	r.link("eth0", false)
	if got := r.states(); got != "VI_1=FAULT" || r.host.installed() != "" {
		t.Fatalf("link down: %s, VIPs %q", got, r.host.installed())
	}
	if got := adverts(r.host.takeSent()); got != "51:0" {
		t.Fatalf("a master losing its link sent %q", got)
	}
	r.link("eth0", false) // the same state again changes nothing
	r.advance(10 * time.Second)
	if got := r.states(); got != "VI_1=FAULT" {
		t.Fatalf("link still down: %s", got)
	}
	st := r.e.snapshot().Instances[0]
	if len(st.Faults) != 1 || st.Faults[0] != "interface eth0 down" {
		t.Fatalf("faults %v", st.Faults)
	}
	// An instance added while its link is down starts in FAULT.
	if err := r.apply(vi("VI_1", 51, 100, "192.0.2.100") + vi("VI_2", 52, 100, "192.0.2.101")); err != nil {
		t.Fatal(err)
	}
	if got := r.states(); got != "VI_1=FAULT VI_2=FAULT" {
		t.Fatalf("added while the link is down: %s", got)
	}
	r.link("eth0", true)
	if got := r.states(); got != "VI_1=BACKUP VI_2=BACKUP" {
		t.Fatalf("link up: %s", got)
	}
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_1=MASTER VI_2=MASTER" {
		t.Fatalf("link up, no peer: %s", got)
	}
	// dont_track_primary: the link is not followed.
	if err := r.apply(vi("VI_1", 51, 100, "192.0.2.100", "dont_track_primary")); err != nil {
		t.Fatal(err)
	}
	r.link("eth0", false)
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("dont_track_primary, link down: %s", got)
	}
	r.stop()
	if got := r.host.leftovers(); got != "" {
		t.Fatalf("left after stop: %s", got)
	}
}

const groupG = "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n"

func TestEngineSyncGroup(t *testing.T) {
	conf := groupG + vi("VI_1", 51, 100, "192.0.2.100") +
		strings.Replace(vi("VI_2", 52, 100, "192.0.2.101 dev eth1"), "interface eth0", "interface eth1", 1)
	r := newRig(t, conf).start()
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_1=MASTER VI_2=MASTER" {
		t.Fatalf("group without peers: %s", got)
	}
	r.advert("eth0", ip(peer), group4, 51, 200, "192.0.2.100")
	if got := r.states(); got != "VI_1=BACKUP VI_2=BACKUP" || r.host.installed() != "" {
		t.Fatalf("one member lost to a peer: %s, VIPs %q", got, r.host.installed())
	}
	// VI_2's timer runs out first, but it waits for VI_1.
	r.advance(3 * time.Second)
	if got := r.states(); got != "VI_1=BACKUP VI_2=BACKUP" {
		t.Fatalf("VI_2 alone wants MASTER: %s", got)
	}
	r.advance(2 * time.Second)
	if got := r.states(); got != "VI_1=MASTER VI_2=MASTER" {
		t.Fatalf("both want MASTER: %s", got)
	}
	r.link("eth1", false)
	if got := r.states(); got != "VI_1=FAULT VI_2=FAULT" || r.host.installed() != "" {
		t.Fatalf("one member's link down: %s, VIPs %q", got, r.host.installed())
	}
	r.link("eth1", true)
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_1=MASTER VI_2=MASTER" {
		t.Fatalf("link back: %s", got)
	}
	// A reload that takes VI_2 out of the group leaves VI_1 alone in it.
	if err := r.apply("vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}\n" + vi("VI_1", 51, 100, "192.0.2.100") +
		strings.Replace(vi("VI_2", 52, 100, "192.0.2.101 dev eth1"), "interface eth0", "interface eth1", 1)); err != nil {
		t.Fatal(err)
	}
	r.link("eth1", false)
	if got := r.states(); got != "VI_1=MASTER VI_2=FAULT" {
		t.Fatalf("after leaving the group: %s", got)
	}
	r.stop()
	if got := r.host.leftovers(); got != "" {
		t.Fatalf("left after stop: %s", got)
	}
}

func TestEngineTrackers(t *testing.T) {
	conf := vi("VI_1", 51, 150, "192.0.2.100", "track_interface {", "  eth5 weight -30", "  eth6", "}")
	r := newRig(t, conf)
	r.track(track.KindInterface, "eth5", true, 0)
	r.start()
	if got := r.states(); got != "VI_1=BACKUP" {
		t.Fatalf("before eth6 reports, up on the host when the config was applied: %s", got)
	}
	r.track(track.KindInterface, "eth6", false, 0)
	if got := r.states(); got != "VI_1=FAULT" {
		t.Fatalf("eth6 down: %s", got)
	}
	r.track(track.KindInterface, "eth6", true, 0)
	if got := r.states(); got != "VI_1=BACKUP" {
		t.Fatalf("every tracker up: %s", got)
	}
	r.advance(4 * time.Second)
	r.track(track.KindInterface, "eth5", false, 0)
	if st := r.e.snapshot().Instances[0]; st.State != "MASTER" || st.Priority != 120 {
		t.Fatalf("weighted tracker down: %s priority %d", st.State, st.Priority)
	}
	r.host.takeSent()
	r.advance(time.Second)
	if got := adverts(r.host.takeSent()); got != "51:120" {
		t.Fatalf("adverts with the lowered priority: %q", got)
	}
	r.track(track.KindInterface, "eth6", false, 0)
	if got := r.states(); got != "VI_1=FAULT" || r.host.installed() != "" {
		t.Fatalf("weight-0 tracker down: %s, VIPs %q", got, r.host.installed())
	}
	r.track(track.KindInterface, "eth6", true, 0)
	r.advance(4 * time.Second)
	// A reload changes the base: the tracker's -30 still applies.
	if err := r.apply(vi("VI_1", 51, 200, "192.0.2.100", "track_interface {", "  eth5 weight -30", "  eth6", "}")); err != nil {
		t.Fatal(err)
	}
	if st := r.e.snapshot().Instances[0]; st.State != "MASTER" || st.Priority != 170 {
		t.Fatalf("reloaded base 200: %s priority %d", st.State, st.Priority)
	}
	// A reload drops the weighted tracker: back to the base.
	if err := r.apply(vi("VI_1", 51, 200, "192.0.2.100", "track_interface {", "  eth6", "}")); err != nil {
		t.Fatal(err)
	}
	if st := r.e.snapshot().Instances[0]; st.State != "MASTER" || st.Priority != 200 {
		t.Fatalf("weighted tracker removed: %s priority %d", st.State, st.Priority)
	}
	// A reload adds a weight-0 tracker of an interface up on the host: the
	// master stays master while the tracker starts.
	if err := r.apply(vi("VI_1", 51, 200, "192.0.2.100", "track_interface {", "  eth6", "  eth7", "}")); err != nil {
		t.Fatal(err)
	}
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("new tracker of an interface up: %s", got)
	}
	// A stale result of a replaced tracker is ignored.
	r.e.trackerResult(trackResult{run: &trackerRun{}, r: track.Result{Key: track.Key{Kind: track.KindInterface, Name: "eth7"}, Up: false}})
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("after a stale result: %s", got)
	}
	r.track(track.KindInterface, "eth7", false, 0)
	if got := r.states(); got != "VI_1=FAULT" {
		t.Fatalf("new tracker down: %s", got)
	}
	r.track(track.KindInterface, "eth7", true, 0)
	if got := r.states(); got != "VI_1=BACKUP" {
		t.Fatalf("new tracker up again: %s", got)
	}
	r.stop()
	if got := r.host.leftovers(); got != "" {
		t.Fatalf("left after stop: %s", got)
	}
}

// TestEngineSameVRID: keepalived runs one VRID twice on an interface when
// the multicast groups differ or the unicast peers do not overlap; adverts
// reach the right instance.
func TestEngineSameVRID(t *testing.T) {
	conf := vi("VI_A", 51, 100, "192.0.2.100") +
		vi("VI_B", 51, 100, "192.0.2.101", "mcast_dst_ip 224.0.0.19") +
		vi("VI_C", 51, 100, "192.0.2.102", "unicast_peer {", "  192.0.2.2", "}") +
		vi("VI_D", 51, 100, "192.0.2.103", "unicast_peer {", "  192.0.2.3", "}")
	r := newRig(t, conf).start()
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_A=MASTER VI_B=MASTER VI_C=MASTER VI_D=MASTER" {
		t.Fatalf("without peers: %s", got)
	}
	r.advert("eth0", ip(peer), ip("224.0.0.19"), 51, 200, "192.0.2.101")
	if got := r.states(); got != "VI_A=MASTER VI_B=BACKUP VI_C=MASTER VI_D=MASTER" {
		t.Fatalf("advert to 224.0.0.19: %s", got)
	}
	r.advert("eth0", ip("192.0.2.3"), ip("192.0.2.1"), 51, 200, "192.0.2.103")
	if got := r.states(); got != "VI_A=MASTER VI_B=BACKUP VI_C=MASTER VI_D=BACKUP" {
		t.Fatalf("unicast advert from 192.0.2.3: %s", got)
	}
	r.advert("eth0", ip("192.0.2.9"), ip("192.0.2.1"), 51, 200, "192.0.2.103")
	if got := r.states(); got != "VI_A=MASTER VI_B=BACKUP VI_C=MASTER VI_D=BACKUP" || r.e.ports[portKey{"eth0", 4}].unknownVRID != 1 {
		t.Fatalf("unicast advert from a stranger: %s", got)
	}
	r.host.takeSent()
	r.advance(time.Second)
	var dsts []string
	for _, a := range r.host.takeSent() {
		dsts = append(dsts, a.dst.String())
	}
	if got := strings.Join(dsts, " "); got != "224.0.0.18 192.0.2.2" {
		t.Fatalf("the masters advertised to %s", got)
	}
	r.stop()
}

func TestEngineRoutesAndStatic(t *testing.T) {
	conf := "static_ipaddress {\n  198.51.100.9/32 dev eth1\n}\nstatic_routes {\n  198.51.100.0/24 dev eth1\n}\n" +
		vi("VI_1", 51, 100, "192.0.2.100", "virtual_routes {", "  203.0.113.0/24 via 192.0.2.254", "}",
			"virtual_rules {", "  from 203.0.113.0/24 table 100", "}")
	r := newRig(t, conf).start()
	count := func() (routes, rules int) {
		r.host.mu.Lock()
		defer r.host.mu.Unlock()
		return len(r.host.routes), len(r.host.rules)
	}
	if routes, rules := count(); routes != 1 || rules != 0 || r.host.installed() != "198.51.100.9/32 dev eth1" {
		t.Fatalf("backup: %d routes, %d rules, VIPs %q", routes, rules, r.host.installed())
	}
	r.advance(4 * time.Second)
	if routes, rules := count(); routes != 2 || rules != 1 {
		t.Fatalf("master: %d routes, %d rules", routes, rules)
	}
	// A reload drops the virtual route: the master removes it.
	if err := r.apply(strings.Replace(conf, "  203.0.113.0/24 via 192.0.2.254\n", "", 1)); err != nil {
		t.Fatal(err)
	}
	if routes, rules := count(); routes != 1 || rules != 1 {
		t.Fatalf("route removed by a reload: %d routes, %d rules", routes, rules)
	}
	r.advert("eth0", ip(peer), group4, 51, 200, "192.0.2.100")
	if routes, rules := count(); routes != 1 || rules != 0 {
		t.Fatalf("backup again: %d routes, %d rules", routes, rules)
	}
	r.stop()
	if got := r.host.leftovers(); got != "" {
		t.Fatalf("left after stop: %s", got)
	}
}

func TestEngineVMAC(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100", "use_vmac")).start()
	up := func() bool {
		r.host.mu.Lock()
		defer r.host.mu.Unlock()
		return r.host.vmacs["vrrp.51"]
	}
	if up() || r.e.ports[portKey{"vrrp.51", 4}] == nil {
		t.Fatalf("backup: VMAC up=%v ports %v", up(), r.e.ports)
	}
	r.advance(4 * time.Second)
	if !up() || r.host.installed() != "192.0.2.100/32 dev vrrp.51" {
		t.Fatalf("master: VMAC up=%v VIPs %q", up(), r.host.installed())
	}
	if sent := r.host.takeSent(); len(sent) != 1 || sent[0].ifname != "vrrp.51" {
		t.Fatalf("a master advertises from its VMAC: %+v", sent)
	}
	// While the VMAC is up, a multicast advert arriving on the interface is
	// the copy of one that also arrives on the VMAC: ignored.
	r.advert("eth0", ip(peer), group4, 51, 200, "192.0.2.100")
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("advert copy on the interface: %s", got)
	}
	r.advert("vrrp.51", ip(peer), group4, 51, 200, "192.0.2.100")
	if got := r.states(); got != "VI_1=BACKUP" || up() {
		t.Fatalf("higher priority on the VMAC: %s, VMAC up=%v", got, up())
	}
	r.stop()
	if got := r.host.leftovers(); got != "" {
		t.Fatalf("left after stop: %s", got)
	}
}

func TestEngineWaitsForASourceAddress(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100"))
	r.host.noAddr["eth0"] = true
	r.start()
	if st := r.e.snapshot().Instances[0]; st.State != "FAULT" || len(st.Faults) != 1 || !strings.Contains(st.Faults[0], "waiting for a usable source address") {
		t.Fatalf("without an address: %+v", st)
	}
	r.advance(3 * time.Second)
	if got := r.states(); got != "VI_1=FAULT" {
		t.Fatalf("still without an address: %s", got)
	}
	r.host.mu.Lock()
	r.host.noAddr["eth0"] = false
	r.host.mu.Unlock()
	r.advance(time.Second)
	if got := r.states(); got != "VI_1=BACKUP" {
		t.Fatalf("address appeared: %s", got)
	}
	r.stop()
}

func TestEngineStartupDelay(t *testing.T) {
	r := newRig(t, "global_defs {\n  vrrp_startup_delay 5\n}\n"+vi("VI_1", 51, 255, "192.0.2.100")).start()
	if got := r.states(); got != "VI_1=FAULT" || r.host.installed() != "" {
		t.Fatalf("during vrrp_startup_delay: %s", got)
	}
	r.advance(5 * time.Second)
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("after vrrp_startup_delay: %s", got)
	}
	r.stop()
}

func TestEngineApplyFailureChangesNothing(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100")).start()
	r.advance(4 * time.Second)
	r.host.failListen["eth1"] = true
	next := vi("VI_1", 51, 100, "192.0.2.100") + vi("VI_2", 52, 100, "192.0.2.101 dev eth2") +
		strings.Replace(vi("VI_3", 53, 100, "192.0.2.102"), "interface eth0", "interface eth1", 1)
	before := r.host.leftovers()
	err := r.apply(next)
	if err == nil || !strings.Contains(err.Error(), "receiving VRRP on eth1/IPv4") {
		t.Fatalf("apply: %v, want the socket error", err)
	}
	if after := r.host.leftovers(); after != before {
		t.Fatalf("a failed plan left\n%s\nwas\n%s", after, before)
	}
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("after a failed apply: %s", got)
	}
	if err := r.apply("global_defs {\n  router_id x\n}\n"); !errors.Is(err, errNothingToRun) {
		t.Fatalf("a config without instances: %v, want errNothingToRun", err)
	}
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("after an empty config was refused: %s", got)
	}
	if err := r.apply("virtual_server 192.0.2.10 80 {\n  protocol TCP\n  real_server 192.0.2.20 80 {\n  }\n}\n"); err != nil {
		t.Fatalf("a config whose VRRP part is gone but has virtual servers: %v", err)
	}
	if got := r.states(); got != "" || r.host.installed() != "" {
		t.Fatalf("after the vrrp_instances were removed: states %q, VIPs %q", got, r.host.installed())
	}
	r.stop()
}

// TestEngineReloadFormsASyncGroup: a MASTER joined by a reload to a group
// with a member that is not MASTER goes BACKUP, and the group elects
// together.
func TestEngineReloadFormsASyncGroup(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100")).start()
	r.advance(4 * time.Second)
	if err := r.apply(groupG + vi("VI_1", 51, 100, "192.0.2.100") + vi("VI_2", 52, 100, "192.0.2.101")); err != nil {
		t.Fatal(err)
	}
	if got := r.states(); got != "VI_1=BACKUP VI_2=BACKUP" || r.host.installed() != "" {
		t.Fatalf("group formed by a reload: %s, VIPs %q", got, r.host.installed())
	}
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_1=MASTER VI_2=MASTER" {
		t.Fatalf("the group elected: %s", got)
	}
	r.stop()
}

// TestEngineSizesReceiveBuffers: a port's receive buffer holds three
// full-size frames per instance once that exceeds the kernel's default.
func TestEngineSizesReceiveBuffers(t *testing.T) {
	r := newRig(t, scaleConfig(100, 0))
	if got, want := r.host.rxBuf["eth0"], scalePerSegment*rxBufPerInstance; got != want {
		t.Fatalf("eth0 with %d instances: receive buffer %d, want %d", scalePerSegment, got, want)
	}
	small := newRig(t, twoMasters)
	if got, ok := small.host.rxBuf["eth0"]; ok {
		t.Fatalf("two instances: receive buffer set to %d, want the kernel's default", got)
	}
	r.stop()
	small.stop()
}

// TestEngineQueuedAdvertsBeforeTimers: when the loop's timer fires late,
// adverts already queued are received before the timers expire, so a
// master that kept advertising is not taken over.
func TestEngineQueuedAdvertsBeforeTimers(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100")).start()
	r.advert("eth0", ip(peer), group4, 51, 200, "192.0.2.100")
	r.clock.set(r.clock.Now().Add(5 * time.Second)) // the loop was busy past the down timer
	r.e.packets <- r.inbound("eth0", ip(peer), group4, 51, 200, "192.0.2.100")
	r.e.receiveQueued()
	r.e.expire(r.clock.Now())
	if got := r.states(); got != "VI_1=BACKUP" || len(r.e.packets) != 0 {
		t.Fatalf("after a late timer with an advert queued: %s, %d queued", got, len(r.e.packets))
	}
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("after the master fell silent: %s", got)
	}
	r.stop()
}

// TestEngineNoAcceptDropsVIPsWhileMaster: a no_accept master's VIPs are
// dropped in havip's table while it holds them, allowed when it releases
// them, and the table is gone when the engine closes.
func TestEngineNoAcceptDropsVIPsWhileMaster(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100", "no_accept")).start()
	if r.host.firewall == nil {
		t.Fatal("no table opened at start for a no_accept instance")
	}
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("states %s", got)
	}
	if n := r.host.firewall.dropped[ip("192.0.2.100")]; n != 1 {
		t.Fatalf("VIP dropped %d times while MASTER, want 1", n)
	}
	r.advert("eth0", ip("192.0.2.9"), group4, 51, 200, "192.0.2.100")
	if got := r.states(); got != "VI_1=BACKUP" {
		t.Fatalf("states %s after a higher priority advert", got)
	}
	if len(r.host.firewall.dropped) != 0 {
		t.Fatalf("VIPs still dropped as BACKUP: %v", r.host.firewall.dropped)
	}
	r.stop()
	if left := r.host.leftovers(); left != "" {
		t.Fatalf("left after stop: %s", left)
	}
}

// TestEngineNoAcceptFollowsReloads: a reload of a MASTER that changes
// no_accept, its VIPs or anything else applies the drops at once, under
// the new settings, and leaves none behind.
func TestEngineNoAcceptFollowsReloads(t *testing.T) {
	noAccept := func(prio int, vips string) string { return vi("VI_1", 51, prio, vips, "no_accept") }
	r := newRig(t, noAccept(100, "192.0.2.100")).start()
	r.advance(4 * time.Second)
	dropped := func(want map[string]int) {
		t.Helper()
		got := map[string]int{}
		for a, n := range r.host.firewall.dropped {
			got[a.String()] = n
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("dropped %v, want %v (states %s)", got, want, r.states())
		}
	}
	dropped(map[string]int{"192.0.2.100": 1})
	for _, step := range []struct {
		conf string
		want map[string]int
	}{
		{noAccept(110, "192.0.2.100"), map[string]int{"192.0.2.100": 1}},
		{vi("VI_1", 51, 110, "192.0.2.100"), map[string]int{}},
		{noAccept(110, "192.0.2.100,192.0.2.101"), map[string]int{"192.0.2.100": 1, "192.0.2.101": 1}},
		{noAccept(110, "192.0.2.101"), map[string]int{"192.0.2.101": 1}},
	} {
		if err := r.apply(step.conf); err != nil {
			t.Fatal(err)
		}
		if got := r.states(); got != "VI_1=MASTER" {
			t.Fatalf("a reload changed the state: %s", got)
		}
		dropped(step.want)
	}
	r.advert("eth0", ip("192.0.2.9"), group4, 51, 200, "192.0.2.101")
	if got := r.states(); got != "VI_1=BACKUP" {
		t.Fatalf("states %s after a higher priority advert", got)
	}
	dropped(map[string]int{})
	r.stop()
	if left := r.host.leftovers(); left != "" {
		t.Fatalf("left after stop: %s", left)
	}
}

// TestEngineReopensARecreatedInterface: an interface deleted and created
// again under its name (a new index) gets new VRRP and announcement
// sockets, and the old ones are closed; a link that only goes down and up
// keeps its sockets.
func TestEngineReopensARecreatedInterface(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100")).start()
	r.e.link(netif.LinkEvent{Name: "eth0", Index: 2, Up: true})
	r.advance(4 * time.Second)
	first := r.host.receivers["eth0"]

	r.e.link(netif.LinkEvent{Name: "eth0", Index: 2, Up: false})
	r.e.link(netif.LinkEvent{Name: "eth0", Index: 2, Up: true})
	if r.host.receivers["eth0"] != first {
		t.Fatal("a link that went down and up had its sockets reopened")
	}

	r.e.link(netif.LinkEvent{Name: "eth0", Index: 0, Up: false}) // deleted
	r.e.link(netif.LinkEvent{Name: "eth0", Index: 7, Up: true})  // created again
	second := r.host.receivers["eth0"]
	if second == first {
		t.Fatal("the re-created interface kept the sockets of the old one")
	}
	select {
	case <-first.closed:
	default:
		t.Fatal("the old receiver is still open")
	}
	var rx, tx, ann int
	for _, what := range r.host.open {
		switch {
		case strings.HasPrefix(what, "rx eth0"):
			rx++
		case strings.HasPrefix(what, "tx eth0"):
			tx++
		case strings.HasPrefix(what, "announce eth0"):
			ann++
		}
	}
	if rx != 1 || tx != 1 || ann != 1 {
		t.Fatalf("open on eth0: %d receivers, %d senders, %d announcers, want one each: %v", rx, tx, ann, r.host.open)
	}
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("after the interface came back: %s", got)
	}
	r.stop()
	if left := r.host.leftovers(); left != "" {
		t.Fatalf("left after stop: %s", left)
	}
}
