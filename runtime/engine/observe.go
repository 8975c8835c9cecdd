package engine

import (
	"context"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/vrrp"
)

// heartbeatInterval is how often the event loop records that it turns, for
// the liveness probe.
const heartbeatInterval = time.Second

// maxForeignSources bounds the foreign routers remembered per instance and kind.
const maxForeignSources = 16

// TransitionReason classifies why an instance changed state. The set is
// closed, so that metrics labelled with it stay bounded.
type TransitionReason string

// Transition reasons.
const (
	ReasonStartup        TransitionReason = "startup"         // INIT to BACKUP or FAULT
	ReasonAddressOwner   TransitionReason = "address_owner"   // priority 255 takes MASTER at once
	ReasonMasterDown     TransitionReason = "master_down"     // Master_Down_Timer expired
	ReasonPriorityZero   TransitionReason = "priority_zero"   // the master released with a priority-0 advert
	ReasonHigherPriority TransitionReason = "higher_priority" // a master with a higher priority (or equal and a higher address)
	ReasonSyncGroup      TransitionReason = "sync_group"      // a sync group member forced it
	ReasonFault          TransitionReason = "fault"           // a link, tracker or group fault
	ReasonFaultCleared   TransitionReason = "fault_cleared"   // leaving FAULT
	ReasonVIPRemoved     TransitionReason = "vip_removed"     // a VIP was removed behind the master's back
	ReasonRoutingRemoved TransitionReason = "routing_removed" // a virtual route or rule was removed behind the master's back
	ReasonTimerExpired   TransitionReason = "timer_expired"   // timer_expired_backup: the master advertised too late
	ReasonShutdown       TransitionReason = "shutdown"        // havip stops or the instance was deleted
	ReasonOther          TransitionReason = "other"
)

// classify returns the class of a machine's transition.
func classify(t vrrp.Transition) TransitionReason {
	switch {
	case t.To == vrrp.StateStopped:
		return ReasonShutdown
	case t.To == vrrp.StateFault:
		return ReasonFault
	case t.From == vrrp.StateFault:
		return ReasonFaultCleared
	}
	switch t.Reason.Cause {
	case vrrp.CauseOwner:
		return ReasonAddressOwner
	case vrrp.CauseStartup:
		return ReasonStartup
	case vrrp.CauseVIPRemoved:
		return ReasonVIPRemoved
	case vrrp.CauseRoutingRemoved:
		return ReasonRoutingRemoved
	case vrrp.CauseTimerExpired:
		return ReasonTimerExpired
	case vrrp.CauseSyncGroup:
		return ReasonSyncGroup
	case vrrp.CausePreempted:
		return ReasonHigherPriority
	case vrrp.CausePriorityZero:
		return ReasonPriorityZero
	case vrrp.CauseMasterDown:
		return ReasonMasterDown
	}
	return ReasonOther
}

// ForeignKind says why an advert for our VRID came from a router that is not
// one of ours.
type ForeignKind string

// Foreign router kinds.
const (
	ForeignAuth   ForeignKind = "auth_mismatch" // its authentication type or password differs
	ForeignSource ForeignKind = "source"        // unicast, and not a configured peer
	ForeignVIPs   ForeignKind = "address_list"  // its address list differs from ours
)

// MasterSeenOutcome is what a MASTER did on an advert from another master.
type MasterSeenOutcome string

// Outcomes of seeing another master while MASTER (a split brain that heals).
const (
	MasterSeenYielded    MasterSeenOutcome = "yielded"    // the other one wins: we went BACKUP
	MasterSeenReasserted MasterSeenOutcome = "reasserted" // ours wins: we advertised at once
	MasterSeenWon        MasterSeenOutcome = "won"        // the other one went quiet: master notify run again
)

// TransitionCount counts one kind of transition of an instance.
type TransitionCount struct {
	From   string           `json:"from"`
	To     string           `json:"to"`
	Reason TransitionReason `json:"reason"`
	Count  uint64           `json:"count"`
}

// transitionKey is a TransitionCount's identity.
type transitionKey struct {
	from, to vrrp.State
	reason   TransitionReason
}

// observed is what an instance counts beside vrrp.Stats, for the metrics.
type observed struct {
	transitions map[transitionKey]uint64
	mastersSeen map[MasterSeenOutcome]uint64
	foreign     map[ForeignKind]uint64
	foreignSrc  map[ForeignKind][]netip.Addr // the first maxForeignSources seen
	vipRemovals uint64
	// routingRemovals counts virtual routes and rules removed behind the master's back.
	routingRemovals uint64
}

// tally counts what acts report; apply calls it with every machine output.
func (o *observed) tally(acts []vrrp.Action) {
	for _, act := range acts {
		switch a := act.(type) {
		case vrrp.Transition:
			r := classify(a)
			countIn(&o.transitions, transitionKey{a.From, a.To, r})
			if r == ReasonHigherPriority {
				countIn(&o.mastersSeen, MasterSeenYielded)
			}
		case vrrp.LowerPriorityAdvert:
			countIn(&o.mastersSeen, MasterSeenReasserted)
		case vrrp.Reassert:
			countIn(&o.mastersSeen, MasterSeenWon)
		case vrrp.Discard:
			var kind ForeignKind
			switch a.Reason {
			case vrrp.DropAuthType, vrrp.DropAuthPass:
				kind = ForeignAuth
			case vrrp.DropUnknownPeer:
				kind = ForeignSource
			case vrrp.DropAddrList:
				kind = ForeignVIPs
			default:
				continue
			}
			countIn(&o.foreign, kind)
			if o.foreignSrc == nil {
				o.foreignSrc = map[ForeignKind][]netip.Addr{}
			}
			if srcs := o.foreignSrc[kind]; len(srcs) < maxForeignSources && !slices.Contains(srcs, a.Source) {
				o.foreignSrc[kind] = append(srcs, a.Source)
			}
		}
	}
}

func countIn[K comparable](m *map[K]uint64, k K) {
	if *m == nil {
		*m = map[K]uint64{}
	}
	(*m)[k]++
}

// fill copies the counts into s.
func (o *observed) fill(s *InstanceStats) {
	for k, n := range o.transitions {
		s.Transitions = append(s.Transitions, TransitionCount{From: k.from.String(), To: k.to.String(), Reason: k.reason, Count: n})
	}
	slices.SortFunc(s.Transitions, func(a, b TransitionCount) int {
		return strings.Compare(a.From+a.To+string(a.Reason), b.From+b.To+string(b.Reason))
	})
	s.MastersSeen = maps.Clone(o.mastersSeen)
	s.ForeignAdverts = maps.Clone(o.foreign)
	for kind, srcs := range o.foreignSrc {
		if s.ForeignRouters == nil {
			s.ForeignRouters = map[ForeignKind][]string{}
		}
		for _, a := range srcs {
			s.ForeignRouters[kind] = append(s.ForeignRouters[kind], a.String())
		}
	}
	s.VIPRemovals = o.vipRemovals
	s.RoutingRemovals = o.routingRemovals
}

// observe starts the helpers of the probes and of the VIP check: the
// heartbeat and the watches of what is removed behind havip's back. Run
// calls it once.
func (e *Engine) observe() {
	e.heartbeat.Store(time.Now().UnixNano())
	e.spawn(func() {
		t := time.NewTicker(heartbeatInterval)
		defer t.Stop()
		beat := func() { e.heartbeat.Store(time.Now().UnixNano()) }
		for {
			select {
			case <-e.bg.Done():
				return
			case <-t.C:
				select {
				case e.calls <- beat:
				case <-e.bg.Done():
					return
				}
			}
		}
	})
	e.watchRemovals()
}

// LastHeartbeat returns when the event loop last turned for the heartbeat;
// the zero time before Run. It never waits for the loop.
func (e *Engine) LastHeartbeat() time.Time {
	if ns := e.heartbeat.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// Problem is why an instance is not consistent: its state and what is wrong.
type Problem struct {
	Instance string `json:"instance"`
	State    string `json:"state"`
	Problem  string `json:"problem"`
}

// Consistency checks every instance against the host: a MASTER holds all its
// VIPs, a BACKUP none (unless a MASTER here holds the same one), and no
// instance is in FAULT or not yet started. It takes the states on the event
// loop and reads the addresses off it. An empty answer means ready.
func (e *Engine) Consistency(ctx context.Context) ([]Problem, error) {
	type want struct {
		name, state string
		faults      []string
		vips        []netif.VIP
		master      bool
	}
	var wants []want
	held := map[string]bool{} // VIPs of masters, by vipKey
	err := e.onLoopContext(ctx, func() {
		for _, inst := range e.instances {
			w := want{name: inst.name, state: vrrp.StateInit.String(), faults: slices.Sorted(maps.Values(inst.faults)), vips: slices.Clone(inst.vips)}
			if inst.m != nil {
				w.state, w.master = inst.m.State().String(), inst.m.State() == vrrp.StateMaster
			}
			if w.master {
				for _, v := range inst.vips {
					held[vipKey(v)] = true
				}
			}
			wants = append(wants, w)
		}
	})
	if err != nil {
		return nil, err
	}
	var problems []Problem
	for _, w := range wants {
		add := func(format string) {
			problems = append(problems, Problem{Instance: w.name, State: w.state, Problem: format})
		}
		switch w.state {
		case vrrp.StateMaster.String(), vrrp.StateBackup.String():
		case vrrp.StateFault.String():
			add("FAULT: " + strings.Join(w.faults, "; "))
			continue
		default:
			add("not running as MASTER or BACKUP")
			continue
		}
		for _, v := range w.vips {
			present, err := e.host.HasVIP(v)
			switch {
			case err != nil:
				add(err.Error())
			case w.master && !present:
				add("MASTER without VIP " + v.Prefix.String() + " on " + v.Dev)
			case !w.master && present && !held[vipKey(v)]:
				add("BACKUP holds VIP " + v.Prefix.String() + " on " + v.Dev)
			}
		}
	}
	return problems, nil
}

// vipKey identifies a VIP by address, prefix length and interface.
func vipKey(v netif.VIP) string { return v.Prefix.String() + "%" + v.Dev }
