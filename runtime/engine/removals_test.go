package engine

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/netif"
)

// removalConfig is one master with a VIP, a virtual route and a virtual rule (each also in a
// no_track form), beside static ones of every kind.
const removalConfig = `
static_ipaddress {
  198.51.100.10/24 dev eth0
  198.51.100.11/24 dev eth0 no_track
}
static_routes {
  203.0.113.0/26 via 192.0.2.254 dev eth0
  203.0.113.64/26 via 192.0.2.254 dev eth0 no_track
}
static_rules {
  to 203.0.113.128/26 table 100
  to 203.0.113.192/26 table 100 no_track
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 255
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24 no_track
  }
  virtual_routes {
    198.51.100.128/25 via 192.0.2.254 dev eth0
    198.51.100.0/25 via 192.0.2.254 dev eth0 no_track
    192.0.2.128/25 via 192.0.2.254
  }
  virtual_rules {
    to 198.51.100.128/25 table 100
    to 198.51.100.0/25 table 100 no_track
  }
}
`

func TestRemovedBehindOurBack(t *testing.T) {
	prefix := netip.MustParsePrefix
	tests := []struct {
		name string
		// remove takes the thing off the fake host and reports it to the engine.
		remove func(r *rig)
		// resigns: the master resigns (and is master again after Skew_Time); else restored names
		// the static kind added again, or "" when nothing happens.
		resigns  bool
		restored string
	}{
		{"VIP", func(r *rig) { r.removeAddr("192.0.2.100/24 dev eth0") }, true, ""},
		{"no_track VIP", func(r *rig) { r.removeAddr("192.0.2.101/24 dev eth0") }, false, ""},
		{"virtual route", func(r *rig) {
			r.removeRouting(false, "198.51.100.128/25 via 192.0.2.254 dev eth0 proto keepalived", prefix("198.51.100.128/25"))
		}, true, ""},
		{"no_track virtual route", func(r *rig) {
			r.removeRouting(false, "198.51.100.0/25 via 192.0.2.254 dev eth0 proto keepalived", prefix("198.51.100.0/25"))
		}, false, ""},
		{"virtual rule", func(r *rig) {
			r.removeRouting(true, "from all to 198.51.100.128/25 protocol keepalived table 100 preference 16382", prefix("198.51.100.128/25"))
		}, true, ""},
		{"no_track virtual rule", func(r *rig) {
			r.removeRouting(true, "from all to 198.51.100.0/25 table 100 preference 16381", prefix("198.51.100.0/25"))
		}, false, ""},
		{"virtual route without an interface", func(r *rig) {
			r.removeRouting(false, "192.0.2.128/25 via 192.0.2.254 proto keepalived", prefix("192.0.2.128/25"))
		}, false, ""},
		{"static address", func(r *rig) { r.removeAddr("198.51.100.10/24 dev eth0") }, false, "address"},
		{"no_track static address", func(r *rig) { r.removeAddr("198.51.100.11/24 dev eth0") }, false, ""},
		{"static route", func(r *rig) {
			r.removeRouting(false, "203.0.113.0/26 via 192.0.2.254 dev eth0 proto keepalived", prefix("203.0.113.0/26"))
		}, false, "route"},
		{"no_track static route", func(r *rig) {
			r.removeRouting(false, "203.0.113.64/26 via 192.0.2.254 dev eth0 proto keepalived", prefix("203.0.113.64/26"))
		}, false, ""},
		{"static rule", func(r *rig) {
			r.removeRouting(true, "from all to 203.0.113.128/26 protocol keepalived table 100 preference 16384", prefix("203.0.113.128/26"))
		}, false, "rule"},
		{"no_track static rule", func(r *rig) {
			r.removeRouting(true, "from all to 203.0.113.192/26 table 100 preference 16383", prefix("203.0.113.192/26"))
		}, false, ""},
		{"a removal reported but re-added since", func(r *rig) {
			r.e.routingRemoved(netif.RoutingRemoved{Family: 4, Dst: prefix("198.51.100.128/25"), Table: 254})
		}, false, ""},
		{"another family's route", func(r *rig) {
			r.host.mu.Lock()
			delete(r.host.routes, "198.51.100.128/25 via 192.0.2.254 dev eth0 proto keepalived")
			r.host.mu.Unlock()
			r.e.routingRemoved(netif.RoutingRemoved{Family: 6, Dst: prefix("2001:db8::/64"), Table: 254})
		}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, removalConfig).start()
			r.advance(time.Millisecond)
			if got := r.states(); got != "VI_1=MASTER" {
				t.Fatalf("start: %s", got)
			}
			r.host.takeSent()
			before := r.host.leftovers()
			tt.remove(r)
			snap := r.e.snapshot()
			st := snap.Instances[0]
			removals := st.Stats.VIPRemovals + st.Stats.RoutingRemovals
			if tt.resigns {
				if st.State != "BACKUP" || removals != 1 || !strings.Contains(st.Reason, "removed") {
					t.Fatalf("after the removal: %s, %d removals, reason %q; want BACKUP, 1, \"... removed: ...\"", st.State, removals, st.Reason)
				}
				if sent := r.host.takeSent(); len(sent) != 1 || sent[0].priority != 0 {
					t.Fatalf("adverts sent on resigning: %+v, want one of priority 0", sent)
				}
				r.advance(time.Second) // Skew_Time of priority 255
				if got := r.states(); got != "VI_1=MASTER" {
					t.Fatalf("after Skew_Time: %s, want MASTER again", got)
				}
			} else if st.State != "MASTER" || removals != 0 {
				t.Fatalf("after the removal: %s, %d removals; want MASTER, 0", st.State, removals)
			}
			var wantRestored map[string]uint64
			if tt.restored != "" {
				wantRestored = map[string]uint64{tt.restored: 1}
			}
			if got := snap.StaticRestored; len(got) != len(wantRestored) || got[tt.restored] != wantRestored[tt.restored] {
				t.Fatalf("static restored %v, want %v", got, wantRestored)
			}
			after := r.host.leftovers()
			if tt.resigns || tt.restored != "" {
				if after != before {
					t.Fatalf("installed after the removal:\n%s\nwant as before:\n%s", after, before)
				}
			} else if after == before && !strings.Contains(tt.name, "re-added") && !strings.Contains(tt.name, "family") {
				t.Fatalf("nothing was removed from the fake host: %s", after)
			}
			r.stop()
			if got := r.host.leftovers(); got != "" {
				t.Fatalf("left after stop: %s", got)
			}
		})
	}
}

// removeAddr takes a VIP or static address ("PREFIX dev IFNAME", as netif.VIP prints it) off the
// fake host and reports the removal.
func (r *rig) removeAddr(vip string) {
	r.t.Helper()
	r.host.mu.Lock()
	var found netif.VIP
	for v := range r.host.vips {
		if v.String() == vip {
			found = v
		}
	}
	delete(r.host.vips, found)
	r.host.mu.Unlock()
	if !found.Prefix.IsValid() {
		r.t.Fatalf("%s is not installed", vip)
	}
	r.e.addrRemoved(netif.AddrRemoved{Dev: found.Dev, Addr: found.Prefix.Addr()})
}

// removeRouting takes a route or rule (as it prints) off the fake host and reports the removal.
func (r *rig) removeRouting(rule bool, key string, dst netip.Prefix) {
	r.t.Helper()
	m := r.host.routes
	if rule {
		m = r.host.rules
	}
	r.host.mu.Lock()
	ok := m[key]
	delete(m, key)
	r.host.mu.Unlock()
	if !ok {
		r.t.Fatalf("%s is not installed; have %s", key, r.host.leftovers())
	}
	r.e.routingRemoved(netif.RoutingRemoved{Rule: rule, Family: 4, Dst: dst, Table: 100})
}
