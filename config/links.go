package config

import (
	"fmt"
	"slices"
	"time"
)

// maxInterfaceDelay is the longest interface_up_down_delays delay keepalived accepts.
const maxInterfaceDelay = 255 * time.Second

// parseInterfaceDelays reads interface_up_down_delays { IFNAME DOWN [UP] ... }.
// keepalived 2.2.7 logs and skips an entry without a delay or with an
// invalid one, and sets the up delay to 0 when it is not given (its man page
// says it is the down delay; its parser does not).
func (p *parser) parseInterfaceDelays(n *node) {
	if !p.needBlock(n) {
		return
	}
	if len(n.args()) > 0 {
		p.rep.warnf(n.pos, "interface_up_down_delays takes no arguments; %v ignored", n.args())
	}
	for _, c := range n.children {
		if c.hasBlock {
			p.rep.errorf(c.pos, "interface_up_down_delays entry %s does not take a '{' block", c.keyword())
			continue
		}
		p.dropping("the entry is ignored", func() {
			d, ok := p.interfaceDelay(c)
			if !ok {
				return
			}
			if i := slices.IndexFunc(p.cfg.InterfaceDelays, func(o InterfaceDelay) bool { return o.Interface == d.Interface }); i >= 0 {
				p.rep.warnf(c.pos, "interface_up_down_delays: %s is also given at %s; this entry replaces it, as in keepalived", d.Interface, p.cfg.InterfaceDelays[i].Pos)
				p.cfg.InterfaceDelays[i] = d
				return
			}
			p.cfg.InterfaceDelays = append(p.cfg.InterfaceDelays, d)
		})
	}
}

// interfaceDelay parses one interface_up_down_delays line.
func (p *parser) interfaceDelay(c *node) (InterfaceDelay, bool) {
	d := InterfaceDelay{Pos: c.pos, Interface: c.toks[0]}
	args := c.args()
	if len(args) == 0 {
		p.rep.errorf(c.pos, "interface_up_down_delays: %s has no delay (IFNAME DOWN_DELAY [UP_DELAY])", d.Interface)
		return d, false
	}
	if len(args) > 2 {
		p.rep.warnf(c.pos, "interface_up_down_delays: %s has too many delays; %v ignored, as keepalived does", d.Interface, args[2:])
	}
	for i, dst := range []*time.Duration{&d.Down, &d.Up}[:min(len(args), 2)] {
		v, err := parseTimer(args[i])
		if err == nil && v > maxInterfaceDelay {
			err = fmt.Errorf("%q is out of range 0..%s seconds", args[i], formatTimer(maxInterfaceDelay))
		}
		if err != nil {
			p.rep.errorf(c.pos, "interface_up_down_delays: %s: %s delay: %v", d.Interface, []string{"down", "up"}[i], err)
			return d, false
		}
		*dst = v
	}
	return d, true
}

// limitInterfaceDelays reduces the delays of an interface to below
// (vrrp_down_timer_adverts - 1) × advert_int of every instance on it, as
// keepalived does (to that bound less advert_int/256), and to 0 for an
// instance with vrrp_down_timer_adverts 1: a longer delay would let a backup
// take over before this router's instance goes to FAULT.
func (p *parser) limitInterfaceDelays() {
	for i := range p.cfg.InterfaceDelays {
		d := &p.cfg.InterfaceDelays[i]
		for _, in := range p.cfg.Instances {
			if in.Interface != d.Interface || d.Down == 0 && d.Up == 0 {
				continue
			}
			if in.DownTimerAdverts == 1 {
				p.rep.warnf(d.Pos, "interface_up_down_delays: %s: delays cannot be used with vrrp_instance %s's down_timer_adverts 1; set to 0, as keepalived does", d.Interface, in.Name)
				d.Down, d.Up = 0, 0
				continue
			}
			bound := time.Duration(in.DownTimerAdverts-1) * in.AdvertInt
			if d.Down < bound && d.Up < bound {
				continue
			}
			limit := bound - time.Duration(in.AdvertInt.Microseconds()/256)*time.Microsecond
			p.rep.warnf(d.Pos, "interface_up_down_delays: %s: delays must be below %d × advert_int (%s s) of vrrp_instance %s; %s reduced to %s s, as keepalived does",
				d.Interface, in.DownTimerAdverts-1, formatTimer(in.AdvertInt), in.Name, delayNames(d.Down >= bound, d.Up >= bound), formatDelay(limit))
			if d.Down >= bound {
				d.Down = limit
			}
			if d.Up >= bound {
				d.Up = limit
			}
		}
	}
}

// formatDelay prints a delay as decimal seconds to the µs, the resolution
// keepalived keeps.
func formatDelay(d time.Duration) string {
	return formatTimer(d.Truncate(time.Microsecond))
}

// delayNames names the delays being reduced.
func delayNames(down, up bool) string {
	switch {
	case down && up:
		return "both"
	case down:
		return "the down delay"
	}
	return "the up delay"
}

// parseTrackGroup reads track_group NAME { group { INSTANCE ... } }.
// keepalived 2.2.7 skips a block without a name or with a name already
// defined, and keeps the first group list.
func (p *parser) parseTrackGroup(n *node) {
	if !p.needBlock(n) {
		return
	}
	if len(n.args()) != 1 {
		p.rep.dropf(n.pos, "the track_group is ignored", "track_group must have one name, have %d words", len(n.args()))
		return
	}
	name := n.args()[0]
	if g := p.trackGroup(name); g != nil {
		p.rep.dropf(n.pos, "the track_group is ignored", "track_group %s is already defined at %s", name, g.Pos)
		return
	}
	g := &TrackGroup{Pos: n.pos, Name: name}
	seen := false
	p.dispatch("track_group "+name, n.children, map[string]handler{
		"group": func(c *node) {
			if !p.needBlock(c) {
				return
			}
			if seen {
				p.rep.dropf(c.pos, "this list is ignored", "track_group %s: group list already given", name)
				return
			}
			seen = true
			for _, m := range c.children {
				g.Members = append(g.Members, m.toks...)
			}
		},
	})
	if len(g.Members) == 0 {
		p.rep.warnf(n.pos, "track_group %s has no vrrp_instance (add group { INSTANCE ... }); it tracks nothing", name)
	}
	p.cfg.TrackGroups = append(p.cfg.TrackGroups, g)
}

// trackGroup returns the track_group called name defined so far, or nil.
func (p *parser) trackGroup(name string) *TrackGroup {
	for _, g := range p.cfg.TrackGroups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// takeTrackGroup removes "track_group NAME" from a static entry's tokens
// (from index first on) and returns the entry without it and the group's
// name: "" when there is none or the group is not defined before the entry,
// which keepalived reports and ignores. ok is false for a track_group
// without a name, for which keepalived drops the entry.
func (p *parser) takeTrackGroup(c *node, first int, where string) (_ *node, group string, ok bool) {
	toks := slices.Clone(c.toks[:first])
	for i := first; i < len(c.toks); i++ {
		if c.toks[i] != "track_group" {
			toks = append(toks, c.toks[i])
			continue
		}
		if i+1 >= len(c.toks) {
			p.rep.dropf(c.pos, "the entry is ignored", "%s: track_group needs a group name", where)
			return c, "", false
		}
		i++
		name := c.toks[i]
		switch {
		case group != "":
			p.rep.warnf(c.pos, "%s: track_group %s is a duplicate; ignored", where, name)
		case p.trackGroup(name) == nil:
			names := make([]string, 0, len(p.cfg.TrackGroups))
			for _, g := range p.cfg.TrackGroups {
				names = append(names, g.Name)
			}
			p.rep.dropf(c.pos, "the track_group is ignored", "%s: track_group %s is not defined before it%s", where, name, suggest(name, names))
		default:
			group = name
		}
	}
	if len(toks) == 0 {
		p.rep.dropf(c.pos, "the entry is ignored", "%s: the entry has nothing but a track_group", where)
		return c, "", false
	}
	out := *c
	out.toks = toks
	return &out, group, true
}

// staticEntries parses the entries of a static_* block one by one, each
// without its track_group option, which set records on the parsed entry.
func staticEntries[T any](p *parser, n *node, first int, parse func(*node) []T, set func(*T, string)) []T {
	var out []T
	for _, c := range n.children {
		if c.hasBlock {
			p.rep.errorf(c.pos, "%s entry %s does not take a '{' block", n.keyword(), c.keyword())
			continue
		}
		entry, group, ok := p.takeTrackGroup(c, first, n.keyword())
		if !ok {
			continue
		}
		one := *n
		one.children = []*node{entry}
		for _, v := range parse(&one) {
			set(&v, group)
			out = append(out, v)
		}
	}
	return out
}

// staticAddresses parses a static_ipaddress block.
func (p *parser) staticAddresses(n *node) []VirtualAddress {
	return staticEntries(p, n, 1, func(one *node) []VirtualAddress { return p.addresses(one, "static_ipaddress") },
		func(a *VirtualAddress, g string) { a.TrackGroup = g })
}

// staticRoutes parses a static_routes block.
func (p *parser) staticRoutes(n *node) []Route {
	return staticEntries(p, n, 0, p.routes, func(r *Route, g string) { r.TrackGroup = g })
}

// staticRules parses a static_rules block.
func (p *parser) staticRules(n *node) []Rule {
	return staticEntries(p, n, 0, p.rules, func(r *Rule, g string) { r.TrackGroup = g })
}

// expandTrackGroups makes the instances of each track_group track, with
// weight 0, the interface of every static address (dev), route (dev) and
// rule (iif) naming the group, as keepalived 2.2.7 does: they go to FAULT
// while it is down. An entry that also has no_track is not tracked.
func (p *parser) expandTrackGroups() {
	if len(p.cfg.TrackGroups) == 0 {
		return
	}
	members := map[string][]*Instance{}
	names := make([]string, 0, len(p.cfg.Instances))
	for _, in := range p.cfg.Instances {
		names = append(names, in.Name)
	}
	for _, g := range p.cfg.TrackGroups {
		for _, m := range g.Members {
			in := p.cfg.Instance(m)
			if in == nil {
				p.rep.dropf(g.Pos, "the member is ignored", "track_group %s: vrrp_instance %s is not defined%s", g.Name, m, suggest(m, names))
				continue
			}
			members[g.Name] = append(members[g.Name], in)
		}
	}
	track := func(pos Pos, what, group, dev string, noTrack bool) {
		if group == "" || dev == "" {
			return
		}
		if noTrack {
			p.rep.warnf(pos, "%s has both track_group and no_track; it is not tracked, as keepalived does", what)
			return
		}
		for _, in := range members[group] {
			if dev == in.Interface && !in.DontTrackPrimary {
				continue // its own interface already holds it in FAULT while down
			}
			if slices.ContainsFunc(in.Track.Interfaces, func(t TrackInterface) bool { return t.Name == dev && t.TrackGroup != "" }) {
				continue
			}
			in.Track.Interfaces = append(in.Track.Interfaces, TrackInterface{Pos: pos, Name: dev, TrackGroup: group})
		}
	}
	for _, a := range p.cfg.StaticAddresses {
		track(a.Pos, "static address "+formatPrefix(a.Prefix), a.TrackGroup, a.Dev, a.NoTrack)
	}
	for _, r := range p.cfg.StaticRoutes {
		track(r.Pos, "static route "+r.Dst.String(), r.TrackGroup, r.Dev, r.NoTrack)
	}
	for _, r := range p.cfg.StaticRules {
		track(r.Pos, "static rule", r.TrackGroup, r.Iif, r.NoTrack)
	}
}
