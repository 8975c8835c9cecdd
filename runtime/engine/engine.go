// Package engine runs the vrrp_instances of a keepalived config on this host.
//
// It is a reconciler around runtime/vrrp's pure state machines: from a config
// it derives the desired instance set, diffs it against the running one and
// starts, reconfigures or stops machines; it feeds every machine its events —
// received adverts, timer expiries, link changes, tracker results — and
// carries out the actions the machines return, in order, on a Host (the
// addresses, routes, sockets and links of the machine: runtime/netif, or a
// fake in tests) at the time of a Clock. One goroutine, the
// event loop, owns every machine, so instances never race each other and sync
// groups see a consistent picture; socket readers and the link watcher only
// hand events to it. Apply hands it a new version of the config, which it
// applies touching only the instances that changed.
package engine

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/notify"
	"github.com/havip/havip/runtime/track"
	"github.com/havip/havip/runtime/vrrp"
)

// retryInterval is how often an instance that could not start (no usable
// source address yet, e.g. an IPv6 link-local still in DAD) is retried.
const retryInterval = time.Second

// Engine runs a set of VRRP instances. Create it with New, run it with Run,
// and hand it later versions of the config with Apply while it runs.
type Engine struct {
	log       *slog.Logger
	host      Host
	clock     Clock
	instances []*instance
	sched     schedule // instances by next deadline
	ports     map[portKey]*port
	announce  map[string]Announcer
	pacing    pacing                // vrrp_garp_interval / vrrp_gna_interval and when each interface may announce next
	ifnames   []string              // interfaces whose link state the instances follow
	linkUp    map[string]bool       // last reported link state per interface
	linkIndex map[string]int        // last reported index per interface, to see one re-created
	vmacs     map[string]netif.VMAC // use_vmac devices made or adopted, by name
	promoted  map[string]bool       // interfaces whose promote_secondaries the engine turned on
	// startupDelay is vrrp_startup_delay: no instance starts before startAt, that long after
	// Run began.
	startupDelay time.Duration
	startAt      time.Time
	static       staticSet // static_* as installed (while Run runs) or to install
	// staticRestored counts static addresses, routes and rules restored after a removal behind
	// havip's back, by kind.
	staticRestored map[string]uint64

	trackers     map[track.Key]*trackerRun
	results      map[track.Key]track.Result
	notifier     *notify.Notifier
	notifyOpts   notifyOptions
	trackResults chan trackResult

	packets chan inbound
	links   chan netif.LinkEvent
	applies chan applyRequest
	// calls carries functions to run on the event loop (snapshots, clearing statistics).
	calls   chan func()
	done    chan struct{} // closed when Run returns
	timer   Timer
	limiter logLimiter
	sendBuf []byte
	// heartbeat is when the loop last ran the heartbeat (unix ns), for the liveness probe (observe.go).
	heartbeat atomic.Int64
	// virtualServers reports the LVS half's virtual servers for the
	// snapshot (ReportVirtualServers); nil without one.
	virtualServers atomic.Pointer[func() []VirtualServerStatus]

	// checking is set by Check: planning writes no file.
	checking bool
	// live is set once the instances have started: a reload then starts,
	// reconfigures and stops them, where before it only replaces the set.
	live bool
	// Set while Run runs: the context of its helper goroutines (socket
	// readers, link watcher, trackers), which it waits for before returning.
	bg        context.Context
	wg        sync.WaitGroup
	stopLinks context.CancelFunc

	firewall firewallHook
}

// Options are what an engine runs on; the zero value is this machine.
type Options struct {
	Log   *slog.Logger // nil: slog.Default()
	Host  Host         // nil: SystemHost
	Clock Clock        // nil: SystemClock
}

// New prepares the instances of cfg on this machine: it resolves their
// interfaces and opens the sockets they need, so that a config that cannot
// run fails here, before anything on the host is touched. cfg must have
// passed config validation.
func New(cfg *config.Config, log *slog.Logger) (*Engine, error) {
	return NewWithOptions(cfg, Options{Log: log})
}

// NewWithOptions is New on the host and clock of opts.
func NewWithOptions(cfg *config.Config, opts Options) (*Engine, error) {
	e := newEngine(cfg, opts)
	p, err := e.plan(cfg)
	if err != nil {
		return nil, err
	}
	e.commit(p)
	return e, nil
}

// newEngine is an engine without instances.
func newEngine(cfg *config.Config, opts Options) *Engine {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Host == nil {
		opts.Host = SystemHost{}
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	return &Engine{
		log:          opts.Log,
		host:         opts.Host,
		clock:        opts.Clock,
		ports:        map[portKey]*port{},
		announce:     map[string]Announcer{},
		pacing:       pacing{next: map[paceKey]time.Time{}},
		linkUp:       map[string]bool{},
		linkIndex:    map[string]int{},
		vmacs:        map[string]netif.VMAC{},
		promoted:     map[string]bool{},
		trackers:     map[track.Key]*trackerRun{},
		results:      map[track.Key]track.Result{},
		packets:      make(chan inbound, 1024),
		trackResults: make(chan trackResult, 64),
		links:        make(chan netif.LinkEvent, 64),
		applies:      make(chan applyRequest),
		calls:        make(chan func()),
		done:         make(chan struct{}),
		limiter:      logLimiter{every: logEvery, last: map[string]time.Time{}},
		startupDelay: cfg.Global.StartupDelay,
	}
}

// Run runs the instances until ctx is done, then releases them: masters send
// a priority-0 advert and every VIP is removed. It returns after the release.
// Run may be called once.
func (e *Engine) Run(ctx context.Context) error {
	defer e.close()
	defer close(e.done)
	bg, stopHelpers := context.WithCancel(context.Background())
	e.bg = bg
	defer func() {
		stopHelpers()
		for _, p := range e.ports {
			p.closeReceiver()
		}
		e.wg.Wait()
	}()
	e.begin()
	e.timer = e.clock.NewTimer(time.Hour)
	defer e.timer.Stop()
	for {
		e.arm()
		select {
		case <-ctx.Done():
			e.stop()
			return nil
		case in := <-e.packets:
			e.receive(in)
		case ev := <-e.links:
			e.link(ev)
		case r := <-e.trackResults:
			e.trackerResult(r)
		case req := <-e.applies:
			req.result <- e.reload(req.cfg)
		case f := <-e.calls:
			f()
		case <-e.timer.C():
			e.receiveQueued()
			e.expire(e.clock.Now())
		}
	}
}

// receiveQueued hands the adverts already read to their instances, so that
// a timer that fired late (a busy loop, a burst) does not expire an
// instance whose master's advert is waiting in the queue.
func (e *Engine) receiveQueued() {
	for range cap(e.packets) {
		select {
		case in := <-e.packets:
			e.receive(in)
		default:
			return
		}
	}
}

// begin clears what an earlier run left, installs the static addresses,
// routes and rules, starts the helper goroutines (when Run runs) and the
// instances.
func (e *Engine) begin() {
	e.startFirewall()
	e.promoteSecondaries(e.instances)
	e.removeStale(e.instances)
	e.installStatic(e.static, staticSet{})
	if e.running() {
		for _, p := range e.ports {
			e.readPort(p)
		}
		e.watchLinks()
		e.observe()
		for _, run := range e.trackers {
			e.startTracker(run)
		}
	}
	now := e.clock.Now()
	e.startAt = now.Add(e.startupDelay)
	if e.startupDelay > 0 {
		e.log.Info("instances start after vrrp_startup_delay", "delay", e.startupDelay.String())
	}
	e.live = true
	for _, inst := range e.instances {
		e.start(inst, e.clock.Now()) // each from its own start: starting 1000 takes a while
	}
	e.resetSchedule()
}

// running reports whether Run runs, with its helper goroutines.
func (e *Engine) running() bool { return e.bg != nil }

// spawn runs f on a helper goroutine that Run waits for before returning.
func (e *Engine) spawn(f func()) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
}

// readPort starts p's socket readers.
func (e *Engine) readPort(p *port) {
	rx := p.rx
	e.spawn(func() { p.read(e.bg, rx, false, e.packets, e.log) })
	if ahRx := p.ahRx; ahRx != nil {
		e.spawn(func() { p.read(e.bg, ahRx, true, e.packets, e.log) })
	}
}

// watchLinks (re)starts the link watcher on the interfaces in e.ifnames.
func (e *Engine) watchLinks() {
	if e.stopLinks != nil {
		e.stopLinks()
	}
	ctx, cancel := context.WithCancel(e.bg)
	e.stopLinks = cancel
	ifnames := slices.Clone(e.ifnames)
	e.spawn(func() {
		if err := e.host.WatchLinks(ctx, ifnames, func(ev netif.LinkEvent) {
			select {
			case e.links <- ev:
			case <-ctx.Done():
			}
		}); err != nil {
			e.log.Error("watching interface links failed; link loss will not cause FAULT", "err", err)
		}
	})
}

// removeStale deletes the virtual routes and rules of insts that are not
// MASTER, and the VIPs of insts that are installed although no
// master of this engine holds them: left by an earlier run that crashed, as
// keepalived removes them at start (the address owner re-adds its own at
// once), or by anything else before a reload added the instance.
func (e *Engine) removeStale(insts []*instance) {
	var vips []netif.VIP
	for _, inst := range insts {
		for _, v := range inst.vips {
			if !e.heldByMaster(v) {
				vips = append(vips, v)
			}
		}
	}
	for _, inst := range insts {
		if inst.m == nil || inst.m.State() != vrrp.StateMaster {
			e.removeRouting(inst.name, inst.routing)
		}
	}
	removed, err := e.host.RemoveStale(vips)
	for _, v := range removed {
		e.log.Warn("removed a VIP left over from an earlier run", "vip", v.String())
	}
	if err != nil {
		e.log.Error("removing stale VIPs", "err", err)
	}
}

// heldByMaster reports whether a running MASTER instance holds v.
func (e *Engine) heldByMaster(v netif.VIP) bool {
	for _, inst := range e.instances {
		if inst.m != nil && inst.m.State() == vrrp.StateMaster && containsVIP(inst.vips, v) {
			return true
		}
	}
	return false
}

// start creates inst's state machine once its source address is known and
// runs its Startup event; without an address it stays in FAULT and is
// retried every retryInterval.
func (e *Engine) start(inst *instance, now time.Time) {
	if inst.m != nil {
		return
	}
	if now.Before(e.startAt) { // vrrp_startup_delay: the schedule calls start again then
		inst.retryAt = e.startAt
		e.reschedule(inst)
		return
	}
	if err := inst.build(e.host); err != nil {
		if inst.retryAt.IsZero() {
			e.log.Warn("instance waits for a usable source address", "instance", inst.name, "interface", inst.ifname, "err", err)
		}
		inst.retryAt = now.Add(retryInterval)
		e.reschedule(inst)
		return
	}
	inst.retryAt = time.Time{}
	e.markSource(inst, now)
	e.retrack(inst, now)
	for _, reason := range inst.faults {
		e.apply(inst, inst.m.SetFault(now, true, reason))
	}
	e.log.Info("instance starting", "instance", inst.name, "interface", inst.ifname, "vrid", inst.vrid,
		"version", inst.cfg.Version, "priority", inst.m.Priority(), "source", inst.m.Primary().String(),
		"advert_int", inst.cfg.AdvertInt.String(), "unicast", inst.cfg.Unicast())
	if inst.faulted() {
		e.log.Warn("instance starts in FAULT", "instance", inst.name, "faults", inst.faultReasons())
	}
	e.apply(inst, inst.m.Start(now))
}

// stop releases every instance, then lets the notify scripts of the
// transitions to STOP run.
func (e *Engine) stop() {
	now := e.clock.Now()
	for _, inst := range e.instances {
		if inst.m != nil {
			e.apply(inst, inst.m.Stop(now))
		}
	}
	e.removeStatic(e.static, staticSet{})
	closeNotifier(e.notifier, e.log)
}

// receive hands an advert that passed the packet-level checks to its instance.
func (e *Engine) receive(in inbound) {
	inst := in.port.lookup(&in.rx)
	if inst == nil {
		in.port.countUnknownVRID()
		e.limiter.log(e.log, slog.LevelDebug, "unknown-vrid", "advert for a VRID, group or peer not configured here",
			"interface", in.port.key.ifname, "vrid", in.rx.VRID, "source", in.rx.Src.String(), "destination", in.rx.Dst.String())
		return
	}
	if inst.m == nil {
		return
	}
	if inst.vmacUp && in.port != inst.vmacPort && !inst.cfg.Unicast() {
		return // while the VMAC is up, multicast adverts arrive on it too: one copy is enough
	}
	inst.stats.Received(&in.rx)
	e.apply(inst, inst.m.Receive(e.clock.Now(), &in.rx))
}

// link reacts to an interface going down or up: instances on it enter or
// leave FAULT. A state already known (a restarted watcher reports every
// interface again) changes nothing.
func (e *Engine) link(ev netif.LinkEvent) {
	if ev.Index != 0 {
		if prev := e.linkIndex[ev.Name]; prev != 0 && prev != ev.Index {
			e.reopen(ev.Name, prev, ev.Index)
		}
		e.linkIndex[ev.Name] = ev.Index
	}
	if up, ok := e.linkUp[ev.Name]; ok && up == ev.Up {
		return
	}
	e.linkUp[ev.Name] = ev.Up
	now := e.clock.Now()
	key, reason := linkFault(ev.Name)
	for _, inst := range e.instances {
		if inst.ifname != ev.Name {
			continue
		}
		if ev.Up {
			e.log.Info("interface up", "interface", ev.Name, "instance", inst.name)
		} else {
			e.log.Warn("interface down", "interface", ev.Name, "instance", inst.name, "dont_track_primary", inst.cfg.DontTrackPrimary)
		}
		if !inst.cfg.DontTrackPrimary {
			e.setFault(inst, now, key, reason, !ev.Up)
		}
		if ev.Up && inst.m == nil {
			e.start(inst, now)
		}
	}
}

// reopen opens the VRRP and announcement sockets of ifname again: the
// interface was deleted and created again under the same name, and sockets
// bound to the old index neither send nor receive. keepalived follows such
// an interface with dynamic_interfaces; havip always does.
func (e *Engine) reopen(ifname string, from, to int) {
	e.log.Warn("interface re-created; reopening its VRRP and gratuitous ARP sockets", "interface", ifname, "old_index", from, "index", to)
	for _, p := range e.ports {
		if p.key.ifname != ifname {
			continue
		}
		if err := p.reopen(e.host); err != nil {
			e.log.Error("reopening the VRRP sockets of a re-created interface failed; its instances neither send nor hear adverts",
				"port", p.key.String(), "err", err)
			continue
		}
		if e.running() {
			e.readPort(p)
		}
	}
	if old, ok := e.announce[ifname]; ok {
		a, err := e.host.NewAnnouncer(ifname)
		if err != nil {
			e.log.Error("reopening the gratuitous ARP socket of a re-created interface failed", "interface", ifname, "err", err)
			return
		}
		old.Close()
		e.announce[ifname] = a
	}
}

// linkFault returns the FAULT key and reason of interface ifname being down.
func linkFault(ifname string) (key, reason string) {
	return "link " + ifname, "interface " + ifname + " down"
}

// setFault records (under key) or clears one reason for inst to be in FAULT,
// updates its machine when the overall answer changes, and re-evaluates its
// sync group, whose FAULT follows every member's own reasons.
func (e *Engine) setFault(inst *instance, now time.Time, key, reason string, fault bool) {
	if inst.setFault(key, reason, fault) && inst.m != nil {
		e.apply(inst, inst.m.SetFault(now, inst.faulted(), reason))
	}
	if g := inst.group; g != nil {
		e.groupFault(g, now)
	}
}

// close releases the sockets, the use_vmac devices, the promote_secondaries
// it set and havip's nftables table.
func (e *Engine) close() {
	for _, p := range e.ports {
		p.close()
	}
	for _, a := range e.announce {
		a.Close()
	}
	for name := range e.vmacs {
		e.deleteVMAC(name)
	}
	for ifname := range e.promoted {
		e.restorePromote(ifname)
	}
	e.closeFirewall()
}

// deleteVMAC removes a use_vmac device the engine made or adopted.
func (e *Engine) deleteVMAC(name string) {
	if err := e.host.DeleteVMAC(name); err != nil {
		e.log.Error("removing a VMAC failed", "vmac", name, "err", err)
	}
	delete(e.vmacs, name)
}
