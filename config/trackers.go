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

// scriptState is a vrrp_script being read.
type scriptState struct {
	script *Script
	cmd    *Command
}

// scriptKeywords is the keyword table of vrrp_script.
var scriptKeywords = keywords[*scriptState]{
	"script": func(p *parser, s *scriptState, n *node) { p.setCommand(n, &s.cmd) },
	"interval": func(p *parser, s *scriptState, n *node) {
		p.setTimer(n, &s.script.Interval, time.Millisecond, 86400*time.Second)
	},
	"timeout": func(p *parser, s *scriptState, n *node) {
		p.setTimer(n, &s.script.Timeout, time.Millisecond, 86400*time.Second)
	},
	"weight": func(p *parser, s *scriptState, n *node) {
		if w, r, ok := p.weightArgs(n, append([]string{"weight"}, n.args()...), 253); ok && p.nargs(n, 1, 2) {
			s.script.Weight, s.script.Reverse = w, r
		}
	},
	"rise": func(p *parser, s *scriptState, n *node) { p.setInt(n, &s.script.Rise, 1, 1<<20) },
	"fall": func(p *parser, s *scriptState, n *node) { p.setInt(n, &s.script.Fall, 1, 1<<20) },
	"user": func(p *parser, s *scriptState, n *node) {
		if p.nargs(n, 1, 2) {
			s.script.User = n.args()[0]
			if len(n.args()) == 2 {
				s.script.Group = n.args()[1]
			}
		}
	},
	"init_fail": func(p *parser, s *scriptState, n *node) { p.setFlag(n, &s.script.InitFail, true) },
}

func (p *parser) parseScript(n *node) {
	name, ok := p.nameArg(n)
	if !ok {
		return
	}
	st := &scriptState{script: &Script{Pos: n.pos, Name: name, Rise: 1, Fall: 1, Interval: time.Second, Timeout: -1}}
	dispatchTo(p, "vrrp_script "+name, n.children, scriptKeywords, st)
	s := st.script
	if st.cmd == nil {
		p.rep.dropf(n.pos, "the vrrp_script is ignored", "vrrp_script %s has no script (add a 'script' line)", name)
		return
	}
	s.Command = *st.cmd
	if s.Timeout < 0 {
		s.Timeout = s.Interval
	}
	key := "vrrp_script " + name
	if _, dup := p.defined[key]; dup {
		p.rep.errorf(n.pos, "vrrp_script %s is defined twice", name)
		return
	}
	p.defined[key] = p.top
	p.cfg.Scripts = append(p.cfg.Scripts, s)
}

// trackProcessState is a vrrp_track_process being read.
type trackProcessState struct {
	track *TrackProcess
	delay time.Duration
}

// trackProcessKeywords is the keyword table of vrrp_track_process.
var trackProcessKeywords = keywords[*trackProcessState]{
	"process": func(p *parser, s *trackProcessState, n *node) {
		if p.nargs(n, 1, -1) {
			s.track.Process, s.track.Params = n.args()[0], slices.Clone(n.args()[1:])
		}
	},
	"param_match": func(p *parser, s *trackProcessState, n *node) {
		if p.nargs(n, 1, 1) {
			if v := n.args()[0]; v == "initial" || v == "partial" {
				s.track.ParamMatch = v
			} else {
				p.rep.errorf(n.pos, "param_match: %q must be initial or partial", v)
			}
		}
	},
	"full_command": func(p *parser, s *trackProcessState, n *node) { p.setFlag(n, &s.track.FullCommand, true) },
	"weight": func(p *parser, s *trackProcessState, n *node) {
		if w, r, ok := p.weightArgs(n, append([]string{"weight"}, n.args()...), 254); ok && p.nargs(n, 1, 2) {
			s.track.Weight, s.track.Reverse = w, r
		}
	},
	"quorum":     func(p *parser, s *trackProcessState, n *node) { p.setInt(n, &s.track.Quorum, 1, 65535) },
	"quorum_max": func(p *parser, s *trackProcessState, n *node) { p.setInt(n, &s.track.QuorumMax, 1, 65535) },
	"fork_delay": func(p *parser, s *trackProcessState, n *node) {
		p.setTimer(n, &s.track.ForkDelay, 0, 3600*time.Second)
	},
	"terminate_delay": func(p *parser, s *trackProcessState, n *node) {
		p.setTimer(n, &s.track.TerminateDelay, 0, 3600*time.Second)
	},
	"delay": func(p *parser, s *trackProcessState, n *node) { p.setTimer(n, &s.delay, 0, 3600*time.Second) },
}

func (p *parser) parseTrackProcess(n *node) {
	name, ok := p.nameArg(n)
	if !ok {
		return
	}
	s := &trackProcessState{track: &TrackProcess{Pos: n.pos, Name: name, Quorum: 1}}
	dispatchTo(p, "vrrp_track_process "+name, n.children, trackProcessKeywords, s)
	t := s.track
	if s.delay > 0 {
		if t.ForkDelay == 0 {
			t.ForkDelay = s.delay
		}
		if t.TerminateDelay == 0 {
			t.TerminateDelay = s.delay
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
	key := "vrrp_track_process " + name
	if _, dup := p.defined[key]; dup {
		p.rep.errorf(n.pos, "vrrp_track_process %s is defined twice", name)
		return
	}
	p.defined[key] = p.top
	p.cfg.TrackProcesses = append(p.cfg.TrackProcesses, t)
}

// trackFileKeywords is the keyword table of track_file (vrrp_track_file).
var trackFileKeywords = keywords[*TrackFile]{
	"file": func(p *parser, f *TrackFile, n *node) { p.setString(n, &f.File) },
	"weight": func(p *parser, f *TrackFile, n *node) {
		if w, r, ok := p.weightArgs(n, append([]string{"weight"}, n.args()...), 254); ok && p.nargs(n, 1, 2) {
			f.Weight, f.Reverse = w, r
		}
	},
	"init_file": func(p *parser, f *TrackFile, n *node) {
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

func (p *parser) parseTrackFile(n *node) {
	name, ok := p.nameArg(n)
	if !ok {
		return
	}
	f := &TrackFile{Pos: n.pos, Name: name, Weight: 1}
	dispatchTo(p, n.keyword()+" "+name, n.children, trackFileKeywords, f)
	if f.File == "" {
		p.rep.dropf(n.pos, "the "+n.keyword()+" is ignored", "%s %s has no file (add a 'file PATH' line)", n.keyword(), name)
		return
	}
	key := "track_file " + name
	if _, dup := p.defined[key]; dup {
		p.rep.errorf(n.pos, "track_file %s is defined twice", name)
		return
	}
	p.defined[key] = p.top
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

// trackingKeywords adds the track_* keywords shared by instances and sync
// groups to t; track is the block's Tracking.
func trackingKeywords[S any](t keywords[S], track func(S) *Tracking) {
	t["track_interface"] = func(p *parser, s S, n *node) {
		tr := track(s)
		tr.Interfaces = append(tr.Interfaces, p.trackInterfaces(n)...)
	}
	t["track_script"] = func(p *parser, s S, n *node) {
		tr := track(s)
		tr.Scripts = append(tr.Scripts, p.trackRefs(n, 253)...)
	}
	t["track_file"] = func(p *parser, s S, n *node) {
		tr := track(s)
		tr.Files = append(tr.Files, p.trackRefs(n, 254)...)
	}
	t["track_process"] = func(p *parser, s S, n *node) {
		tr := track(s)
		tr.Processes = append(tr.Processes, p.trackRefs(n, 254)...)
	}
	t["track_bfd"] = func(p *parser, _ S, n *node) {
		p.rep.warnf(n.pos, "track_bfd is not supported by havip: BFD sessions will not affect priority")
	}
}

// notifyKeywords adds the notify keywords to t; notify is the block's
// Notify.
func notifyKeywords[S any](t keywords[S], notify func(S) *Notify) {
	t["notify_master"] = func(p *parser, s S, n *node) { p.setCommand(n, &notify(s).Master) }
	t["notify_backup"] = func(p *parser, s S, n *node) { p.setCommand(n, &notify(s).Backup) }
	t["notify_fault"] = func(p *parser, s S, n *node) { p.setCommand(n, &notify(s).Fault) }
	t["notify_stop"] = func(p *parser, s S, n *node) { p.setCommand(n, &notify(s).Stop) }
	t["notify_master_rx_lower_pri"] = func(p *parser, s S, n *node) { p.setCommand(n, &notify(s).MasterRxLowerPrio) }
	t["notify"] = func(p *parser, s S, n *node) { p.setCommand(n, &notify(s).All) }
	t["notify_priority_changes"] = func(p *parser, s S, n *node) { p.setBool(n, &notify(s).PriorityChanges) }
}

// syncGroupKeywords is the keyword table of vrrp_sync_group.
var syncGroupKeywords = func() keywords[*SyncGroup] {
	t := keywords[*SyncGroup]{
		"group": func(p *parser, g *SyncGroup, n *node) {
			if !p.needBlock(n) {
				return
			}
			for _, c := range n.children {
				g.Members = append(g.Members, c.toks...)
			}
		},
		"smtp_alert": func(p *parser, g *SyncGroup, n *node) {
			if p.setSMTPAlert(n, &g.SMTPAlert) {
				g.smtpAlertSet = true
			}
		},
		"global_tracking":            func(p *parser, g *SyncGroup, n *node) { p.addSetting(n, &g.Settings) },
		"sync_group_tracking_weight": func(p *parser, g *SyncGroup, n *node) { p.setBool(n, &g.SyncGroupTrackingWeight) },
	}
	trackingKeywords(t, func(g *SyncGroup) *Tracking { return &g.Track })
	notifyKeywords(t, func(g *SyncGroup) *Notify { return &g.Notify })
	return t
}()

func (p *parser) parseSyncGroup(n *node) {
	name, ok := p.nameArg(n)
	if !ok {
		return
	}
	g := &SyncGroup{Pos: n.pos, Name: name}
	dispatchTo(p, "vrrp_sync_group "+name, n.children, syncGroupKeywords, g)
	if !g.smtpAlertSet {
		g.SMTPAlert = p.cfg.Global.defaultSMTPAlert()
	}
	if len(g.Members) == 0 {
		p.rep.dropf(n.pos, "the vrrp_sync_group is ignored", "vrrp_sync_group %s has no members (add group { INSTANCE ... })", name)
		return
	}
	key := "vrrp_sync_group " + name
	if _, dup := p.users[key]; dup {
		p.rep.errorf(n.pos, "vrrp_sync_group %s is defined twice", name)
		return
	}
	p.users[key] = p.top
	p.cfg.SyncGroups = append(p.cfg.SyncGroups, g)
}
