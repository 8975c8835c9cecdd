package engine

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/notify"
	"github.com/havip/havip/runtime/track"
	"github.com/havip/havip/runtime/vrrp"
)

// applyRequest carries a config to the event loop and its outcome back.
type applyRequest struct {
	cfg    *config.Config
	result chan error
}

// Apply hands cfg, a new version of the running config that passed config
// validation, to the event loop and waits until it is applied. It returns an
// error, and changes nothing, when cfg cannot be applied. Apply is safe to
// call from any goroutine while Run runs; before Run it waits for Run, and
// after Run it fails.
//
// Apply matches the running instances with those of the new config by
// config.Instance.Key (VRID, family, interface, transport; not the name), as
// keepalived's reload does, and sorts them into four sets:
//
//   - unchanged (the config instance is Equal and the engine's view of it —
//     machine config, VIPs, tracker references — is the same): not touched at
//     all; the same machine keeps running, nothing is sent or announced.
//   - removed: released like at shutdown (a master sends a priority-0 advert
//     and removes its VIPs; notify STOP).
//   - added: started like at startup (BACKUP, then the election).
//   - changed: the running machine is given the new settings with
//     vrrp.Machine.Reconfigure, which keeps its state (no election) and
//     returns what to do: a MASTER sends one advert with its new priority and
//     address list; the engine removes the VIPs, routes and rules no longer
//     configured, adds the new ones and announces (GARP/NA) the added
//     addresses only. A transition the new settings cause (the instance
//     became the address owner, a new weight-0 tracker is down, its link is
//     down) is carried out like any other, and the trackers' verdict is
//     applied to the new base priority.
//
// Sockets (one pair per interface and family, reopened when its multicast
// groups change), announcers and trackers are opened and closed as the
// instances need them; a tracker whose spec is unchanged keeps running with
// its last result, and a changed one's last result stands until the new one
// reports. The notify targets are replaced; a new notify_fifo or script
// policy gets a new notifier while the old one finishes its queue.
//
// Everything that can fail — building and validating the instances, the
// VRID check, the tracker and notify settings, opening sockets for new
// interfaces — happens in plan, before anything running is changed; a failed
// plan closes what it opened and leaves the engine as it was. commit cannot
// fail. Removed VIPs are taken away before new ones are added, so that a VIP
// moving between instances ends up installed.
func (e *Engine) Apply(cfg *config.Config) error {
	req := applyRequest{cfg: cfg, result: make(chan error, 1)}
	select {
	case e.applies <- req:
		return <-req.result
	case <-e.done:
		return errors.New("applying a config: the engine has stopped")
	}
}

// reconfigure is Apply on the event loop.
func (e *Engine) reconfigure(cfg *config.Config) error {
	if len(cfg.Instances) == 0 && len(cfg.VirtualServers) == 0 && len(e.instances) > 0 {
		return errNothingToRun
	}
	p, err := e.plan(cfg)
	if err != nil {
		return err
	}
	e.commit(p)
	e.resetSchedule()
	if cfg.Global.DisableLocalIGMP != e.disableLocalIGMP {
		e.log.Warn("disable_local_igmp changed: it applies at start only, as in keepalived; restart havip to apply it")
	}
	return nil
}

// errNothingToRun refuses a reload of a config with nothing to run, which
// would release every instance: a config emptied by accident (a truncated
// file) is far likelier than one emptied on purpose, and stopping havip
// releases them on purpose.
var errNothingToRun = errors.New("the new config has no vrrp_instance and no virtual_server; the running instances keep running (stop havip to release them all)")

// instancePair is a running instance and its counterpart in a new config.
type instancePair struct{ old, new *instance }

// instanceDiff sorts the instances of a new config against the running ones.
type instanceDiff struct {
	unchanged []instancePair
	changed   []instancePair
	added     []*instance
	removed   []*instance
}

// diffInstances matches running and fresh instances by config key; fresh
// instances must have their tracker references set.
func diffInstances(running, fresh []*instance) instanceDiff {
	var d instanceDiff
	byKey := map[config.InstanceKey]*instance{}
	for _, inst := range running {
		byKey[inst.cfg.Key()] = inst
	}
	matched := map[*instance]bool{}
	for _, nu := range fresh {
		old := byKey[nu.cfg.Key()]
		switch {
		case old == nil:
			d.added = append(d.added, nu)
		case old.same(nu):
			d.unchanged = append(d.unchanged, instancePair{old, nu})
		default:
			d.changed = append(d.changed, instancePair{old, nu})
		}
		if old != nil {
			matched[old] = true
		}
	}
	for _, inst := range running {
		if !matched[inst] {
			d.removed = append(d.removed, inst)
		}
	}
	return d
}

// same reports whether o runs exactly like inst: the same config instance
// (positions aside), machine config (which global_defs feed), VIPs and
// tracker references.
func (inst *instance) same(o *instance) bool {
	return inst.vcfg.Equal(o.vcfg) && slices.Equal(inst.vips, o.vips) && slices.Equal(inst.refs, o.refs) &&
		inst.cfg.Equal(o.cfg)
}

// plan is a config ready to commit: everything it needs is built and open.
type plan struct {
	cfg       *config.Config
	diff      instanceDiff
	instances []*instance // the new running set, in config order

	ports       map[portKey]*port
	announce    map[string]Announcer
	trackers    map[track.Key]*trackerRun
	tracking    *tracking
	static      staticSet
	notifier    *notify.Notifier // a new notifier, or nil to keep the running one
	opened      []*port          // opened for this plan
	openedAnn   []Announcer
	vmacs       map[string]netif.VMAC   // the use_vmac devices of the new set, the instances' and the addresses'
	madeVMACs   []string                // made or adopted for this plan
	ipvlans     map[string]netif.IPVlan // the use_ipvlan devices of the new set
	madeIPVlans []string                // made or adopted for this plan
	// recoveredIPVlans are running instances whose use_ipvlan device this plan made at last.
	recoveredIPVlans []*instance
}

// abort closes what the plan opened.
func (p *plan) abort(host Host) {
	for _, pt := range p.opened {
		pt.close()
	}
	for _, a := range p.openedAnn {
		a.Close()
	}
	if p.notifier != nil {
		closeNotifier(p.notifier, nil)
	}
	for _, name := range p.madeVMACs {
		_ = host.DeleteVMAC(name) // best effort: the plan failed for another reason, reported
	}
	p.abortIPVlans(host)
}

// plan validates cfg against the running engine and prepares what it needs.
func (e *Engine) plan(cfg *config.Config) (_ *plan, err error) {
	p := &plan{cfg: cfg}
	defer func() {
		if err != nil {
			p.abort(e.host)
		}
	}()
	var fresh []*instance
	for _, ci := range cfg.Instances {
		inst, err := newInstance(ci, &cfg.Global)
		if err != nil {
			return nil, atPos(ci.Pos, err)
		}
		if err := inst.vcfg.Validate(); err != nil {
			return nil, atPos(ci.Pos, fmt.Errorf("vrrp_instance %s (%s): %w", inst.name, ci.Pos, err))
		}
		fresh = append(fresh, inst)
	}
	if err := checkVRIDs(fresh); err != nil {
		return nil, err
	}
	if p.static, err = planStatic(cfg); err != nil {
		return nil, err
	}
	sets := []*routing{&p.static.routing}
	for _, inst := range fresh {
		sets = append(sets, &inst.routing)
	}
	numberRules(sets...)
	if p.tracking, err = e.planTracking(cfg, fresh); err != nil {
		return nil, err
	}

	p.diff = diffInstances(e.instances, fresh)
	kept := map[*instance]*instance{}
	for _, pair := range p.diff.unchanged {
		kept[pair.new] = pair.old
	}
	for _, nu := range fresh {
		if old := kept[nu]; old != nil {
			p.instances = append(p.instances, old)
		} else {
			p.instances = append(p.instances, nu)
		}
	}
	// A changed instance keeps its machine, which commit reconfigures.
	for _, pair := range p.diff.changed {
		pair.new.m = pair.old.m
	}

	if err := e.planPorts(p); err != nil {
		return nil, err
	}
	p.trackers = map[track.Key]*trackerRun{}
	for key, spec := range p.tracking.specs {
		if cur := e.trackers[key]; cur != nil && cur.spec.equal(spec) {
			p.trackers[key] = cur
		} else {
			p.trackers[key] = &trackerRun{spec: spec, tracker: spec.build()}
		}
	}
	// Check opens no notify FIFO and starts no FIFO reader script.
	if !e.checking && (e.notifier == nil || !e.notifyOpts.equal(p.tracking.notify)) {
		opts := p.tracking.notify
		if p.notifier, err = notify.New(notify.Options{Runner: opts.runner, FIFOs: opts.fifos, Log: e.log}, p.tracking.targets); err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
	}
	return p, nil
}

// equal reports whether o sets up the notifier as n does: the same script
// policy and FIFOs with the same readers.
func (n notifyOptions) equal(o notifyOptions) bool {
	return runnerEqual(n.runner, o.runner) && slices.EqualFunc(n.fifos, o.fifos, func(a, b notify.FIFO) bool {
		return a.Path == b.Path && commandEqual(a.Reader.Command, b.Reader.Command) && identityEqual(a.Reader.As, b.Reader.As) &&
			a.NoVRRP == b.NoVRRP && a.NoLVS == b.NoLVS
	})
}

// checkVRIDs refuses two instances of one VRID on one interface and family
// that would receive each other's adverts (instance.shares), as config
// validation does: the engine tells the others apart by multicast group or
// unicast peer.
func checkVRIDs(insts []*instance) error {
	type slot struct {
		key  portKey
		vrid uint8
	}
	seen := map[slot][]*instance{}
	for _, inst := range insts {
		s := slot{portKey{ifname: inst.ifname, family: inst.family}, inst.vrid}
		for _, other := range seen[s] {
			if inst.shares(other) {
				return atPos(inst.cfg.Pos, fmt.Errorf("vrrp_instance %s (%s): VRID %d is already used on %s by vrrp_instance %s with the same multicast group or a common unicast peer",
					inst.name, inst.cfg.Pos, inst.vrid, s.key, other.name))
			}
		}
		seen[s] = append(seen[s], inst)
	}
	return nil
}

// planPorts finds or opens the sockets of every interface and family the
// new instances use, joined to all their multicast groups, with the AH
// sockets where an instance uses IPsec-AH (a port whose groups or AH need
// change is reopened), and one announcer per VIP interface.
func (e *Engine) planPorts(p *plan) error {
	if err := e.planVMACs(p); err != nil {
		return err
	}
	if err := e.planAddrVMACs(p); err != nil {
		return err
	}
	if err := e.checkVRFs(p); err != nil {
		return err
	}
	if err := e.planIPVlans(p); err != nil {
		return err
	}
	groups := map[portKey][]netip.Addr{}
	var keys []portKey
	for _, inst := range p.instances {
		instKeys := []portKey{{ifname: inst.ifname, family: inst.family}}
		if inst.vmac != nil {
			instKeys = append(instKeys, portKey{ifname: inst.vmac.Name, family: inst.family})
		}
		for _, key := range instKeys {
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
	}
	ah := map[portKey]bool{}
	for _, inst := range p.instances {
		if inst.vcfg.AuthType == vrrp.AuthAH {
			ah[portKey{ifname: inst.ifname, family: inst.family}] = true
			if inst.vmac != nil {
				ah[portKey{ifname: inst.vmac.Name, family: inst.family}] = true
			}
		}
	}
	counts := map[portKey]int{}
	for _, inst := range p.instances {
		counts[portKey{ifname: inst.ifname, family: inst.family}]++
		if inst.vmac != nil {
			counts[portKey{ifname: inst.vmac.Name, family: inst.family}]++
		}
	}
	p.ports = map[portKey]*port{}
	for _, key := range keys {
		slices.SortFunc(groups[key], netip.Addr.Compare) // instance order does not matter
		if cur := e.ports[key]; cur != nil && slices.Equal(cur.groups, groups[key]) && cur.ah == ah[key] {
			p.ports[key] = cur
			continue
		}
		pt, err := openPort(e.host, key, groups[key], ah[key])
		if err != nil {
			return err
		}
		p.ports[key] = pt
		p.opened = append(p.opened, pt)
	}
	p.announce = map[string]Announcer{}
	for _, inst := range p.instances {
		for _, dev := range inst.devices() {
			if _, ok := p.announce[dev]; ok {
				continue
			}
			if a := e.announce[dev]; a != nil {
				p.announce[dev] = a
				continue
			}
			a, err := e.host.NewAnnouncer(dev)
			if err != nil {
				return atPos(inst.cfg.Pos, fmt.Errorf("vrrp_instance %s (%s): gratuitous ARP/NA on %s: %w", inst.name, inst.cfg.Pos, dev, err))
			}
			p.announce[dev] = a
			p.openedAnn = append(p.openedAnn, a)
		}
	}
	for key, pt := range p.ports {
		if err := pt.sizeReadBuffer(counts[key]); err != nil {
			e.log.Warn("sizing the VRRP receive buffer failed; a burst of adverts may overflow it", "port", key.String(), "err", err)
		}
	}
	return nil
}

// commit makes p the running config. While Run runs it releases, adopts and
// starts instances as the type comment above describes; before Run it only
// installs p, and Run starts the instances.
func (e *Engine) commit(p *plan) {
	now := e.clock.Now()
	for _, inst := range p.diff.removed {
		inst.deleted = true
		if inst.m != nil {
			e.apply(inst, inst.m.Stop(now))
		}
		e.log.Info("instance removed by the new config", "instance", inst.name, "interface", inst.ifname, "vrid", inst.vrid)
	}

	// Notifier: a removed instance keeps its scripts until its STOP ran.
	targets := p.tracking.targets
	for _, inst := range p.diff.removed {
		if !slices.ContainsFunc(targets, func(t notify.Target) bool { return t.Kind == notify.Instance && t.Name == inst.name }) {
			targets = append(targets, notify.Target{Kind: notify.Instance, Name: inst.name, Scripts: inst.scripts})
		}
	}
	if p.notifier != nil {
		if old := e.notifier; old != nil {
			e.spawn(func() { closeNotifier(old, e.log) })
		}
		e.notifier, e.notifyOpts = p.notifier, p.tracking.notify
		e.lvsNotifier.Store(e.notifier)
	}
	e.notifier.SetTargets(targets)
	if !e.checking {
		e.setAlerts(p.cfg)
	}

	// Sockets: the new set, each instance registered by VRID.
	for key, pt := range e.ports {
		if p.ports[key] != pt {
			pt.close()
			pt.instances = [256][]*instance{}
		}
	}
	for _, pt := range p.ports {
		pt.instances = [256][]*instance{}
	}
	for _, inst := range p.instances {
		pt := p.ports[portKey{ifname: inst.ifname, family: inst.family}]
		pt.register(inst)
		inst.port = pt
		if inst.vmac != nil {
			inst.vmacPort = p.ports[portKey{ifname: inst.vmac.Name, family: inst.family}]
			inst.vmacPort.register(inst)
		}
	}
	e.ports = p.ports
	for name := range e.vmacs {
		if _, ok := p.vmacs[name]; !ok {
			e.deleteVMAC(name) // its instance was removed (and stopped) or no longer uses it
		}
	}
	e.vmacs = p.vmacs
	e.commitIPVlans(p)
	if e.running() {
		for _, pt := range p.opened {
			e.readPort(pt)
		}
	}
	for dev, a := range e.announce {
		if p.announce[dev] != a {
			a.Close()
		}
	}
	e.announce = p.announce
	e.pacing.set(p.cfg)

	// Trackers: unchanged ones keep running and their last result; a changed
	// one's last result stands until the new one reports.
	for key, run := range e.trackers {
		if p.trackers[key] == run {
			continue
		}
		if run.stop != nil {
			run.stop()
		}
		if _, ok := p.trackers[key]; !ok {
			delete(e.results, key)
		}
	}
	for _, run := range p.trackers {
		if run.stop == nil && e.running() {
			e.startTracker(run)
		}
	}
	e.trackers = p.trackers
	e.seedLinks(p.tracking)

	for _, pair := range p.diff.unchanged {
		pair.old.cfg = pair.new.cfg // the same settings, the current positions
	}
	notified := map[string]notify.State{}
	for _, inst := range e.instances {
		if g := inst.group; g != nil {
			notified[g.name] = g.notified
		}
	}
	for _, inst := range p.instances {
		inst.group = nil
	}
	e.instances = p.instances
	groups := linkSyncGroups(p.cfg.SyncGroups, e.instances, notified)

	var ifnames []string
	for _, inst := range e.instances {
		if !slices.Contains(ifnames, inst.ifname) {
			ifnames = append(ifnames, inst.ifname)
		}
	}
	slices.Sort(ifnames)
	relink := !slices.Equal(ifnames, e.ifnames)
	e.ifnames = ifnames

	if !e.live {
		e.static = p.static
		return
	}
	e.removeStatic(e.static, p.static)
	e.installStatic(p.static, e.static)
	e.static = p.static
	e.promoteSecondaries(e.instances)
	e.reacceptVRRP()

	// Two passes over the changed instances, so that a VIP moving between
	// them is removed by one before the other adds it.
	priorities := make([]uint8, len(p.diff.changed)) // before the reload, for the log
	for i, pair := range p.diff.changed {
		if pair.old.m != nil {
			priorities[i] = pair.old.m.Priority()
		}
		e.adopt(pair.old, pair.new, now)
	}
	for i, pair := range p.diff.changed {
		e.completeAdoption(pair.old, pair.new, priorities[i], now)
	}
	for _, inst := range p.diff.added {
		if up, ok := e.linkUp[inst.ifname]; ok && !up {
			key, reason := linkFault(inst.ifname)
			inst.setFault(key, reason, true)
		}
	}
	e.removeStale(p.diff.added)
	for _, inst := range p.diff.added {
		e.start(inst, now)
	}
	for _, g := range groups {
		e.groupFault(g, now)
		e.groupSettle(g, now)
	}
	if relink && e.running() {
		e.watchLinks()
	}
	e.log.Info("config applied", "unchanged", len(p.diff.unchanged), "changed", len(p.diff.changed),
		"added", len(p.diff.added), "removed", len(p.diff.removed))
}

// adopt makes nu, the changed replacement of old, the owner of old's
// machine (first pass: nothing is added to the host yet). A MASTER is
// reconfigured now: it sends one advert with its new settings and removes
// the VIPs, routes and rules no longer configured.
func (e *Engine) adopt(old, nu *instance, now time.Time) {
	nu.since, nu.reason = old.since, old.reason // its last transition still stands
	for _, v := range old.pending {             // announcements still due for VIPs it keeps
		if containsVIP(nu.vips, v) {
			nu.pending = append(nu.pending, v)
			nu.announceAt = old.announceAt
		}
	}
	// The same VMAC device stays as it is; a new one starts down.
	nu.vmacUp = old.vmacUp && nu.vmac != nil && old.vmac.Name == nu.vmac.Name
	// Link faults carry over; the trackers' and the group's are recomputed
	// (the group's stands while nu stays in the group, until groupFault), as
	// is track_src_ip's, and newInstance has set the config's own.
	for key, reason := range old.faults {
		switch {
		case key == trackersFaultKey, key == noPeerFaultKey, key == sourceFaultKey, ipvlanFault(key):
		case old.group != nil && key == old.group.faultReason() && nu.cfg.SyncGroup != old.group.name:
		default:
			nu.faults[key] = reason
		}
	}
	if v := e.verdict(nu); len(nu.refs) > 0 && v.fault {
		nu.faults[trackersFaultKey] = "tracker: " + v.reason
	}
	if nu.m != nil {
		e.markSource(nu, now)
	}
	if nu.m == nil || nu.m.State() != vrrp.StateMaster {
		return // completeAdoption
	}
	e.setSource(nu)
	e.reconfigureMachine(nu, now)
	e.removeRouting(nu.name, old.routing.minus(nu.routing))
	for _, vip := range subtractVIPs(old.vips, nu.vips) {
		if err := e.host.DelVIP(vip); err != nil {
			e.log.Error("removing a VIP failed", "instance", nu.name, "vip", vip.String(), "err", err)
		}
	}
}

// completeAdoption finishes adopt (second pass); priority is the one before
// the reload. A MASTER adds and announces
// its new VIPs, routes and rules, or enters FAULT if the new config demands
// it; any other instance is reconfigured now, entering or leaving FAULT
// first as its new FAULT reasons say. Then the trackers' verdict is applied
// to the new base priority.
func (e *Engine) completeAdoption(old, nu *instance, priority uint8, now time.Time) {
	// What old dropped as a no_accept MASTER is nu's to drop again, under
	// its own settings (accept may have changed, and VIPs).
	e.allowVIPs(old)
	if nu.m == nil { // old had not started: neither does nu, yet
		e.start(nu, now)
		return
	}
	state := nu.m.State()
	if state == vrrp.StateMaster {
		if nu.faulted() {
			e.apply(nu, nu.m.SetFault(now, true, nu.faultReasons()))
		} else {
			if nu.vmac != nil && !nu.vmacUp {
				e.setVMACUp(nu, true) // a MASTER whose VMAC is new
			}
			e.setAddrVMACsUp(nu, true)
			e.dropVIPs(nu)
			added := subtractVIPs(nu.vips, old.vips)
			for _, v := range added {
				if err := e.host.AddVIP(v); err != nil {
					e.log.Error("adding a VIP failed", "instance", nu.name, "vip", v.String(), "err", err)
				}
			}
			e.installRouting(nu.name, nu.routing.minus(old.routing))
			e.announceVIPs(nu, added, nu.m.Config().Garp.MasterRepeat)
		}
	} else {
		e.setSource(nu)
		if nu.faulted() && state != vrrp.StateFault {
			e.apply(nu, nu.m.SetFault(now, true, nu.faultReasons()))
		}
		e.reconfigureMachine(nu, now)
		if !nu.faulted() && state == vrrp.StateFault {
			e.apply(nu, nu.m.SetFault(now, false, "reload cleared the fault"))
		}
	}
	if v := e.verdict(nu); v.priority != nu.m.Priority() {
		e.apply(nu, nu.m.SetPriority(now, v.priority, v.reason))
	}
	e.log.Info("instance reconfigured, state kept", "instance", nu.name, "state", state.String(),
		"priority_from", priority, "priority", nu.m.Priority(),
		"vips_added", vipList(subtractVIPs(nu.vips, old.vips)), "vips_removed", vipList(subtractVIPs(old.vips, nu.vips)))
}

// reconfigureMachine gives inst's machine inst's settings (plan validated
// them) and carries out what it returns.
func (e *Engine) reconfigureMachine(inst *instance, now time.Time) {
	acts, err := inst.m.Reconfigure(now, inst.vcfg)
	if err != nil {
		e.log.Error("reconfiguring an instance failed; it keeps its old settings", "instance", inst.name, "err", err)
		return
	}
	e.apply(inst, acts)
}

// setSource moves inst's machine to its source address (a new
// unicast_src_ip or mcast_src_ip, or the interface's address without one).
func (e *Engine) setSource(inst *instance) {
	src, err := inst.source(e.host)
	if err != nil || src == inst.m.Primary() {
		return // no address now: the machine keeps the one it has
	}
	if err := inst.m.SetPrimary(src); err != nil {
		e.log.Error("changing the source address failed", "instance", inst.name, "source", src.String(), "err", err)
	}
}

// faultReasons joins inst's FAULT reasons in a stable order.
func (inst *instance) faultReasons() string {
	reasons := make([]string, 0, len(inst.faults))
	for _, r := range inst.faults {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	return strings.Join(reasons, ", ")
}

// subtractVIPs returns the VIPs of a that are not in b.
func subtractVIPs(a, b []netif.VIP) []netif.VIP {
	var out []netif.VIP
	for _, v := range a {
		if !containsVIP(b, v) {
			out = append(out, v)
		}
	}
	return out
}

// containsVIP reports whether list has v with every attribute equal.
func containsVIP(list []netif.VIP, v netif.VIP) bool {
	return slices.Contains(list, v)
}

// vipList formats VIPs for a log line.
func vipList(vips []netif.VIP) string {
	s := make([]string, len(vips))
	for i, v := range vips {
		s[i] = v.String()
	}
	return strings.Join(s, ",")
}

// planVMACs makes (or adopts) the use_vmac device of every instance of p that the engine does not
// already run with the same settings, down until its instance becomes MASTER.
func (e *Engine) planVMACs(p *plan) error {
	p.vmacs = map[string]netif.VMAC{}
	for _, inst := range p.instances {
		if inst.vmac == nil {
			continue
		}
		v := *inst.vmac
		if other, ok := p.vmacs[v.Name]; ok {
			return atPos(inst.cfg.Pos, fmt.Errorf("vrrp_instance %s (%s): use_vmac device %s is used by another instance on %s too", inst.name, inst.cfg.Pos, v.Name, other.Parent))
		}
		p.vmacs[v.Name] = v
		if cur, ok := e.vmacs[v.Name]; ok && sameVMAC(cur, v) {
			continue
		}
		warnings, err := e.host.EnsureVMAC(v)
		if err != nil {
			return atPos(inst.cfg.Pos, fmt.Errorf("vrrp_instance %s (%s): use_vmac: %w", inst.name, inst.cfg.Pos, err))
		}
		p.madeVMACs = append(p.madeVMACs, v.Name)
		for _, w := range warnings {
			e.log.Warn(w, "instance", inst.name, "vmac", v.Name)
		}
	}
	return nil
}

// sameVMAC reports whether two use_vmac devices are configured alike.
func sameVMAC(a, b netif.VMAC) bool {
	return a.Name == b.Name && a.Parent == b.Parent && a.Family == b.Family && bytes.Equal(a.MAC, b.MAC)
}
