package engine

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/notify"
	"github.com/havip/havip/runtime/script"
	"github.com/havip/havip/runtime/track"
	"github.com/havip/havip/runtime/vrrp"
)

// notifyStopTimeout bounds how long shutdown waits for notify_stop scripts.
const notifyStopTimeout = 10 * time.Second

// trackersFaultKey is the FAULT reason key of a weight-0 tracker failure.
const trackersFaultKey = "trackers"

// trackerSpec is what one tracker is built from: the spec of its kind
// (the others are zero) and, for a script, the global script policy. Two
// trackers with equal specs behave the same, so a reload keeps the running
// one.
type trackerSpec struct {
	kind    track.Kind
	iface   track.InterfaceSpec
	script  track.ScriptSpec
	runner  script.Runner
	process track.ProcessSpec
	file    track.FileSpec
	build   func() track.Tracker

	// linkBeat: a track_interface polling its interface (linkbeattrack.go).
	linkBeat linkBeatSpec
}

// equal reports whether s and o build trackers that behave the same.
func (s trackerSpec) equal(o trackerSpec) bool {
	if s.kind != o.kind {
		return false
	}
	switch s.kind {
	case track.KindInterface:
		return s.iface == o.iface && s.linkBeat == o.linkBeat
	case track.KindScript:
		return scriptSpecEqual(s.script, o.script) && runnerEqual(s.runner, o.runner)
	case track.KindProcess:
		return processSpecEqual(s.process, o.process)
	case track.KindFile:
		return fileSpecEqual(s.file, o.file)
	}
	return false
}

func scriptSpecEqual(a, b track.ScriptSpec) bool {
	return a.Name == b.Name && commandEqual(a.Command, b.Command) && a.Interval == b.Interval && a.Timeout == b.Timeout &&
		a.Rise == b.Rise && a.Fall == b.Fall && a.InitFail == b.InitFail && identityEqual(a.As, b.As)
}

// runnerEqual compares two script policies; their loggers are the same
// logger or not.
func runnerEqual(a, b script.Runner) bool {
	return identityEqual(a.As, b.As) && a.Timeout == b.Timeout && a.KillGrace == b.KillGrace && a.MaxOutput == b.MaxOutput &&
		a.DrainGrace == b.DrainGrace && a.Security == b.Security && a.Log == b.Log
}

func processSpecEqual(a, b track.ProcessSpec) bool {
	return a.Name == b.Name && a.Process == b.Process && slices.Equal(a.Args, b.Args) && a.FullCommand == b.FullCommand &&
		a.ParamMatch == b.ParamMatch && a.Quorum == b.Quorum && pointeeEqual(a.QuorumMax, b.QuorumMax) &&
		a.ForkDelay == b.ForkDelay && a.TerminateDelay == b.TerminateDelay && a.Rescan == b.Rescan
}

func fileSpecEqual(a, b track.FileSpec) bool {
	return a.Name == b.Name && a.Path == b.Path && pointeeEqual(a.InitValue, b.InitValue) && a.InitOverwrite == b.InitOverwrite
}

func commandEqual(a, b script.Command) bool {
	return a.Text == b.Text && slices.Equal(a.Args, b.Args)
}

// identityEqual reports whether a and b are both nil or equal identities.
func identityEqual(a, b *script.Identity) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.User == b.User && a.Group == b.Group && a.UID == b.UID && a.GID == b.GID && slices.Equal(a.Groups, b.Groups)
}

// pointeeEqual reports whether a and b are both nil or point to equal
// values.
func pointeeEqual[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// trackerRun is one tracker of the engine and, while Run runs, its goroutine.
type trackerRun struct {
	spec    trackerSpec
	tracker track.Tracker
	stop    context.CancelFunc // nil until started
}

// trackResult is a tracker's report, tagged with the run that made it so
// that a report of a tracker replaced by a reload is ignored.
type trackResult struct {
	run *trackerRun
	r   track.Result
}

// notifyOptions are the settings a Notifier is created with.
type notifyOptions struct {
	runner script.Runner
	fifos  []notify.FIFO
}

// tracking is what a config says about trackers and notify: the tracker
// specs (each tracker once, however many reference it), the notify targets
// and the notifier's options. Each instance's references are set on it.
type tracking struct {
	specs   map[track.Key]trackerSpec
	targets []notify.Target
	notify  notifyOptions
	polled  map[string]netif.LinkBeatMethod // the interfaces a track_interface polls
}

// planTracking derives the tracking of cfg for insts, the instances of cfg.
// It starts nothing; only a track_file's init_file is written, and only for
// a tracker that is new or changed.
func (e *Engine) planTracking(cfg *config.Config, insts []*instance) (*tracking, error) {
	g := &cfg.Global
	runner := script.Runner{Security: g.EnableScriptSecurity, Log: e.log}
	needsScripts := false
	for _, inst := range insts {
		needsScripts = needsScripts || len(inst.cfg.Track.Scripts) > 0 || hasNotify(inst.cfg.Notify)
	}
	for _, sg := range cfg.SyncGroups {
		needsScripts = needsScripts || len(sg.Track.Scripts) > 0 || hasNotify(sg.Notify)
	}
	needsScripts = needsScripts || g.NotifyFIFOScript != nil || g.VRRPNotifyFIFOScript != nil || g.LVSNotifyFIFOScript != nil
	if needsScripts {
		ident, err := script.DefaultIdentity(g.ScriptUser, g.ScriptGroup, g.EnableScriptSecurity)
		if err != nil {
			return nil, atPos(g.Pos, fmt.Errorf("global_defs (%s): %w", g.Pos, err))
		}
		runner.As = &ident
	}

	t := &tracking{specs: map[track.Key]trackerSpec{}, polled: e.polledTracks(insts)}
	groupCfg := map[string]*config.SyncGroup{}
	for _, sg := range cfg.SyncGroups {
		groupCfg[sg.Name] = sg
	}
	for _, inst := range insts {
		refs, err := e.refs(t, cfg, inst.cfg.Track, runner)
		if err != nil {
			return nil, atPos(inst.cfg.Pos, fmt.Errorf("vrrp_instance %s: %w", inst.name, err))
		}
		own := len(refs)
		if sg := groupCfg[inst.cfg.SyncGroup]; sg != nil {
			groupRefs, err := e.refs(t, cfg, sg.Track, runner)
			if err != nil {
				return nil, atPos(sg.Pos, fmt.Errorf("vrrp_sync_group %s: %w", sg.Name, err))
			}
			refs = append(refs, groupRefs...)
		}
		inst.refs = e.entryRefs(t, inst, refs, own)
	}

	for _, inst := range insts {
		s, err := notifyScripts(inst.cfg.Notify)
		if err != nil {
			return nil, atPos(inst.cfg.Pos, fmt.Errorf("vrrp_instance %s: %w", inst.name, err))
		}
		inst.scripts = s
		t.targets = append(t.targets, notify.Target{Kind: notify.Instance, Name: inst.name, Scripts: s})
	}
	for _, sg := range cfg.SyncGroups {
		s, err := notifyScripts(sg.Notify)
		if err != nil {
			return nil, atPos(sg.Pos, fmt.Errorf("vrrp_sync_group %s: %w", sg.Name, err))
		}
		t.targets = append(t.targets, notify.Target{Kind: notify.Group, Name: sg.Name, Scripts: s})
	}
	fifos, err := notifyFIFOs(g)
	if err != nil {
		return nil, err
	}
	t.notify = notifyOptions{runner: runner, fifos: fifos}
	return t, nil
}

// refs maps a track_* block onto tracker references, adding each tracker's
// spec to t the first time it is referenced.
func (e *Engine) refs(t *tracking, cfg *config.Config, tr config.Tracking, runner script.Runner) ([]track.Ref, error) {
	var refs []track.Ref
	for _, ti := range tr.Interfaces {
		key := track.Key{Kind: track.KindInterface, Name: ti.Name}
		if _, ok := t.specs[key]; !ok {
			t.specs[key] = e.interfaceTracker(ti.Name, t.polled)
		}
		refs = append(refs, track.Ref{Key: key, Weight: ti.Weight, Reverse: ti.Reverse})
	}
	for _, r := range tr.Scripts {
		key := track.Key{Kind: track.KindScript, Name: r.Name}
		if _, ok := t.specs[key]; !ok {
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
			t.specs[key] = trackerSpec{kind: key.Kind, script: spec, runner: runner, build: func() track.Tracker { return track.NewScript(spec, runner) }}
		}
		refs = append(refs, track.Ref{Key: key, Weight: r.Weight, Reverse: r.Reverse})
	}
	for _, r := range tr.Processes {
		key := track.Key{Kind: track.KindProcess, Name: r.Name}
		if _, ok := t.specs[key]; !ok {
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
			t.specs[key] = trackerSpec{kind: key.Kind, process: spec, build: func() track.Tracker { return track.NewProcess(spec, e.log) }}
		}
		refs = append(refs, track.Ref{Key: key, Weight: r.Weight, Reverse: r.Reverse})
	}
	for _, r := range tr.Files {
		key := track.Key{Kind: track.KindFile, Name: r.Name}
		if _, ok := t.specs[key]; !ok {
			f := cfg.TrackFile(r.Name)
			if f == nil {
				return nil, fmt.Errorf("%s: track_file %q is not a defined track_file", r.Pos, r.Name)
			}
			spec := track.FileSpec{Name: f.Name, Path: f.File, InitOverwrite: f.Overwrite}
			if f.InitFile {
				v := int64(f.InitValue)
				spec.InitValue = &v
			}
			ts := trackerSpec{kind: key.Kind, file: spec, build: func() track.Tracker { return track.NewFile(spec, e.log) }}
			if cur := e.trackers[key]; !e.checking && (cur == nil || !cur.spec.equal(ts)) {
				if err := spec.InitFile(); err != nil {
					return nil, fmt.Errorf("track_file %s (%s): init_file: %w", f.Name, f.Pos, err)
				}
			}
			t.specs[key] = ts
		}
		refs = append(refs, track.Ref{Key: key, Weight: r.Weight, Reverse: r.Reverse})
	}
	return refs, nil
}

// hasNotify reports whether n configures a script to run.
func hasNotify(n config.Notify) bool {
	return n.Master != nil || n.Backup != nil || n.Fault != nil || n.Stop != nil || n.All != nil ||
		n.Deleted != nil && n.Deleted.Text != "" || n.MasterRxLowerPrio != nil
}

// notifyFIFOs are global_defs' notify_fifo, vrrp_notify_fifo and
// lvs_notify_fifo with their reader scripts; keepalived writes every VRRP
// line to the first two and every LVS line to the first and the last. One
// path named twice is one FIFO, taking the lines of both.
func notifyFIFOs(g *config.GlobalDefs) ([]notify.FIFO, error) {
	var fifos []notify.FIFO
	for _, f := range []struct {
		keyword       string
		path, reader  *config.Command
		noVRRP, noLVS bool
	}{
		{"notify_fifo", g.NotifyFIFO, g.NotifyFIFOScript, false, false},
		{"vrrp_notify_fifo", g.VRRPNotifyFIFO, g.VRRPNotifyFIFOScript, false, true},
		{"lvs_notify_fifo", g.LVSNotifyFIFO, g.LVSNotifyFIFOScript, true, false},
	} {
		if f.path == nil {
			continue // a reader without its FIFO: config warns that it is not started
		}
		reader, err := commandAction(f.reader)
		if err != nil {
			return nil, fmt.Errorf("global_defs (%s): %s_script: %w", g.Pos, f.keyword, err)
		}
		if i := slices.IndexFunc(fifos, func(x notify.FIFO) bool { return x.Path == f.path.Text }); i >= 0 {
			if fifos[i].Reader.Command.IsZero() {
				fifos[i].Reader = reader
			}
			fifos[i].NoVRRP = fifos[i].NoVRRP && f.noVRRP
			fifos[i].NoLVS = fifos[i].NoLVS && f.noLVS
			continue
		}
		fifos = append(fifos, notify.FIFO{Path: f.path.Text, Reader: reader, NoVRRP: f.noVRRP, NoLVS: f.noLVS})
	}
	return fifos, nil
}

// commandAction is a configured command with the user it runs as; nil is the zero Action.
func commandAction(cmd *config.Command) (notify.Action, error) {
	var a notify.Action
	if cmd == nil {
		return a, nil
	}
	a.Command = script.Command{Text: cmd.Text, Args: cmd.Args}
	if cmd.User != "" {
		id, err := script.LookupIdentity(cmd.User, cmd.Group)
		if err != nil {
			return a, fmt.Errorf("script %q: user %q: %w", cmd.Text, cmd.User, err)
		}
		a.As = &id
	}
	return a, nil
}

// notifyScripts maps an instance's or group's notify keywords.
func notifyScripts(n config.Notify) (notify.Scripts, error) {
	var s notify.Scripts
	for _, m := range []struct {
		cmd *config.Command
		to  *notify.Action
	}{{n.Master, &s.Master}, {n.Backup, &s.Backup}, {n.Fault, &s.Fault}, {n.Stop, &s.Stop}, {n.All, &s.Notify},
		{n.Deleted, &s.Deleted}, {n.MasterRxLowerPrio, &s.MasterRxLowerPri}} {
		a, err := commandAction(m.cmd)
		if err != nil {
			return s, fmt.Errorf("notify %w", err)
		}
		*m.to = a
	}
	return s, nil
}

// startTracker runs run's tracker on a helper goroutine until the engine
// stops or a reload removes or replaces it; results reach the event loop.
func (e *Engine) startTracker(run *trackerRun) {
	ctx, cancel := context.WithCancel(e.bg)
	run.stop = cancel
	e.spawn(func() {
		run.tracker.Run(ctx, func(r track.Result) {
			select {
			case e.trackResults <- trackResult{run: run, r: r}:
			case <-ctx.Done():
			}
		})
	})
}

// trackerResult records a tracker's new result and re-evaluates every
// instance that references it; a track_interface tracker's change of state
// goes through its interface's interface_up_down_delays first.
func (e *Engine) trackerResult(tr trackResult) {
	r := tr.r
	if e.trackers[r.Key] != tr.run {
		return // from a tracker a reload has stopped
	}
	if r.Key.Kind == track.KindInterface {
		prev, seen := e.results[r.Key]
		e.debounce(trackSource(r.Key.Name), r.Key.Name, r.Up, prev.Up, seen, func(now time.Time) {
			if e.trackers[r.Key] == tr.run {
				e.trackerChange(r, now)
			}
		})
		return
	}
	e.trackerChange(r, e.clock.Now())
}

// trackerChange records a tracker's result and re-evaluates every instance
// that references it.
func (e *Engine) trackerChange(r track.Result, now time.Time) {
	prev, seen := e.results[r.Key]
	e.results[r.Key] = r
	if !seen || prev.Up != r.Up || prev.Value != r.Value {
		e.log.Info("tracker", "tracker", r.Key.String(), "up", r.Up, "value", r.Value, "detail", r.Detail)
	}
	for _, inst := range e.instances {
		for _, ref := range inst.refs {
			if ref.Key == r.Key {
				e.retrack(inst, now)
				break
			}
		}
	}
}

// verdict is the trackers' verdict on an instance.
type verdict struct {
	priority uint8
	fault    bool
	reason   string
}

// verdict computes inst's effective priority and whether a weight-0 tracker
// holds it in FAULT, from the latest results.
func (e *Engine) verdict(inst *instance) verdict {
	out := track.Effective(inst.cfg.Priority, inst.refs, e.results)
	reason := strings.Join(entryReasons(inst, out.Reasons), ", ")
	if reason == "" {
		reason = "every tracker healthy"
	}
	return verdict{priority: out.Priority, fault: out.Fault, reason: reason}
}

// retrack applies the trackers' verdict to inst: its effective priority and
// whether a weight-0 tracker holds it in FAULT.
func (e *Engine) retrack(inst *instance, now time.Time) {
	if len(inst.refs) == 0 {
		return
	}
	v := e.verdict(inst)
	if inst.m != nil && v.priority != inst.m.Priority() {
		e.apply(inst, inst.m.SetPriority(now, v.priority, v.reason))
	}
	e.setFault(inst, now, trackersFaultKey, "tracker: "+v.reason, v.fault)
}

// notifyTransition hands an instance's transition, and its group's if the
// group's state changed with it, to the notifier.
func (e *Engine) notifyTransition(inst *instance, tr vrrp.Transition) {
	state, ok := notifyState(tr.To)
	if !ok {
		return
	}
	if state == notify.Stop && inst.deleted && inst.cfg.Notify.Deleted != nil {
		state = notify.Deleted
	}
	e.emit(notify.Event{Kind: notify.Instance, Name: inst.name, State: state, Priority: int(inst.m.Priority())})
	g := inst.group
	if g == nil {
		return
	}
	if gs := g.state(); gs != g.notified {
		g.notified = gs
		e.log.Info("sync group transition", "group", g.name, "to", gs.String())
		e.emit(notify.Event{Kind: notify.Group, Name: g.name, State: gs})
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

// closeNotifier lets the notify scripts queued on n (notify_stop among
// them) finish, bounded by notifyStopTimeout, and logs what was lost unless
// log is nil.
func closeNotifier(n *notify.Notifier, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), notifyStopTimeout)
	defer cancel()
	err := n.Close(ctx)
	if log == nil {
		return
	}
	if err != nil {
		log.Warn("notify scripts still running at exit were killed", "err", err)
	}
	if d := n.Dropped(); d > 0 {
		log.Warn("notify events were dropped because their queue was full", "dropped", d)
	}
	if d := n.FIFODropped(); d > 0 {
		log.Warn("notify FIFO lines were dropped because no reader kept up", "dropped", d)
	}
}

// seedLinks gives each new interface tracker the interface's state as the
// host reports it, as keepalived knows it when it (re)loads (and an
// interface up then has been seen up, so that its interface_up_down_delays
// apply): an instance neither starts nor reloads into FAULT because its
// tracker has not reported yet. The tracker's own reports follow.
func (e *Engine) seedLinks(t *tracking) {
	for key := range t.specs {
		if _, seen := e.results[key]; seen || key.Kind != track.KindInterface {
			continue
		}
		up, err := e.host.LinkUp(key.Name)
		detail := key.Name + " link down when the config was applied"
		if err != nil {
			up, detail = false, fmt.Sprintf("%s unreadable when the config was applied (down): %v", key.Name, err)
		}
		if up {
			detail = key.Name + " link up when the config was applied"
			e.seenUp[trackSource(key.Name)] = true
		}
		e.results[key] = track.Result{Key: key, Up: up, Detail: detail}
	}
}
