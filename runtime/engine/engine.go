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
	"errors"
	"github.com/havip/havip/runtime/alert"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/lvssync"
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
	pacing    pacing          // vrrp_garp_interval / vrrp_gna_interval and when each interface may announce next
	ifnames   []string        // interfaces whose link state the instances follow
	linkUp    map[string]bool // last reported link state per interface
	linkIndex map[string]int  // last reported index per interface, to see one re-created
	// linkDelays are the interface_up_down_delays by interface; held are the
	// link state changes waiting for them, by source (linkSource,
	// trackSource); seenUp are the sources seen up, the only ones whose
	// changes wait (keepalived's seen_up).
	linkDelays map[string]config.InterfaceDelay
	held       map[string]*heldLink
	seenUp     map[string]bool
	vmacs      map[string]netif.VMAC   // use_vmac devices made or adopted (instances' and addresses'), by name
	ipvlans    map[string]netif.IPVlan // use_ipvlan devices made or adopted, by name
	promoted   map[string]bool         // interfaces whose promote_secondaries the engine turned on

	// linkBeat are the interfaces the config polls (linkbeat_interfaces,
	// linkbeat_use_polling) with their preferred method; polling are those
	// of ifnames, which the link watcher polls instead of following netlink.
	linkBeat      map[string]netif.LinkBeatMethod
	polling       map[string]netif.LinkBeatMethod
	linkBeatEvery time.Duration // keepalived's POLLING_DELAY; shorter in tests
	linkPolls     linkPolls     // the pollers, one per polled interface (linkpolls.go)

	// startupDelay is vrrp_startup_delay: no instance starts before startAt, that long after
	// Run began.
	startupDelay time.Duration
	// disableLocalIGMP is disable_local_igmp, applied at start only, as keepalived does;
	// igmpTurnedOff is set when the engine turned the reports off, to turn them on at exit.
	disableLocalIGMP, igmpTurnedOff bool
	startAt                         time.Time
	static                          staticSet // static_* as installed (while Run runs) or to install
	// staticRestored counts static addresses, routes and rules restored after a removal behind
	// havip's back, by kind.
	staticRestored map[string]uint64

	trackers map[track.Key]*trackerRun
	results  map[track.Key]track.Result
	notifier *notify.Notifier
	alerts   *alert.Alerter // nil: no email alerts
	// lvsNotifier is notifier for NotifyLVS, which runs off the event loop; nil once stopping.
	lvsNotifier  atomic.Pointer[notify.Notifier]
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
	syncd    syncDaemon // lvs_sync_daemon (lvssync.go)
}

// Options are what an engine runs on; the zero value is this machine.
type Options struct {
	Log   *slog.Logger // nil: slog.Default()
	Host  Host         // nil: SystemHost
	Clock Clock        // nil: SystemClock
	// SyncDaemon runs lvs_sync_daemon; nil: the kernel's IPVS (lvssync.Netlink).
	SyncDaemon lvssync.Daemon
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
	if opts.SyncDaemon == nil {
		opts.SyncDaemon = lvssync.Netlink{}
	}
	return &Engine{
		log:              opts.Log,
		host:             opts.Host,
		clock:            opts.Clock,
		ports:            map[portKey]*port{},
		announce:         map[string]Announcer{},
		pacing:           pacing{next: map[paceKey]time.Time{}},
		linkUp:           map[string]bool{},
		linkIndex:        map[string]int{},
		linkDelays:       interfaceDelays(cfg),
		linkBeat:         linkBeatConfig(cfg),
		linkBeatEvery:    linkBeatInterval,
		held:             map[string]*heldLink{},
		seenUp:           map[string]bool{},
		vmacs:            map[string]netif.VMAC{},
		promoted:         map[string]bool{},
		trackers:         map[track.Key]*trackerRun{},
		results:          map[track.Key]track.Result{},
		packets:          make(chan inbound, 1024),
		trackResults:     make(chan trackResult, 64),
		links:            make(chan netif.LinkEvent, 64),
		applies:          make(chan applyRequest),
		calls:            make(chan func()),
		done:             make(chan struct{}),
		limiter:          logLimiter{every: logEvery, last: map[string]time.Time{}},
		startupDelay:     cfg.Global.StartupDelay,
		disableLocalIGMP: cfg.Global.DisableLocalIGMP,
		syncd:            syncDaemon{d: opts.SyncDaemon, cfg: cfg.Global.LVSSyncDaemon},
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
	e.disableIGMPReports()
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
	e.startSyncDaemons()
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

// watchLinks (re)starts the link watcher on the interfaces in e.ifnames:
// netlink for most, a poller for each one the config polls.
func (e *Engine) watchLinks() {
	if e.stopLinks != nil {
		e.stopLinks()
	}
	ctx, cancel := context.WithCancel(e.bg)
	e.stopLinks = cancel
	send := func(ev netif.LinkEvent) {
		select {
		case e.links <- ev:
		case <-ctx.Done():
		}
	}
	e.polling = e.polledLinks()
	e.logUnpolled()
	var ifnames []string
	for _, name := range e.ifnames {
		if _, polled := e.polling[name]; !polled {
			ifnames = append(ifnames, name)
		}
	}
	e.spawn(func() {
		if err := e.host.WatchLinks(ctx, ifnames, send); err != nil {
			e.log.Error("watching interface links failed; link loss will not cause FAULT", "err", err)
		}
	})
	for name, prefer := range e.polling {
		e.spawn(func() { e.followLink(ctx, name, prefer, send) })
	}
}

// linkBeatInterval is how often a polled link is read: keepalived's
// POLLING_DELAY.
const linkBeatInterval = time.Second

// linkBeatConfig is the interfaces cfg polls, with their preferred method:
// the linkbeat_interfaces entries, and the interface of each instance
// with linkbeat_use_polling (its own or the top-level one), which keeps a
// method linkbeat_interfaces gives, as in keepalived.
func linkBeatConfig(cfg *config.Config) map[string]netif.LinkBeatMethod {
	m := map[string]netif.LinkBeatMethod{}
	for _, in := range cfg.Instances {
		if in.Interface != "" && (cfg.LinkBeatUsePolling || in.LinkBeatUsePolling) {
			m[in.Interface] = netif.LinkBeatDefault
		}
	}
	for _, l := range cfg.LinkBeat {
		m[l.Name] = map[string]netif.LinkBeatMethod{
			"MII": netif.LinkBeatMII, "ETHTOOL": netif.LinkBeatEthtool, "IOCTL": netif.LinkBeatIoctl,
		}[l.Method]
	}
	return m
}

// polledLinks is the interfaces of e.ifnames the config polls. Like
// keepalived, havip does not poll an interface no instance uses, nor a
// use_vmac device (netlink works for those).
func (e *Engine) polledLinks() map[string]netif.LinkBeatMethod {
	m := map[string]netif.LinkBeatMethod{}
	for name, prefer := range e.linkBeat {
		if slices.Contains(e.ifnames, name) {
			m[name] = prefer
		}
	}
	return m
}

// logUnpolled says which interfaces the config polls that are not polled.
func (e *Engine) logUnpolled() {
	for name := range e.linkBeat {
		switch _, vmac := e.vmacs[name]; {
		case slices.Contains(e.ifnames, name), e.trackPolls(name):
		case vmac:
			e.log.Info("linkbeat is not used for a use_vmac device: netlink works for it", "interface", name)
		default:
			e.log.Info("linkbeat is not used for an interface no instance uses", "interface", name)
		}
	}
}

// pollLink reads ifname's link every e.linkBeatEvery, the first time at
// once, and sends its state each time it changes, the first one included,
// until ctx is done.
func (e *Engine) pollLink(ctx context.Context, ifname string, prefer netif.LinkBeatMethod, send func(netif.LinkEvent)) {
	tick := time.NewTicker(e.linkBeatEvery)
	defer tick.Stop()
	p := linkPoller{e: e, ifname: ifname, prefer: prefer, send: send, used: -1}
	for {
		p.poll()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// linkPoller is what pollLink knows of its interface between polls.
type linkPoller struct {
	e       *Engine
	ifname  string
	prefer  netif.LinkBeatMethod
	send    func(netif.LinkEvent)
	last    *netif.LinkEvent     // the state last sent; nil before the first
	used    netif.LinkBeatMethod // the method of the last poll; -1 before the first
	lastErr string               // the error of the last poll, logged once
}

// poll reads the link once and sends its state if it changed. A missing
// interface is down; on another error the state is kept.
func (p *linkPoller) poll() {
	ev, method, err := p.e.host.LinkBeat(p.ifname, p.prefer)
	switch {
	case errors.Is(err, netif.ErrNoInterface):
		ev, method = netif.LinkEvent{Name: p.ifname}, p.used
	case err != nil:
		if err.Error() != p.lastErr {
			p.e.log.Error("linkbeat: polling the link failed; its state is kept", "interface", p.ifname, "err", err)
		}
		p.lastErr = err.Error()
		return
	}
	p.lastErr = ""
	if method != p.used {
		p.used = method
		if p.prefer != netif.LinkBeatDefault && method != p.prefer {
			p.e.log.Info("linkbeat: the configured type is not supported by the interface", "interface", p.ifname, "configured", p.prefer.String(), "using", method.String())
		} else {
			p.e.log.Info("linkbeat: polling the link", "interface", p.ifname, "type", method.String())
		}
	}
	if p.last == nil || ev != *p.last {
		if p.last != nil && ev.Up != p.last.Up {
			p.e.log.Info("linkbeat reports a change", "interface", p.ifname, "up", ev.Up)
		}
		p.last = &ev
		p.send(ev)
	}
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
	// keepalived 2.2.7 exits before its STOP alerts reach the server: none are sent.
	alerts := e.alerts
	e.alerts = nil
	e.stopSyncDaemons()
	now := e.clock.Now()
	for _, inst := range e.instances {
		if inst.m != nil {
			e.apply(inst, inst.m.Stop(now))
		}
	}
	e.removeStatic(e.static, staticSet{})
	e.lvsNotifier.Store(nil)
	closeNotifier(e.notifier, e.log)
	alerts.Close(alertStopWait)
}

// NotifyLVS writes a line of the LVS half that runs beside the engine ("VS
// [192.0.2.10]:tcp:80 UP", without its newline) to notify_fifo and
// lvs_notify_fifo. It can be called from any goroutine; lines after the
// engine stopped are dropped.
func (e *Engine) NotifyLVS(line string) {
	if n := e.lvsNotifier.Load(); n != nil {
		n.NotifyLVS(line)
	}
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

// reload applies a new version of the config, its
// interface_up_down_delays (which the changes still held keep) and its
// lvs_sync_daemon; with fifo_write_vrrp_states_on_reload it writes to the
// notify FIFOs the states the reload kept.
func (e *Engine) reload(cfg *config.Config) error {
	linkBeat := e.linkBeat
	e.linkBeat = linkBeatConfig(cfg)
	before := e.fifoStates()
	if err := e.reconfigure(cfg); err != nil {
		e.linkBeat = linkBeat
		return err
	}
	if e.running() && !maps.Equal(e.polledLinks(), e.polling) {
		e.watchLinks()
	}
	e.linkDelays = interfaceDelays(cfg)
	e.reloadSyncDaemons(cfg)
	if cfg.Global.FIFOWriteStatesOnReload && e.notifier != nil {
		e.writeKeptStates(before)
	}
	return nil
}

// link reacts to an interface going down or up: instances on it enter or
// leave FAULT, after the interface's interface_up_down_delays. A state
// already known (a restarted watcher reports every interface again)
// changes nothing.
func (e *Engine) link(ev netif.LinkEvent) {
	if ev.Index != 0 {
		if prev := e.linkIndex[ev.Name]; prev != 0 && prev != ev.Index {
			e.reopen(ev.Name, prev, ev.Index)
		}
		e.linkIndex[ev.Name] = ev.Index
	}
	up, known := e.linkUp[ev.Name]
	e.debounce(linkSource(ev.Name), ev.Name, ev.Up, up, known, func(now time.Time) { e.linkChange(ev, now) })
}

// linkChange makes the instances on ev's interface enter or leave FAULT.
func (e *Engine) linkChange(ev netif.LinkEvent, now time.Time) {
	e.linkUp[ev.Name] = ev.Up
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

// heldLink is a link state change waiting for its interface's delay.
type heldLink struct {
	ifname string
	up     bool
	at     time.Time
	apply  func(now time.Time)
}

// linkSource and trackSource name the two sources of link states: the link
// watcher of the instances' interfaces and a track_interface tracker.
func linkSource(ifname string) string  { return "link " + ifname }
func trackSource(ifname string) string { return "track " + ifname }

// interfaceDelays indexes cfg's interface_up_down_delays by interface.
func interfaceDelays(cfg *config.Config) map[string]config.InterfaceDelay {
	m := make(map[string]config.InterfaceDelay, len(cfg.InterfaceDelays))
	for _, d := range cfg.InterfaceDelays {
		m[d.Interface] = d
	}
	return m
}

// linkDelay is how long a change of interface ifname to up (or down)
// waits: its interface_up_down_delays entry, or its parent's for a use_vmac
// device.
func (e *Engine) linkDelay(ifname string, up bool) time.Duration {
	d, ok := e.linkDelays[ifname]
	if v, isVMAC := e.vmacs[ifname]; !ok && isVMAC {
		d = e.linkDelays[v.Parent]
	}
	if up {
		return d.Up
	}
	return d.Down
}

// debounce passes a state of interface ifname reported by source, whose
// state in force is cur (if known), to apply after the interface's delay,
// as keepalived 2.2.7's update_interface_flags does: a change waits only
// once source has been seen up; a state back to the one in force before the
// delay expires cancels the held change, so nothing happens; a report of the
// held state again keeps its deadline. The first report of a source and a
// change without a delay apply at once.
func (e *Engine) debounce(source, ifname string, up, cur, known bool, apply func(now time.Time)) {
	if h := e.held[source]; h != nil {
		if h.up == up {
			h.apply = apply
			return
		}
		delete(e.held, source)
		e.log.Info("interface state restored within interface_up_down_delays; no transition", "interface", ifname, "up", up, "source", source)
	}
	if known && cur == up {
		return
	}
	now := e.clock.Now()
	if d := e.linkDelay(ifname, up); d > 0 && known && e.seenUp[source] {
		e.held[source] = &heldLink{ifname: ifname, up: up, at: now.Add(d), apply: apply}
		e.log.Info("interface state change held by interface_up_down_delays", "interface", ifname, "up", up, "delay", d.String(), "source", source)
		return
	}
	if up {
		e.seenUp[source] = true
	}
	apply(now)
}

// nextLinkChange is when the earliest held link change is due; zero if none.
func (e *Engine) nextLinkChange() time.Time {
	var first time.Time
	for _, h := range e.held {
		first = earliest(first, h.at)
	}
	return first
}

// settleLinks applies the held link changes due at now, in source order.
func (e *Engine) settleLinks(now time.Time) {
	var sources []string
	for source, h := range e.held {
		if due(h.at, now) {
			sources = append(sources, source)
		}
	}
	slices.Sort(sources)
	for _, source := range sources {
		h := e.held[source]
		delete(e.held, source)
		if h.up {
			e.seenUp[source] = true
		}
		e.log.Info("interface state change applied after interface_up_down_delays", "interface", h.ifname, "up", h.up, "source", source)
		h.apply(now)
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
	e.closeIPVlans()
	for ifname := range e.promoted {
		e.restorePromote(ifname)
	}
	e.restoreIGMPReports()
	e.closeFirewall()
}

// deleteVMAC removes a use_vmac device the engine made or adopted.
func (e *Engine) deleteVMAC(name string) {
	if err := e.host.DeleteVMAC(name); err != nil {
		e.log.Error("removing a VMAC failed", "vmac", name, "err", err)
	}
	delete(e.vmacs, name)
}
