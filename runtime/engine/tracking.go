package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/notify"
	"github.com/havip/havip/runtime/script"
	"github.com/havip/havip/runtime/track"
	"github.com/havip/havip/runtime/vrrp"
)

// notifyStopTimeout bounds how long shutdown waits for notify_stop scripts.
const notifyStopTimeout = 10 * time.Second

// trackersFaultKey is the FAULT reason key of a weight-0 tracker failure.
const trackersFaultKey = "trackers"

// setupTracking builds the trackers every instance and sync group references
// (each tracker once, however many reference it), the references themselves,
// and the notifier for notify scripts and the notify FIFO.
func (e *Engine) setupTracking(cfg *config.Config) error {
	g := &cfg.Global
	runner := script.Runner{Security: g.EnableScriptSecurity, Log: e.log}
	needsScripts := false
	for _, inst := range e.instances {
		needsScripts = needsScripts || len(inst.cfg.Track.Scripts) > 0 || hasNotify(inst.cfg.Notify)
	}
	for _, sg := range cfg.SyncGroups {
		needsScripts = needsScripts || len(sg.Track.Scripts) > 0 || hasNotify(sg.Notify)
	}
	if needsScripts {
		ident, err := script.DefaultIdentity(g.ScriptUser, g.ScriptGroup, g.EnableScriptSecurity)
		if err != nil {
			return fmt.Errorf("global_defs (%s): %w", g.Pos, err)
		}
		runner.As = &ident
	}

	e.trackers = map[track.Key]track.Tracker{}
	e.results = map[track.Key]track.Result{}
	groupCfg := map[string]*config.SyncGroup{}
	for _, sg := range cfg.SyncGroups {
		groupCfg[sg.Name] = sg
	}
	for _, inst := range e.instances {
		refs, err := e.refs(cfg, inst.cfg.Track, runner)
		if err != nil {
			return fmt.Errorf("vrrp_instance %s: %w", inst.name, err)
		}
		if sg := groupCfg[inst.cfg.SyncGroup]; sg != nil {
			if !sg.SyncGroupTrackingWeight {
				refs = e.faultOnly(inst, refs)
			}
			groupRefs, err := e.refs(cfg, sg.Track, runner)
			if err != nil {
				return fmt.Errorf("vrrp_sync_group %s: %w", sg.Name, err)
			}
			refs = append(refs, groupRefs...)
		}
		inst.refs = refs
	}

	var targets []notify.Target
	for _, inst := range e.instances {
		s, err := notifyScripts(inst.cfg.Notify)
		if err != nil {
			return fmt.Errorf("vrrp_instance %s: %w", inst.name, err)
		}
		targets = append(targets, notify.Target{Kind: notify.Instance, Name: inst.name, Scripts: s})
	}
	for _, sg := range cfg.SyncGroups {
		s, err := notifyScripts(sg.Notify)
		if err != nil {
			return fmt.Errorf("vrrp_sync_group %s: %w", sg.Name, err)
		}
		targets = append(targets, notify.Target{Kind: notify.Group, Name: sg.Name, Scripts: s})
	}
	fifo := ""
	for _, c := range []*config.Command{g.VRRPNotifyFIFO, g.NotifyFIFO} {
		if c != nil && fifo == "" {
			fifo = c.Text
		}
	}
	if g.VRRPNotifyFIFOScript != nil || g.NotifyFIFOScript != nil {
		e.log.Warn("notify_fifo_script is not supported: havip writes the FIFO but starts no reader for it", "pos", g.Pos.String())
	}
	n, err := notify.New(notify.Options{Runner: runner, FIFOPath: fifo, Log: e.log}, targets)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	e.notifier = n
	return nil
}

// refs maps a track_* block onto tracker references, creating each tracker
// the first time it is referenced.
func (e *Engine) refs(cfg *config.Config, t config.Tracking, runner script.Runner) ([]track.Ref, error) {
	var refs []track.Ref
	for _, ti := range t.Interfaces {
		key := track.Key{Kind: track.KindInterface, Name: ti.Name}
		if e.trackers[key] == nil {
			e.trackers[key] = track.NewInterface(track.InterfaceSpec{Name: ti.Name}, e.log)
		}
		refs = append(refs, track.Ref{Key: key, Weight: ti.Weight, Reverse: ti.Reverse})
	}
	for _, r := range t.Scripts {
		key := track.Key{Kind: track.KindScript, Name: r.Name}
		if e.trackers[key] == nil {
			s := cfg.Script(r.Name)
			if s == nil {
				return nil, fmt.Errorf("%s: track_script %q is not a defined vrrp_script", r.Pos, r.Name)
			}
			spec := track.ScriptSpec{Name: s.Name, Command: script.Command{Text: s.Command.Text, Args: s.Command.Args},
				Interval: s.Interval, Timeout: s.Timeout, Rise: s.Rise, Fall: s.Fall, InitFail: s.InitFail}
			if s.User != "" {
				id, err := script.LookupIdentity(s.User, s.Group)
				if err != nil {
					return nil, fmt.Errorf("vrrp_script %s (%s): user %q: %w", s.Name, s.Pos, s.User, err)
				}
				spec.As = &id
			}
			e.trackers[key] = track.NewScript(spec, runner)
		}
		refs = append(refs, track.Ref{Key: key, Weight: r.Weight, Reverse: r.Reverse})
	}
	for _, r := range t.Processes {
		key := track.Key{Kind: track.KindProcess, Name: r.Name}
		if e.trackers[key] == nil {
			p := cfg.TrackProcess(r.Name)
			if p == nil {
				return nil, fmt.Errorf("%s: track_process %q is not a defined vrrp_track_process", r.Pos, r.Name)
			}
			spec := track.ProcessSpec{Name: p.Name, Process: p.Process, Args: p.Params, FullCommand: p.FullCommand,
				Quorum: p.Quorum, ForkDelay: p.ForkDelay, TerminateDelay: p.TerminateDelay}
			switch p.ParamMatch {
			case "partial":
				spec.ParamMatch = track.ParamPartial
			case "initial":
				spec.ParamMatch = track.ParamInitial
			}
			if p.QuorumMax > 0 {
				spec.QuorumMax = &p.QuorumMax
			}
			e.trackers[key] = track.NewProcess(spec, e.log)
		}
		refs = append(refs, track.Ref{Key: key, Weight: r.Weight, Reverse: r.Reverse})
	}
	for _, r := range t.Files {
		key := track.Key{Kind: track.KindFile, Name: r.Name}
		if e.trackers[key] == nil {
			f := cfg.TrackFile(r.Name)
			if f == nil {
				return nil, fmt.Errorf("%s: track_file %q is not a defined track_file", r.Pos, r.Name)
			}
			spec := track.FileSpec{Name: f.Name, Path: f.File, InitOverwrite: f.Overwrite}
			if f.InitFile {
				v := int64(f.InitValue)
				spec.InitValue = &v
			}
			if err := spec.InitFile(); err != nil {
				return nil, fmt.Errorf("track_file %s (%s): init_file: %w", f.Name, f.Pos, err)
			}
			e.trackers[key] = track.NewFile(spec, e.log)
		}
		refs = append(refs, track.Ref{Key: key, Weight: r.Weight, Reverse: r.Reverse})
	}
	return refs, nil
}

// faultOnly drops the weights of a sync-group member's own trackers, as
// keepalived does unless sync_group_tracking_weight: they can still put the
// member (and so the group) in FAULT, but not move its priority.
func (e *Engine) faultOnly(inst *instance, refs []track.Ref) []track.Ref {
	kept := refs[:0]
	for _, r := range refs {
		if r.Weight != 0 {
			e.log.Warn("tracker weight ignored in a sync group member (set sync_group_tracking_weight to use it)",
				"instance", inst.name, "tracker", r.Key.String(), "weight", r.Weight)
			continue
		}
		kept = append(kept, r)
	}
	return kept
}

func hasNotify(n config.Notify) bool {
	return n.Master != nil || n.Backup != nil || n.Fault != nil || n.Stop != nil || n.All != nil
}

// notifyScripts maps an instance's or group's notify keywords.
func notifyScripts(n config.Notify) (notify.Scripts, error) {
	var s notify.Scripts
	for _, m := range []struct {
		cmd *config.Command
		to  *notify.Action
	}{{n.Master, &s.Master}, {n.Backup, &s.Backup}, {n.Fault, &s.Fault}, {n.Stop, &s.Stop}, {n.All, &s.Notify}} {
		if m.cmd == nil {
			continue
		}
		m.to.Command = script.Command{Text: m.cmd.Text, Args: m.cmd.Args}
		if m.cmd.User != "" {
			id, err := script.LookupIdentity(m.cmd.User, m.cmd.Group)
			if err != nil {
				return s, fmt.Errorf("notify script %q: user %q: %w", m.cmd.Text, m.cmd.User, err)
			}
			m.to.As = &id
		}
	}
	return s, nil
}

// runTrackers starts every tracker; results reach the event loop.
func (e *Engine) runTrackers(ctx context.Context, start func(func())) {
	for _, tr := range e.trackers {
		start(func() {
			tr.Run(ctx, func(r track.Result) {
				select {
				case e.trackResults <- r:
				case <-ctx.Done():
				}
			})
		})
	}
}

// trackerResult records a tracker's new result and re-evaluates every
// instance that references it.
func (e *Engine) trackerResult(r track.Result) {
	prev, seen := e.results[r.Key]
	e.results[r.Key] = r
	if !seen || prev.Up != r.Up || prev.Value != r.Value {
		e.log.Info("tracker", "tracker", r.Key.String(), "up", r.Up, "value", r.Value, "detail", r.Detail)
	}
	now := time.Now()
	for _, inst := range e.instances {
		for _, ref := range inst.refs {
			if ref.Key == r.Key {
				e.retrack(inst, now)
				break
			}
		}
	}
}

// retrack applies the trackers' verdict to inst: its effective priority and
// whether a weight-0 tracker holds it in FAULT.
func (e *Engine) retrack(inst *instance, now time.Time) {
	if len(inst.refs) == 0 {
		return
	}
	out := track.Effective(inst.cfg.Priority, inst.refs, e.results)
	reason := strings.Join(out.Reasons, ", ")
	if reason == "" {
		reason = "every tracker healthy"
	}
	if inst.m != nil && out.Priority != inst.m.Priority() {
		e.apply(inst, inst.m.SetPriority(now, out.Priority, reason))
	}
	e.setFault(inst, now, trackersFaultKey, "tracker: "+reason, out.Fault)
}

// notifyTransition hands an instance's transition, and its group's if the
// group's state changed with it, to the notifier.
func (e *Engine) notifyTransition(inst *instance, tr vrrp.Transition) {
	state, ok := notifyState(tr.To)
	if !ok {
		return
	}
	e.notifier.Notify(notify.Event{Kind: notify.Instance, Name: inst.name, State: state, Priority: int(inst.m.Priority())})
	g := inst.group
	if g == nil {
		return
	}
	if gs := g.state(); gs != g.notified {
		g.notified = gs
		e.log.Info("sync group transition", "group", g.name, "to", gs.String())
		e.notifier.Notify(notify.Event{Kind: notify.Group, Name: g.name, State: gs})
	}
}

// notifyState maps a machine state onto the state notify scripts see.
func notifyState(s vrrp.State) (notify.State, bool) {
	switch s {
	case vrrp.StateMaster:
		return notify.Master, true
	case vrrp.StateBackup:
		return notify.Backup, true
	case vrrp.StateFault:
		return notify.Fault, true
	case vrrp.StateStopped:
		return notify.Stop, true
	}
	return 0, false
}

// closeNotifier lets queued notify scripts (notify_stop among them) finish,
// bounded by notifyStopTimeout.
func (e *Engine) closeNotifier() {
	ctx, cancel := context.WithTimeout(context.Background(), notifyStopTimeout)
	defer cancel()
	if err := e.notifier.Close(ctx); err != nil {
		e.log.Warn("notify scripts still running at exit were killed", "err", err)
	}
	if d := e.notifier.Dropped(); d > 0 {
		e.log.Warn("notify events were dropped because their queue was full", "dropped", d)
	}
	if d := e.notifier.FIFODropped(); d > 0 {
		e.log.Warn("notify FIFO lines were dropped because no reader kept up", "dropped", d)
	}
}
