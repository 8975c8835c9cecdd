package config

import (
	"fmt"
	"net/netip"
)

// resolve checks and resolves references between sections.
func (p *parser) resolve(opts Options) {
	c := p.cfg
	scriptNames := make([]string, 0, len(c.Scripts))
	for _, s := range c.Scripts {
		scriptNames = append(scriptNames, s.Name)
	}
	fileNames := make([]string, 0, len(c.TrackFiles))
	for _, f := range c.TrackFiles {
		fileNames = append(fileNames, f.Name)
	}
	procNames := make([]string, 0, len(c.TrackProcesses))
	for _, t := range c.TrackProcesses {
		procNames = append(procNames, t.Name)
	}
	resolveRefs := func(where string, t *Tracking, priority int) {
		t.Scripts = p.resolveRefs(where, "vrrp_script", t.Scripts, scriptNames, func(name string) (int, bool) {
			s := c.Script(name)
			return s.Weight, s.Reverse
		}, priority)
		t.Files = p.resolveRefs(where, "track_file", t.Files, fileNames, func(name string) (int, bool) {
			f := c.TrackFile(name)
			return f.Weight, f.Reverse
		}, priority)
		t.Processes = p.resolveRefs(where, "vrrp_track_process", t.Processes, procNames, func(name string) (int, bool) {
			tp := c.TrackProcess(name)
			return tp.Weight, tp.Reverse
		}, priority)
	}
	for _, in := range c.Instances {
		resolveRefs("vrrp_instance "+in.Name, &in.Track, int(in.Priority))
	}
	groups := c.SyncGroups[:0]
	for _, g := range c.SyncGroups {
		resolveRefs("vrrp_sync_group "+g.Name, &g.Track, 0)
		var members []string
		for _, m := range g.Members {
			in := c.Instance(m)
			switch {
			case in == nil:
				names := make([]string, 0, len(c.Instances))
				for _, i := range c.Instances {
					names = append(names, i.Name)
				}
				p.rep.dropf(g.Pos, "the member is ignored", "vrrp_sync_group %s: vrrp_instance %s is not defined%s", g.Name, m, suggest(m, names))
			case in.SyncGroup != "":
				p.rep.dropf(g.Pos, "the member is ignored", "vrrp_sync_group %s: vrrp_instance %s is already in vrrp_sync_group %s", g.Name, m, in.SyncGroup)
			default:
				in.SyncGroup = g.Name
				members = append(members, m)
			}
		}
		g.Members = members
		if len(members) == 1 {
			p.rep.warnf(g.Pos, "vrrp_sync_group %s has only one member", g.Name)
		}
		if len(members) > 0 {
			groups = append(groups, g)
		}
	}
	c.SyncGroups = groups
	for _, in := range c.Instances {
		if g := c.SyncGroup(in.SyncGroup); g != nil && !g.SyncGroupTrackingWeight {
			p.syncGroupWeights(in, g.Name)
		}
	}
	if a := c.Global.SMTPAlert; a != nil && *a && len(c.VirtualServers) > 0 {
		p.rep.warnf(c.VirtualServers[0].Pos, "virtual_server: global_defs' smtp_alert also has keepalived mail real server and virtual server changes; havip does not send those alerts (only the VRRP ones)")
	}
	p.resolveLVSSyncDaemon()
	p.checkDuplicateVRIDs()
	if opts.InterfaceExists != nil {
		p.checkInterfaces(opts.InterfaceExists)
	}
	if pos, ok := p.firstScript(); ok && !c.Global.EnableScriptSecurity {
		p.rep.warnf(pos, "scripts are configured but enable_script_security is not set in global_defs; scripts will run as the configured user without path checks")
	}
}

// syncGroupWeights applies keepalived 2.2.7's rule for the trackers of a
// member of a sync group without sync_group_tracking_weight, whose
// priority is not to move: a weighted track_script is dropped; a
// track_file of weight 1 (the default) keeps tracking with weight 0 and one
// of another weight is dropped. keepalived reports the weight of a
// track_interface as ignored but has already attached the interface with
// it, so the weight moves the priority all the same; havip does as
// keepalived does, and says so. track_process weights are left alone.
func (p *parser) syncGroupWeights(in *Instance, group string) {
	where := fmt.Sprintf("vrrp_instance %s (in vrrp_sync_group %s without sync_group_tracking_weight)", in.Name, group)
	for _, t := range in.Track.Interfaces {
		if t.Weight != 0 {
			p.rep.warnf(t.Pos, "%s: track_interface %s has weight %d; keepalived 2.2.7 reports it as ignored but applies it, and so does havip (add sync_group_tracking_weight to say so, or drop the weight to have a down interface put the group in FAULT)",
				where, t.Name, t.Weight)
		}
	}
	scripts := in.Track.Scripts[:0]
	for _, r := range in.Track.Scripts {
		if r.Weight != 0 {
			p.rep.dropf(r.Pos, "the track_script is ignored", "%s: track_script %s has weight %d", where, r.Name, r.Weight)
			continue
		}
		scripts = append(scripts, r)
	}
	in.Track.Scripts = scripts
	files := in.Track.Files[:0]
	for _, r := range in.Track.Files {
		switch r.Weight {
		case 0:
		case 1:
			p.rep.dropf(r.Pos, "it is tracked with weight 0 (a non-zero value puts the instance in FAULT)", "%s: track_file %s has weight 1", where, r.Name)
			r.Weight = 0
		default:
			p.rep.dropf(r.Pos, "the track_file is ignored", "%s: track_file %s has weight %d", where, r.Name, r.Weight)
			continue
		}
		files = append(files, r)
	}
	in.Track.Files = files
}

func suggest(word string, names []string) string {
	if s := nearest(word, names); s != "" {
		return fmt.Sprintf(" (did you mean '%s'?)", s)
	}
	return ""
}

// resolveRefs replaces unset weights by the tracker's and drops undefined
// references with a warning, as keepalived does.
func (p *parser) resolveRefs(where, kind string, refs []TrackRef, names []string, lookup func(string) (int, bool), priority int) []TrackRef {
	var out []TrackRef
	for _, r := range refs {
		found := false
		for _, n := range names {
			if n == r.Name {
				found = true
				break
			}
		}
		if !found {
			p.rep.dropf(r.Pos, "the reference is ignored", "%s: %s %s is not defined%s", where, kind, r.Name, suggest(r.Name, names))
			continue
		}
		if p.defined[kind+" "+r.Name] > p.users[where] {
			p.rep.dropf(r.Pos, "the reference is ignored", "%s: %s %s is defined after it is used (move the definition before %s)", where, kind, r.Name, where)
			continue
		}
		if r.Weight == weightUnset {
			r.Weight, r.Reverse = lookup(r.Name)
		}
		if priority == 255 && r.Weight != 0 {
			p.rep.warnf(r.Pos, "%s: priority 255 (address owner) is never changed by trackers; weight of %s %s ignored", where, kind, r.Name)
		}
		out = append(out, r)
	}
	return out
}

// checkDuplicateVRIDs reports two instances with one VRID on the same
// interface and family: multicast instances that share a group, or
// unicast instances whose peers overlap.
func (p *parser) checkDuplicateVRIDs() {
	type key struct {
		iface  string
		family Family
		vrid   uint8
	}
	seen := map[key][]*Instance{}
	for _, in := range p.cfg.Instances {
		if in.VRID == 0 {
			continue
		}
		k := key{in.Interface, in.Family, in.VRID}
		for _, other := range seen[k] {
			if conflicts(in, other) {
				p.rep.errorf(in.Pos, "vrrp_instance %s: VRID %d is duplicated on interface %s (vrrp_instance %s at %s uses it); choose another virtual_router_id", in.Name, in.VRID, in.Interface, other.Name, other.Pos)
				break
			}
		}
		seen[k] = append(seen[k], in)
	}
}

func conflicts(a, b *Instance) bool {
	if a.Unicast() != b.Unicast() {
		return false
	}
	if !a.Unicast() {
		return a.MulticastGroup == b.MulticastGroup
	}
	peers := map[netip.Addr]bool{}
	for _, p := range a.UnicastPeers {
		peers[p.Addr] = true
	}
	for _, p := range b.UnicastPeers {
		if peers[p.Addr] {
			return true
		}
	}
	return false
}

// checkInterfaces warns about interfaces that do not exist on this host,
// where keepalived 2.2.7 reports them: the interfaces of instances,
// track_interface, addresses, routes, rules (iif and oif), garp_group,
// linkbeat_interfaces and interface_up_down_delays. A static entry's
// track_group adds a track_interface at the entry's own line: the entry's
// warning covers it.
func (p *parser) checkInterfaces(exists func(string) bool) {
	warn := func(pos Pos, name, what string) {
		if name != "" && !exists(name) {
			p.rep.warnf(pos, "interface %s for %s does not exist on this host", name, what)
		}
	}
	rules := func(rs []Rule, what string) {
		for _, r := range rs {
			warn(r.Pos, r.Iif, what)
			warn(r.Pos, r.Oif, what)
		}
	}
	tracked := func(ts []TrackInterface, what string) {
		for _, t := range ts {
			if t.TrackGroup == "" {
				warn(t.Pos, t.Name, what)
			}
		}
	}
	// keepalived ignores these entries (CONFIG_FATAL: keepalived -t fails).
	for _, l := range p.cfg.LinkBeat {
		if !exists(l.Name) {
			p.rep.warnf(l.Pos, "linkbeat_interfaces: interface %s does not exist on this host; keepalived ignores the entry (unknown interface %s specified for linkbeat interface)", l.Name, l.Name)
		}
	}
	for _, d := range p.cfg.InterfaceDelays {
		if !exists(d.Interface) {
			p.rep.warnf(d.Pos, "interface_up_down_delays: interface %s does not exist on this host; keepalived ignores the entry (unknown interface %s specified for up/down delay)", d.Interface, d.Interface)
		}
	}
	for _, in := range p.cfg.Instances {
		warn(in.Pos, in.Interface, "vrrp_instance "+in.Name)
		tracked(in.Track.Interfaces, "track_interface of vrrp_instance "+in.Name)
		for _, a := range append(append([]VirtualAddress(nil), in.VirtualAddresses...), in.ExcludedAddresses...) {
			warn(a.Pos, a.Dev, "address "+formatPrefix(a.Prefix))
		}
		for _, r := range in.VirtualRoutes {
			warn(r.Pos, r.Dev, "route "+r.Dst.String())
		}
		rules(in.VirtualRules, "rule of vrrp_instance "+in.Name)
	}
	for _, g := range p.cfg.SyncGroups {
		tracked(g.Track.Interfaces, "track_interface of vrrp_sync_group "+g.Name)
	}
	for _, a := range p.cfg.StaticAddresses {
		warn(a.Pos, a.Dev, "static address "+formatPrefix(a.Prefix))
	}
	for _, r := range p.cfg.StaticRoutes {
		warn(r.Pos, r.Dev, "static route "+r.Dst.String())
	}
	rules(p.cfg.StaticRules, "static rule")
	for _, g := range p.cfg.GARPGroups {
		for i, name := range g.Interfaces {
			warn(g.ifPos[i], name, "garp_group")
		}
	}
}

// firstScript returns where the first script (vrrp_script or notify) is
// configured.
func (p *parser) firstScript() (Pos, bool) {
	if len(p.cfg.Scripts) > 0 {
		return p.cfg.Scripts[0].Pos, true
	}
	hasNotify := func(n Notify) bool {
		return n.Master != nil || n.Backup != nil || n.Fault != nil || n.Stop != nil || n.All != nil || n.MasterRxLowerPrio != nil || n.Deleted != nil && n.Deleted.Text != ""
	}
	for _, in := range p.cfg.Instances {
		if hasNotify(in.Notify) {
			return in.Pos, true
		}
	}
	for _, g := range p.cfg.SyncGroups {
		if hasNotify(g.Notify) {
			return g.Pos, true
		}
	}
	return p.firstLVSScript()
}
