package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/track"
)

// keepalived 2.2.7 (vrrp_complete_instance) makes an instance track, with
// weight 0, the interface of each of its VIPs and eVIPs (TRACK_ADDR), the
// dev of each of its virtual_routes (TRACK_ROUTE) and the iif and oif of
// each of its virtual_rules (TRACK_RULE), unless the entry says no_track:
// it could not install the entry on a down interface, so the instance goes
// to FAULT while the interface is down. havip adds these interfaces to the
// instance's track_interface references: they are polled when linkbeat
// polls them, wait for their interface_up_down_delays, and put the sync
// group in FAULT with the instance.
//
// The instance's own interface (and its use_vmac device) is left to the
// link watcher, which already holds the instance in FAULT while it is down;
// with dont_track_primary keepalived does not track it for a VIP either,
// but a route or rule on it turns its tracking back on (add_vrrp_to_interface
// sets the weight of the instance's entry from VRRP_NOT_TRACK_IF to 0).

// entryInterface is an interface an instance tracks because its VIPs,
// routes or rules live on it, and the first entry that does.
type entryInterface struct {
	name  string
	entry string // e.g. "virtual_ipaddress 192.0.2.10/24"
	more  int    // how many other entries live on it
}

// entryInterfaces are the interfaces inst tracks for its entries, in
// config order.
func entryInterfaces(inst *instance) []entryInterface {
	ci := inst.cfg
	own := func(dev string) bool {
		return dev == ci.Interface || inst.vmac != nil && dev == inst.vmac.Name
	}
	var out []entryInterface
	add := func(dev, entry string, onOwn bool) {
		if dev == "" || own(dev) && !onOwn {
			return
		}
		if i := slices.IndexFunc(out, func(x entryInterface) bool { return x.name == dev }); i >= 0 {
			out[i].more++
			return
		}
		out = append(out, entryInterface{name: dev, entry: entry})
	}
	for _, l := range []struct {
		keyword string
		addrs   []config.VirtualAddress
	}{{"virtual_ipaddress", ci.VirtualAddresses}, {"virtual_ipaddress_excluded", ci.ExcludedAddresses}} {
		for _, a := range l.addrs {
			if !a.NoTrack {
				add(a.Dev, l.keyword+" "+a.Prefix.String(), false)
			}
		}
	}
	for _, r := range ci.VirtualRoutes {
		if !r.NoTrack {
			add(r.Dev, "virtual_routes "+r.Dst.String(), ci.DontTrackPrimary)
		}
	}
	for _, r := range ci.VirtualRules {
		if r.NoTrack {
			continue
		}
		what := "virtual_rules " + ruleText(r)
		add(r.Iif, what, ci.DontTrackPrimary)
		add(r.Oif, what, ci.DontTrackPrimary)
	}
	return out
}

// ruleText names a rule by its selectors, for a FAULT reason.
func ruleText(r config.Rule) string {
	var parts []string
	if r.From.IsValid() {
		parts = append(parts, "from "+r.From.String())
	}
	if r.To.IsValid() {
		parts = append(parts, "to "+r.To.String())
	}
	if r.Iif != "" {
		parts = append(parts, "iif "+r.Iif)
	}
	if r.Oif != "" {
		parts = append(parts, "oif "+r.Oif)
	}
	if r.Table.Set() {
		parts = append(parts, "table "+r.Table.Word)
	}
	return strings.Join(parts, " ")
}

// entryRefs adds to refs, the instance's own references (the first own of
// them, after faultOnly) and its sync group's, a weight-0 reference to each
// interface its entries live on, adding the trackers to t. As keepalived
// keeps one tracking entry per instance and interface, the entry's
// reference replaces the others to the same interface: a weighted one
// loses its weight, and only an own weight-0 one (reverse or not) stands
// in its stead.
func (e *Engine) entryRefs(t *tracking, inst *instance, refs []track.Ref, own int) []track.Ref {
	ifaces := entryInterfaces(inst)
	if len(ifaces) == 0 {
		return refs
	}
	merged := map[track.Key]track.Ref{}
	for _, ei := range ifaces {
		key := track.Key{Kind: track.KindInterface, Name: ei.name}
		if _, ok := t.specs[key]; !ok {
			t.specs[key] = e.interfaceTracker(ei.name, t.polled)
		}
		ref := track.Ref{Key: key}
		if i := slices.IndexFunc(refs[:own], func(r track.Ref) bool { return r.Key == key && r.Weight == 0 }); i >= 0 {
			ref = refs[i]
		}
		merged[key] = ref
	}
	out := make([]track.Ref, 0, len(refs)+len(ifaces))
	emitted := map[track.Key]bool{}
	for _, r := range refs {
		m, ok := merged[r.Key]
		switch {
		case !ok:
			out = append(out, r)
		case !emitted[r.Key]:
			out = append(out, m)
			emitted[r.Key] = true
		}
	}
	for _, ei := range ifaces {
		if key := (track.Key{Kind: track.KindInterface, Name: ei.name}); !emitted[key] {
			out = append(out, merged[key])
		}
	}
	return out
}

// entryReasons says, in the trackers' reasons of inst, which entry lives on
// an interface it tracks for its entries.
func entryReasons(inst *instance, reasons []string) []string {
	for _, ei := range entryInterfaces(inst) {
		prefix := track.Key{Kind: track.KindInterface, Name: ei.name}.String() + " "
		for i, r := range reasons {
			if strings.HasPrefix(r, prefix) {
				reasons[i] = r + " (" + ei.describe() + ")"
			}
		}
	}
	return reasons
}

// describe is "the interface of ENTRY" and how many more live on it.
func (ei entryInterface) describe() string {
	if ei.more > 0 {
		return fmt.Sprintf("the interface of %s and %d more", ei.entry, ei.more)
	}
	return "the interface of " + ei.entry
}
