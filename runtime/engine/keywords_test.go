package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/netif"
)

// TestEngineUnicastFaultNoPeer: with unicast_fault_no_peer, an instance
// without a unicast_peer starts and stays in FAULT, sending nothing, as
// keepalived 2.2.7 counts it as a config fault; with a peer it runs unicast,
// and without the keyword it falls back to multicast. A reload that adds a
// peer or drops the keyword lets it run.
func TestEngineUnicastFaultNoPeer(t *testing.T) {
	withPeer := "unicast_peer {\n    " + peer + "\n  }"
	tests := []struct {
		name   string
		body   []string
		state  string // after 10 s alone
		sentTo string // destination of the adverts, "" for none
	}{
		{"no peer", []string{"unicast_fault_no_peer", "unicast_src_ip 192.0.2.1"}, "FAULT", ""},
		{"no peer, keyword alone", []string{"unicast_fault_no_peer"}, "FAULT", ""},
		{"a peer", []string{"unicast_fault_no_peer", withPeer}, "MASTER", peer},
		{"no keyword: multicast", []string{"unicast_src_ip 192.0.2.1"}, "MASTER", "224.0.0.18"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100", tt.body...)).start()
			r.advance(10 * time.Second)
			if got := r.states(); got != "VI_1="+tt.state {
				t.Fatalf("state %s, want %s", got, tt.state)
			}
			sent := r.host.takeSent()
			if tt.sentTo == "" && len(sent) > 0 {
				t.Fatalf("a FAULT instance sent %d adverts", len(sent))
			}
			for _, a := range sent {
				if a.dst.String() != tt.sentTo {
					t.Fatalf("advert to %s, want %s", a.dst, tt.sentTo)
				}
			}
			if tt.state == "FAULT" {
				if r.host.installed() != "" {
					t.Fatalf("FAULT holds VIPs %s", r.host.installed())
				}
				st := r.e.snapshot().Instances[0]
				if len(st.Faults) != 1 || !strings.Contains(st.Faults[0], "unicast_fault_no_peer") {
					t.Fatalf("faults %v", st.Faults)
				}
			}
			r.stop()
			if got := r.host.leftovers(); got != "" {
				t.Fatalf("left after stop: %s", got)
			}
		})
	}
}

// TestEngineUnicastFaultNoPeerReload: a reload that keeps the instance (same
// key) without the keyword clears the config fault; one that brings it back
// sets it again.
func TestEngineUnicastFaultNoPeerReload(t *testing.T) {
	faulty := vi("VI_1", 51, 100, "192.0.2.100", "unicast_fault_no_peer")
	plain := vi("VI_1", 51, 100, "192.0.2.100")
	r := newRig(t, faulty).start()
	reloadSteps(t, r, []reloadStep{
		{"", "VI_1=FAULT"},
		{plain, "VI_1=MASTER"},
		{faulty, "VI_1=FAULT"},
		{faulty, "VI_1=FAULT"},
	})
	r.stop()
}

// reloadStep is a config to apply ("": none) and the states 5 s later.
type reloadStep struct{ conf, states string }

// reloadSteps applies each step's config in turn and checks the states 5 s
// later.
func reloadSteps(t *testing.T, r *rig, steps []reloadStep) {
	t.Helper()
	for i, s := range steps {
		if s.conf != "" {
			if err := r.apply(s.conf); err != nil {
				t.Fatal(err)
			}
		}
		r.advance(5 * time.Second)
		if got := r.states(); got != s.states {
			t.Fatalf("step %d: %s, want %s", i, got, s.states)
		}
	}
}

// TestEngineTrackSrcIP: with track_src_ip, an instance whose configured
// source address (unicast_src_ip, or mcast_src_ip) is missing from its
// interface starts in FAULT, a removal puts a running one in FAULT, and it
// leaves FAULT within retryInterval of the address coming back. Without a
// configured source, or without the keyword, nothing is tracked.
func TestEngineTrackSrcIP(t *testing.T) {
	src := ip("192.0.2.1")
	unicast := []string{"unicast_src_ip 192.0.2.1", "unicast_peer {\n    " + peer + "\n  }"}
	tests := []struct {
		name       string
		body       []string
		tracked    bool
		missingAt0 bool // the address is missing when the instance starts
	}{
		{"unicast_src_ip", append([]string{"track_src_ip"}, unicast...), true, false},
		{"mcast_src_ip", []string{"track_src_ip", "mcast_src_ip 192.0.2.1"}, true, false},
		{"missing at start", append([]string{"track_src_ip"}, unicast...), true, true},
		{"no configured source", []string{"track_src_ip"}, false, false},
		{"no keyword", unicast, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100", tt.body...))
			if tt.missingAt0 {
				r.host.setAddr("eth0", src, false)
			}
			r.start()
			r.advance(5 * time.Second)
			want := "VI_1=MASTER"
			if tt.missingAt0 && tt.tracked {
				want = "VI_1=FAULT"
			}
			if got := r.states(); got != want {
				t.Fatalf("start: %s, want %s", got, want)
			}
			if !tt.missingAt0 {
				r.host.setAddr("eth0", src, false)
				r.e.addrRemoved(netif.AddrRemoved{Dev: "eth1", Addr: src}) // another interface's
				if got := r.states(); got != "VI_1=MASTER" {
					t.Fatalf("removal on eth1: %s", got)
				}
				r.e.addrRemoved(netif.AddrRemoved{Dev: "eth0", Addr: src})
				want = "VI_1=MASTER"
				if tt.tracked {
					want = "VI_1=FAULT"
				}
				if got := r.states(); got != want {
					t.Fatalf("source removed: %s, want %s", got, want)
				}
				if tt.tracked && r.host.installed() != "" {
					t.Fatalf("FAULT holds %s", r.host.installed())
				}
			}
			if !tt.tracked {
				r.stop()
				return
			}
			r.advance(10 * time.Second)
			if got := r.states(); got != "VI_1=FAULT" {
				t.Fatalf("source still missing: %s", got)
			}
			st := r.e.snapshot().Instances[0]
			if len(st.Faults) != 1 || st.Faults[0] != "track_src_ip: source address 192.0.2.1 is not on eth0" {
				t.Fatalf("faults %v", st.Faults)
			}
			r.host.setAddr("eth0", src, true)
			r.advance(retryInterval)
			if got := r.states(); got != "VI_1=BACKUP" {
				t.Fatalf("within %v of the source coming back: %s, want BACKUP", retryInterval, got)
			}
			r.advance(5 * time.Second)
			if got := r.states(); got != "VI_1=MASTER" {
				t.Fatalf("source back: %s", got)
			}
			r.stop()
			if got := r.host.leftovers(); got != "" {
				t.Fatalf("left after stop: %s", got)
			}
		})
	}
}

// TestEngineTrackSrcIPReload: a reload re-evaluates track_src_ip: dropping
// the keyword clears the FAULT, adding it back with the address missing sets
// it again.
func TestEngineTrackSrcIPReload(t *testing.T) {
	body := []string{"mcast_src_ip 192.0.2.1"}
	tracked := vi("VI_1", 51, 100, "192.0.2.100", append(body, "track_src_ip")...)
	plain := vi("VI_1", 51, 100, "192.0.2.100", body...)
	r := newRig(t, tracked)
	r.host.setAddr("eth0", ip("192.0.2.1"), false)
	r.start()
	reloadSteps(t, r, []reloadStep{
		{"", "VI_1=FAULT"},
		{plain, "VI_1=MASTER"},
		{tracked, "VI_1=FAULT"},
	})
	r.stop()
}

// TestEngineGARPPacing: vrrp_garp_interval and vrrp_gna_interval space the
// announcements of one interface, as keepalived 2.2.7 does: the first goes
// at once, each later one waits the interval after the one before, and an
// address waiting is sent once however many repeats asked for it, in the
// order of the VIPs. steps lists what is announced at each multiple of
// step after the instance becomes MASTER.
func TestEngineGARPPacing(t *testing.T) {
	const step = 100 * time.Millisecond
	tests := []struct {
		name   string
		global string // global_defs lines
		vips   string
		steps  []string // announcements at 0, step, 2×step, ...
	}{
		{"no pacing: back to back", "", "192.0.2.100,192.0.2.101",
			[]string{"eth0 192.0.2.100 eth0 192.0.2.101 eth0 192.0.2.100 eth0 192.0.2.101 eth0 192.0.2.100 eth0 192.0.2.101"}},
		{"garp_interval: repeats collapse", "vrrp_garp_interval 0.1", "192.0.2.100,192.0.2.101",
			[]string{"eth0 192.0.2.100", "eth0 192.0.2.100", "eth0 192.0.2.101", ""}},
		{"garp_interval 0.2", "vrrp_garp_interval 0.2", "192.0.2.100,192.0.2.101",
			[]string{"eth0 192.0.2.100", "", "eth0 192.0.2.100", "", "eth0 192.0.2.101", "", ""}},
		{"gna_interval paces IPv6 only", "vrrp_gna_interval 0.1", "2001:db8::100,2001:db8::101",
			[]string{"eth0 2001:db8::100", "eth0 2001:db8::100", "eth0 2001:db8::101", ""}},
		{"garp_interval leaves IPv6 alone", "vrrp_garp_interval 0.1", "2001:db8::100",
			[]string{"eth0 2001:db8::100 eth0 2001:db8::100 eth0 2001:db8::100", ""}},
		{"garp_group overrides global_defs", "vrrp_garp_interval 0.2\n}\ngarp_group {\n  garp_interval 0.1\n  interface eth0", "192.0.2.100,192.0.2.101",
			[]string{"eth0 192.0.2.100", "eth0 192.0.2.100", "eth0 192.0.2.101", ""}},
		{"garp_group without gna_interval: NAs unpaced", "vrrp_gna_interval 0.2\n}\ngarp_group {\n  garp_interval 0.1\n  interface eth0", "2001:db8::100",
			[]string{"eth0 2001:db8::100 eth0 2001:db8::100 eth0 2001:db8::100", ""}},
		{"garp_group of another interface", "vrrp_garp_interval 0.2\n}\ngarp_group {\n  garp_interval 0.1\n  interface eth1", "192.0.2.100,192.0.2.101",
			[]string{"eth0 192.0.2.100", "", "eth0 192.0.2.100", "", "eth0 192.0.2.101", "", ""}},
		{"one VIP elsewhere: its own interface's interval", "vrrp_garp_interval 0.1", "192.0.2.100,192.0.2.101 dev eth1",
			[]string{"eth0 192.0.2.100 eth1 192.0.2.101", "eth0 192.0.2.100 eth1 192.0.2.101", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf := "global_defs {\n  " + tt.global + "\n}\n" +
				vi("VI_1", 51, 100, tt.vips, "garp_master_repeat 3", "garp_master_delay 0")
			r := newRig(t, conf).start()
			r.advance(3 * time.Second) // Master_Down_Interval at priority 100: 3.609375 s
			r.host.takeAnnounced()
			r.advance(610 * time.Millisecond) // skew time 0.609375 s
			if got := r.states(); got != "VI_1=MASTER" {
				t.Fatalf("state %s", got)
			}
			for i, want := range tt.steps {
				if i > 0 {
					r.advance(step)
				}
				if got := strings.Join(r.host.takeAnnounced(), " "); got != want {
					t.Fatalf("at %v: announced %q, want %q", time.Duration(i)*step, got, want)
				}
			}
			r.stop()
		})
	}
}

// TestEngineGARPPacingSharedAndDropped: two instances on one interface share
// its interval, and an instance that leaves MASTER drops what it still had
// to announce.
func TestEngineGARPPacingSharedAndDropped(t *testing.T) {
	conf := "global_defs {\n  vrrp_garp_interval 0.1\n}\n" +
		vi("VI_1", 51, 100, "192.0.2.100", "garp_master_repeat 1", "garp_master_delay 0") +
		vi("VI_2", 52, 100, "192.0.2.101,192.0.2.102", "garp_master_repeat 1", "garp_master_delay 0")
	r := newRig(t, conf).start()
	r.advance(3610 * time.Millisecond)
	if got := r.states(); got != "VI_1=MASTER VI_2=MASTER" {
		t.Fatalf("state %s", got)
	}
	if got := strings.Join(r.host.takeAnnounced(), " "); got != "eth0 192.0.2.100" {
		t.Fatalf("at MASTER: %q, want VI_1's VIP only", got)
	}
	r.advance(100 * time.Millisecond)
	if got := strings.Join(r.host.takeAnnounced(), " "); got != "eth0 192.0.2.101" {
		t.Fatalf("after one interval: %q", got)
	}
	// VI_2 yields to a higher priority: 192.0.2.102 is never announced.
	r.advert("eth0", ip(peer), group4, 52, 200, "192.0.2.101", "192.0.2.102")
	if got := r.states(); got != "VI_1=MASTER VI_2=BACKUP" {
		t.Fatalf("state %s", got)
	}
	r.advance(time.Second)
	if got := r.host.takeAnnounced(); len(got) != 0 {
		t.Fatalf("after leaving MASTER: announced %q", got)
	}
	r.stop()
}

// TestEnginePromoteSecondaries: at start the engine turns promote_secondaries
// on for the interfaces of instances that ask for it, a reload turns it on
// or back off as instances come and go, and at exit it is restored; an
// interface that had it on already is never touched.
func TestEnginePromoteSecondaries(t *testing.T) {
	promoted := vi("VI_1", 51, 100, "192.0.2.100", "promote_secondaries")
	onEth1 := "vrrp_instance VI_2 {\n  interface eth1\n  virtual_router_id 52\n  virtual_ipaddress {\n    198.51.100.1\n  }\n  promote_secondaries\n}\n"
	plain := vi("VI_1", 51, 100, "192.0.2.100")
	tests := []struct {
		name     string
		preset   map[string]bool // sysctls on before havip starts
		confs    []string        // the start config, then reloads
		want     []string        // "eth0=.. eth1=.." after each config
		wantExit string
	}{
		{"on, then restored", nil, []string{promoted}, []string{"eth0=true eth1=false"}, "eth0=false eth1=false"},
		{"not asked", nil, []string{plain}, []string{"eth0=false eth1=false"}, "eth0=false eth1=false"},
		{"already on: left on", map[string]bool{"eth0": true}, []string{promoted, plain}, []string{"eth0=true eth1=false", "eth0=true eth1=false"}, "eth0=true eth1=false"},
		{"reloads", nil, []string{plain, promoted + onEth1, promoted, plain},
			[]string{"eth0=false eth1=false", "eth0=true eth1=true", "eth0=true eth1=false", "eth0=false eth1=false"}, "eth0=false eth1=false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.confs[0])
			for ifname, on := range tt.preset {
				r.host.promote[ifname] = on
			}
			sysctls := func() string {
				r.host.mu.Lock()
				defer r.host.mu.Unlock()
				return fmt.Sprintf("eth0=%v eth1=%v", r.host.promote["eth0"], r.host.promote["eth1"])
			}
			if got := sysctls(); got != "eth0="+fmt.Sprint(tt.preset["eth0"])+" eth1=false" {
				t.Fatalf("New changed the host: %s", got)
			}
			r.start()
			for i, conf := range tt.confs {
				if i > 0 {
					if err := r.apply(conf); err != nil {
						t.Fatal(err)
					}
				}
				if got := sysctls(); got != tt.want[i] {
					t.Fatalf("config %d: %s, want %s", i, got, tt.want[i])
				}
			}
			r.stop()
			if got := sysctls(); got != tt.wantExit {
				t.Fatalf("at exit: %s, want %s", got, tt.wantExit)
			}
		})
	}
}

// TestDisableLocalIGMP: disable_local_igmp turns igmp_link_local_mcast_reports
// off at start and on again at exit, and a reload does not change it (as in
// keepalived: it applies at start only).
func TestDisableLocalIGMP(t *testing.T) {
	for _, tt := range []struct {
		name            string
		global, reload  string
		offWhileRunning bool
	}{
		{"off while running", "global_defs {\n  disable_local_igmp\n}\n", "", true},
		{"not set: left alone", "", "", false},
		{"a reload does not turn it on", "global_defs {\n  disable_local_igmp\n}\n", "x", true},
		{"a reload does not turn it off", "", "global_defs {\n  disable_local_igmp\n}\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conf := vi("VI_1", 51, 100, "192.0.2.100")
			r := newRig(t, tt.global+conf).start()
			if tt.reload != "" {
				reload := conf
				if tt.reload != "x" {
					reload = tt.reload + conf
				}
				if err := r.apply(reload); err != nil {
					t.Fatal(err)
				}
			}
			r.host.mu.Lock()
			off := r.host.igmpOff
			r.host.mu.Unlock()
			if off != tt.offWhileRunning {
				t.Fatalf("reports off while running: %v, want %v", off, tt.offWhileRunning)
			}
			r.stop()
			if r.host.igmpOff {
				t.Fatal("reports still off after exit")
			}
		})
	}
}
