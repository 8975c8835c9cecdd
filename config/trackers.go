package config

import (
	"slices"
	"strconv"
	"time"
)

// weightArgs parses "weight N [reverse|noreverse]" starting at args[i].
func (p *parser) weightArgs(n *node, args []string, limit int) (weight int, reverse, ok bool) {
	if len(args) == 0 {
		return 0, false, true
	}
	if args[0] != "weight" || len(args) < 2 || len(args) > 3 {
		p.rep.errorf(n.pos, "%s: want [weight N [reverse|noreverse]], have %q", n.keyword(), args)
		return 0, false, false
	}
	w, good := p.intArg(n, args[1], -limit, limit)
	if !good {
		return 0, false, false
	}
	if len(args) == 3 {
		switch args[2] {
		case "reverse":
			reverse = true
		case "noreverse":
		default:
			p.rep.errorf(n.pos, "%s: %q after the weight must be reverse or noreverse", n.keyword(), args[2])
			return 0, false, false
		}
	}
	return w, reverse, true
}

func (p *parser) parseScript(n *node) {
	name, ok := p.nameArg(n)
	if !ok {
		return
	}
	s := &Script{Pos: n.pos, Name: name, Rise: 1, Fall: 1, Interval: time.Second, Timeout: -1}
	var cmd *Command
	table := map[string]handler{
		"script":   p.commandKw(&cmd),
		"interval": p.timerKw(&s.Interval, time.Millisecond, 86400*time.Second),
		"timeout":  p.timerKw(&s.Timeout, time.Millisecond, 86400*time.Second),
		"weight": func(n *node) {
			if w, r, ok := p.weightArgs(n, append([]string{"weight"}, n.args()...), 253); ok && p.nargs(n, 1, 2) {
				s.Weight, s.Reverse = w, r
			}
		},
		"rise": p.intKw(&s.Rise, 1, 1<<20),
		"fall": p.intKw(&s.Fall, 1, 1<<20),
		"user": func(n *node) {
			if p.nargs(n, 1, 2) {
				s.User = n.args()[0]
				if len(n.args()) == 2 {
					s.Group = n.args()[1]
				}
			}
		},
		"init_fail": p.flagKw(&s.InitFail, true),
	}
	p.dispatch("vrrp_script "+name, n.children, table)
	if cmd == nil {
		p.rep.dropf(n.pos, "the vrrp_script is ignored", "vrrp_script %s has no script (add a 'script' line)", name)
		return
	}
	s.Command = *cmd
	if s.Timeout < 0 {
		s.Timeout = s.Interval
	}
	if p.cfg.Script(name) != nil {
		p.rep.errorf(n.pos, "vrrp_script %s is defined twice", name)
		return
	}
	p.defined["vrrp_script "+name] = p.top
	p.cfg.Scripts = append(p.cfg.Scripts, s)
}

func (p *parser) parseTrackProcess(n *node) {
	name, ok := p.nameArg(n)
	if !ok {
		return
	}
	t := &TrackProcess{Pos: n.pos, Name: name, Quorum: 1}
	var delay time.Duration
	table := map[string]handler{
		"process": func(n *node) {
			if p.nargs(n, 1, -1) {
				t.Process, t.Params = n.args()[0], slices.Clone(n.args()[1:])
			}
		},
		"param_match": func(n *node) {
			if p.nargs(n, 1, 1) {
				if v := n.args()[0]; v == "initial" || v == "partial" {
					t.ParamMatch = v
				} else {
					p.rep.errorf(n.pos, "param_match: %q must be initial or partial", v)
				}
			}
		},
		"full_command": p.flagKw(&t.FullCommand, true),
		"weight": func(n *node) {
			if w, r, ok := p.weightArgs(n, append([]string{"weight"}, n.args()...), 254); ok && p.nargs(n, 1, 2) {
				t.Weight, t.Reverse = w, r
			}
		},
		"quorum":          p.intKw(&t.Quorum, 1, 65535),
		"quorum_max":      p.intKw(&t.QuorumMax, 1, 65535),
		"fork_delay":      p.timerKw(&t.ForkDelay, 0, 3600*time.Second),
		"terminate_delay": p.timerKw(&t.TerminateDelay, 0, 3600*time.Second),
		"delay":           p.timerKw(&delay, 0, 3600*time.Second),
	}
	p.dispatch("vrrp_track_process "+name, n.children, table)
	if delay > 0 {
		if t.ForkDelay == 0 {
			t.ForkDelay = delay
		}
		if t.TerminateDelay == 0 {
			t.TerminateDelay = delay
		}
	}
	if t.Process == "" {
		p.rep.dropf(n.pos, "the vrrp_track_process is ignored", "vrrp_track_process %s has no process (add a 'process NAME' line)", name)
		return
	}
	if t.QuorumMax != 0 && t.QuorumMax < t.Quorum {
		p.rep.errorf(n.pos, "vrrp_track_process %s: quorum_max %d is below quorum %d", name, t.QuorumMax, t.Quorum)
		return
	}
	if p.cfg.TrackProcess(name) != nil {
		p.rep.errorf(n.pos, "vrrp_track_process %s is defined twice", name)
		return
	}
	p.defined["vrrp_track_process "+name] = p.top
	p.cfg.TrackProcesses = append(p.cfg.TrackProcesses, t)
}

func (p *parser) parseTrackFile(n *node) {
	name, ok := p.nameArg(n)
	if !ok {
		return
	}
	f := &TrackFile{Pos: n.pos, Name: name, Weight: 1}
	table := map[string]handler{
		"file": p.stringKw(&f.File),
		"weight": func(n *node) {
			if w, r, ok := p.weightArgs(n, append([]string{"weight"}, n.args()...), 254); ok && p.nargs(n, 1, 2) {
				f.Weight, f.Reverse = w, r
			}
		},
		"init_file": func(n *node) {
			if !p.nargs(n, 0, 2) {
				return
			}
			f.InitFile = true
			for _, a := range n.args() {
				if a == "overwrite" {
					f.Overwrite = true
				} else if v, ok := p.intArg(n, a, -254, 254); ok {
					f.InitValue = v
				}
			}
		},
	}
	p.dispatch(n.keyword()+" "+name, n.children, table)
	if f.File == "" {
		p.rep.dropf(n.pos, "the "+n.keyword()+" is ignored", "%s %s has no file (add a 'file PATH' line)", n.keyword(), name)
		return
	}
	if p.cfg.TrackFile(name) != nil {
		p.rep.errorf(n.pos, "track_file %s is defined twice", name)
		return
	}
	p.defined["track_file "+name] = p.top
	p.cfg.TrackFiles = append(p.cfg.TrackFiles, f)
}

// trackRefs parses a track_script/track_file/track_process block into
// references with the given weight limit.
func (p *parser) trackRefs(n *node, limit int) []TrackRef {
	if !p.needBlock(n) {
		return nil
	}
	var refs []TrackRef
	for _, c := range n.children {
		if c.hasBlock {
			p.rep.errorf(c.pos, "%s entry %s does not take a '{' block", n.keyword(), c.keyword())
			continue
		}
		w, r, ok := p.weightArgs(c, c.args(), limit)
		if !ok {
			continue
		}
		ref := TrackRef{Pos: c.pos, Name: c.keyword(), Weight: w, Reverse: r}
		if len(c.args()) == 0 {
			ref.Weight = weightUnset
		}
		refs = append(refs, ref)
	}
	return refs
}

// weightUnset marks a reference without its own weight until it is
// resolved against the tracker.
const weightUnset = -1 << 30

// trackInterfaces parses a track_interface block.
func (p *parser) trackInterfaces(n *node) []TrackInterface {
	if !p.needBlock(n) {
		return nil
	}
	var out []TrackInterface
	for _, c := range n.children {
		if c.hasBlock {
			p.rep.errorf(c.pos, "track_interface entry %s does not take a '{' block", c.keyword())
			continue
		}
		if args := c.args(); len(args) >= 2 && args[0] == "weight" {
			if v, err := strconv.Atoi(args[1]); err == nil && (v < -253 || v > 253) {
				p.rep.dropf(c.pos, "the weight is ignored (the interface is tracked without one)", "track_interface %s: weight %d is outside -253..253", c.keyword(), v)
				out = append(out, TrackInterface{Pos: c.pos, Name: c.keyword()})
				continue
			}
		}
		if w, r, ok := p.weightArgs(c, c.args(), 253); ok {
			out = append(out, TrackInterface{Pos: c.pos, Name: c.keyword(), Weight: w, Reverse: r})
		}
	}
	return out
}

// trackingHandlers adds the handlers for the track_* keywords shared by
// instances and sync groups.
func (p *parser) trackingHandlers(t *Tracking, table map[string]handler) {
	table["track_interface"] = func(n *node) { t.Interfaces = append(t.Interfaces, p.trackInterfaces(n)...) }
	table["track_script"] = func(n *node) { t.Scripts = append(t.Scripts, p.trackRefs(n, 253)...) }
	table["track_file"] = func(n *node) { t.Files = append(t.Files, p.trackRefs(n, 254)...) }
	table["track_process"] = func(n *node) { t.Processes = append(t.Processes, p.trackRefs(n, 254)...) }
	table["track_bfd"] = func(n *node) {
		p.rep.warnf(n.pos, "track_bfd is not supported by havip: BFD sessions will not affect priority")
	}
}

// notifyHandlers adds the handlers for the notify keywords.
func (p *parser) notifyHandlers(nt *Notify, table map[string]handler) {
	table["notify_master"] = p.commandKw(&nt.Master)
	table["notify_backup"] = p.commandKw(&nt.Backup)
	table["notify_fault"] = p.commandKw(&nt.Fault)
	table["notify_stop"] = p.commandKw(&nt.Stop)
	table["notify_master_rx_lower_pri"] = p.commandKw(&nt.MasterRxLowerPrio)
	table["notify"] = p.commandKw(&nt.All)
	table["notify_priority_changes"] = p.boolKw(&nt.PriorityChanges)
}

func (p *parser) parseSyncGroup(n *node) {
	name, ok := p.nameArg(n)
	if !ok {
		return
	}
	g := &SyncGroup{Pos: n.pos, Name: name}
	table := map[string]handler{
		"group": func(n *node) {
			if !p.needBlock(n) {
				return
			}
			for _, c := range n.children {
				g.Members = append(g.Members, c.toks...)
			}
		},
		"smtp_alert":                 p.unsupportedKw(&g.Settings, "no email alerts are sent"),
		"global_tracking":            p.settingKw(&g.Settings),
		"sync_group_tracking_weight": p.boolKw(&g.SyncGroupTrackingWeight),
	}
	p.trackingHandlers(&g.Track, table)
	p.notifyHandlers(&g.Notify, table)
	p.dispatch("vrrp_sync_group "+name, n.children, table)
	if len(g.Members) == 0 {
		p.rep.dropf(n.pos, "the vrrp_sync_group is ignored", "vrrp_sync_group %s has no members (add group { INSTANCE ... })", name)
		return
	}
	if p.cfg.SyncGroup(name) != nil {
		p.rep.errorf(n.pos, "vrrp_sync_group %s is defined twice", name)
		return
	}
	p.users["vrrp_sync_group "+name] = p.top
	p.cfg.SyncGroups = append(p.cfg.SyncGroups, g)
}
