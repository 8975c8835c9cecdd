// Package engine runs the vrrp_instances of a keepalived config on this host.
//
// It is the imperative shell around runtime/vrrp's pure state machines: it
// owns the clock, the sockets (runtime/netif) and the addresses, feeds every
// machine its events — received adverts, timer expiries, link changes — and
// carries out the actions the machines return, in order. One goroutine, the
// event loop, owns every machine, so instances never race each other and sync
// groups see a consistent picture; socket readers and the link watcher only
// hand events to it.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/notify"
	"github.com/havip/havip/runtime/track"
)

// retryInterval is how often an instance that could not start (no usable
// source address yet, e.g. an IPv6 link-local still in DAD) is retried.
const retryInterval = time.Second

// Engine runs a set of VRRP instances. Create it with New, run it with Run.
type Engine struct {
	log       *slog.Logger
	instances []*instance
	ports     map[portKey]*port
	announce  map[string]*netif.Announcer
	ifnames   []string // interfaces whose link state the instances follow

	trackers     map[track.Key]track.Tracker
	results      map[track.Key]track.Result
	notifier     *notify.Notifier
	trackResults chan track.Result

	packets chan inbound
	links   chan netif.LinkEvent
	timer   *time.Timer
	limiter logLimiter
	sendBuf []byte
}

// New prepares the instances of cfg: it resolves their interfaces and opens
// the sockets they need, so that a config that cannot run fails here, before
// anything on the host is touched. cfg must have passed config validation.
func New(cfg *config.Config, log *slog.Logger) (*Engine, error) {
	if log == nil {
		log = slog.Default()
	}
	e := &Engine{
		log:          log,
		ports:        map[portKey]*port{},
		announce:     map[string]*netif.Announcer{},
		packets:      make(chan inbound, 1024),
		trackResults: make(chan track.Result, 64),
		links:        make(chan netif.LinkEvent, 64),
		limiter:      logLimiter{every: logEvery, last: map[string]time.Time{}},
	}
	if len(cfg.Instances) == 0 {
		return nil, errors.New("the config has no vrrp_instance to run")
	}
	for _, ci := range cfg.Instances {
		inst, err := newInstance(ci, &cfg.Global)
		if err != nil {
			return nil, err
		}
		e.instances = append(e.instances, inst)
	}
	if err := e.openPorts(); err != nil {
		e.close()
		return nil, err
	}
	linkSyncGroups(cfg.SyncGroups, e.instances)
	if err := e.setupTracking(cfg); err != nil {
		e.close()
		return nil, err
	}
	e.warnUnsupported(cfg)
	return e, nil
}

// openPorts opens the sockets of every interface and family the instances
// use, joined to all their multicast groups, and one announcer per VIP
// interface; it registers each instance with its port by VRID.
func (e *Engine) openPorts() error {
	groups := map[portKey][]netip.Addr{}
	var keys []portKey
	for _, inst := range e.instances {
		key := portKey{ifname: inst.ifname, family: inst.family}
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
			groups[key] = nil
		}
		for _, g := range inst.groups() {
			if !slices.Contains(groups[key], g) {
				groups[key] = append(groups[key], g)
			}
		}
	}
	for _, key := range keys {
		p, err := openPort(key, groups[key])
		if err != nil {
			return err
		}
		e.ports[key] = p
		if !slices.Contains(e.ifnames, key.ifname) {
			e.ifnames = append(e.ifnames, key.ifname)
		}
	}
	for _, inst := range e.instances {
		p := e.ports[portKey{ifname: inst.ifname, family: inst.family}]
		if other := p.instances[inst.vrid]; other != nil {
			return fmt.Errorf("vrrp_instance %s (%s): VRID %d is already used on %s by vrrp_instance %s",
				inst.name, inst.cfg.Pos, inst.vrid, p.key, other.name)
		}
		p.instances[inst.vrid] = inst
		inst.port = p
		for _, dev := range inst.devices() {
			if _, ok := e.announce[dev]; ok {
				continue
			}
			a, err := netif.NewAnnouncer(dev, nil)
			if err != nil {
				return fmt.Errorf("vrrp_instance %s (%s): gratuitous ARP/NA on %s: %w", inst.name, inst.cfg.Pos, dev, err)
			}
			e.announce[dev] = a
		}
	}
	return nil
}

// warnUnsupported logs, once each, the parts of cfg the engine does not carry out.
func (e *Engine) warnUnsupported(cfg *config.Config) {
	for _, inst := range e.instances {
		if len(inst.cfg.VirtualRoutes) > 0 || len(inst.cfg.VirtualRules) > 0 {
			e.log.Warn("virtual_routes and virtual_rules are not installed by havip", "instance", inst.name, "pos", inst.cfg.Pos.String())
		}
		if inst.cfg.VMAC != nil {
			e.log.Warn("use_vmac is not supported: the VIPs are announced with the interface MAC", "instance", inst.name, "pos", inst.cfg.Pos.String())
		}
	}
	if len(cfg.StaticAddresses) > 0 || len(cfg.StaticRoutes) > 0 || len(cfg.StaticRules) > 0 {
		e.log.Warn("static_ipaddress, static_routes and static_rules are not installed by havip")
	}
}

// Run runs the instances until ctx is done, then releases them: masters send
// a priority-0 advert and every VIP is removed. It returns after the release.
func (e *Engine) Run(ctx context.Context) error {
	defer e.close()
	e.removeStale()

	readCtx, stopReaders := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, p := range e.ports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.read(readCtx, e.packets, e.log)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := netif.WatchLinks(readCtx, e.ifnames, func(ev netif.LinkEvent) {
			select {
			case e.links <- ev:
			case <-readCtx.Done():
			}
		}); err != nil {
			e.log.Error("watching interface links failed; link loss will not cause FAULT", "err", err)
		}
	}()
	e.runTrackers(readCtx, func(run func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run()
		}()
	})
	defer func() {
		stopReaders()
		for _, p := range e.ports {
			p.closeReceiver()
		}
		wg.Wait()
	}()

	now := time.Now()
	for _, inst := range e.instances {
		e.start(inst, now)
	}
	e.timer = time.NewTimer(time.Hour)
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
		case <-e.timer.C:
			e.expire(time.Now())
		}
	}
}

// removeStale deletes VIPs left installed by an earlier run that crashed,
// as keepalived does at start; the address owner re-adds its own at once.
func (e *Engine) removeStale() {
	var vips []netif.VIP
	for _, inst := range e.instances {
		vips = append(vips, inst.vips...)
	}
	removed, err := netif.RemoveStale(vips)
	for _, v := range removed {
		e.log.Warn("removed a VIP left over from an earlier run", "vip", v.String())
	}
	if err != nil {
		e.log.Error("removing stale VIPs", "err", err)
	}
}

// start creates inst's state machine once its source address is known and
// runs its Startup event; without an address it stays in FAULT and is
// retried every retryInterval.
func (e *Engine) start(inst *instance, now time.Time) {
	if inst.m != nil {
		return
	}
	if err := inst.build(); err != nil {
		if inst.retryAt.IsZero() {
			e.log.Warn("instance waits for a usable source address", "instance", inst.name, "interface", inst.ifname, "err", err)
		}
		inst.retryAt = now.Add(retryInterval)
		return
	}
	inst.retryAt = time.Time{}
	e.retrack(inst, now)
	for _, reason := range inst.faults {
		e.apply(inst, inst.m.SetFault(now, true, reason))
	}
	e.log.Info("instance starting", "instance", inst.name, "interface", inst.ifname, "vrid", inst.vrid,
		"version", inst.cfg.Version, "priority", inst.m.Priority(), "source", inst.m.Primary().String(),
		"advert_int", inst.cfg.AdvertInt.String(), "unicast", inst.cfg.Unicast())
	e.apply(inst, inst.m.Start(now))
}

// stop releases every instance, then lets the notify scripts of the
// transitions to STOP run.
func (e *Engine) stop() {
	now := time.Now()
	for _, inst := range e.instances {
		if inst.m != nil {
			e.apply(inst, inst.m.Stop(now))
		}
	}
	e.closeNotifier()
}

// arm sets the loop timer to the earliest deadline of any instance.
func (e *Engine) arm() {
	var next time.Time
	for _, inst := range e.instances {
		d := inst.retryAt
		if inst.m != nil {
			d = inst.m.NextDeadline()
		}
		if !d.IsZero() && (next.IsZero() || d.Before(next)) {
			next = d
		}
	}
	wait := time.Hour
	if !next.IsZero() {
		wait = max(time.Until(next), 0)
	}
	e.timer.Reset(wait)
}

// expire fires every timer due at now.
func (e *Engine) expire(now time.Time) {
	for _, inst := range e.instances {
		if inst.m == nil {
			if !inst.retryAt.IsZero() && !now.Before(inst.retryAt) {
				e.start(inst, now)
			}
			continue
		}
		if d := inst.m.NextDeadline(); !d.IsZero() && !now.Before(d) {
			e.apply(inst, inst.m.Expire(now))
		}
	}
}

// receive hands an advert that passed the packet-level checks to its instance.
func (e *Engine) receive(in inbound) {
	inst := in.port.instances[in.rx.VRID]
	if inst == nil {
		in.port.unknownVRID++
		e.limiter.log(e.log, slog.LevelDebug, "unknown-vrid", "advert for a VRID not configured here",
			"interface", in.port.key.ifname, "vrid", in.rx.VRID, "source", in.rx.Src.String())
		return
	}
	if inst.m == nil {
		return
	}
	e.apply(inst, inst.m.Receive(time.Now(), &in.rx))
}

// link reacts to an interface going down or up: instances on it enter or
// leave FAULT.
func (e *Engine) link(ev netif.LinkEvent) {
	now := time.Now()
	key, reason := "link "+ev.Name, "interface "+ev.Name+" down"
	for _, inst := range e.instances {
		if inst.ifname != ev.Name {
			continue
		}
		if ev.Up {
			e.log.Info("interface up", "interface", ev.Name, "instance", inst.name)
		} else {
			e.log.Warn("interface down", "interface", ev.Name, "instance", inst.name)
		}
		e.setFault(inst, now, key, reason, !ev.Up)
		if ev.Up && inst.m == nil {
			e.start(inst, now)
		}
	}
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

// close releases the sockets.
func (e *Engine) close() {
	for _, p := range e.ports {
		p.close()
	}
	for _, a := range e.announce {
		a.Close()
	}
}
