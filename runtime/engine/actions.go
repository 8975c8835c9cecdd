package engine

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/havip/havip/runtime/notify"
	"github.com/havip/havip/runtime/vrrp"
)

// logEvery is the shortest interval between two log lines about the same
// recurring problem (a dropped packet, a failing send).
const logEvery = 10 * time.Second

// apply carries out a machine's actions in the order it returned them.
func (e *Engine) apply(inst *instance, acts []vrrp.Action) {
	defer e.reschedule(inst)
	inst.stats.Tally(acts)
	inst.obs.tally(acts)
	if inst.vmac != nil && !inst.vmacUp && slices.ContainsFunc(acts, isAddVIPs) {
		// Becoming MASTER: the VMAC must be up for the first advert, which comes before AddVIPs.
		e.setVMACUp(inst, true)
	}
	if slices.ContainsFunc(acts, isAddVIPs) {
		e.setAddrVMACsUp(inst, true)
	}
	for _, act := range acts {
		switch a := act.(type) {
		case vrrp.SendAdvert:
			e.sendAdvert(inst, a.Priority)
		case vrrp.AddVIPs:
			e.addVIPs(inst)
			e.installRouting(inst.name, inst.routing)
		case vrrp.RemoveVIPs:
			inst.dropPending()
			e.removeRouting(inst.name, inst.routing)
			e.removeVIPs(inst)
			if inst.vmac != nil {
				e.setVMACUp(inst, false)
			}
			e.setAddrVMACsUp(inst, false)
		case vrrp.Announce:
			e.announceVIPs(inst, inst.vips, a.Repeat)
		case vrrp.Transition:
			inst.since, inst.reason = e.clock.Now(), a.Reason.String()
			e.log.Info("transition", "instance", inst.name, "from", a.From.String(), "to", a.To.String(),
				"priority", inst.m.Priority(), "reason", a.Reason.String())
			if inst.group != nil {
				e.groupTransition(inst, a)
			}
			e.notifyTransition(inst, a)
			e.syncTransition(inst, a)
		case vrrp.RequestMaster:
			if inst.group != nil {
				e.groupRequest(inst.group)
			}
		case vrrp.PriorityChange:
			e.log.Info("priority change", "instance", inst.name, "from", a.From, "to", a.To, "reason", a.Reason)
			if inst.notifyPriorityChanges {
				state := notify.BackupPriority
				if inst.m.State() == vrrp.StateMaster {
					state = notify.MasterPriority
				}
				e.emit(notify.Event{Kind: notify.Instance, Name: inst.name, State: state, Priority: int(a.To)})
			}
		case vrrp.LowerPriorityAdvert:
			e.limiter.log(e.log, slog.LevelInfo, "lower:"+inst.name, "master received a lower-priority advert, re-asserting",
				"instance", inst.name, "source", a.Source.String(), "priority", a.Priority)
			e.emit(notify.Event{Kind: notify.Instance, Name: inst.name, State: notify.MasterRxLowerPri, Priority: int(inst.m.Priority())})
		case vrrp.Reassert:
			e.log.Warn("split brain healed: the other master yielded; running the master notify again",
				"instance", inst.name, "other", a.Other.String())
			e.emit(notify.Event{Kind: notify.Instance, Name: inst.name, State: notify.Master, Priority: int(inst.m.Priority())})
			if g := inst.group; g != nil && g.notified == notify.Master {
				e.emit(notify.Event{Kind: notify.Group, Name: g.name, State: notify.Master})
			}
		case vrrp.Discard:
			e.limiter.log(e.log, slog.LevelWarn, "discard:"+inst.name+":"+a.Reason.String(), "discarded an advert",
				"instance", inst.name, "source", a.Source.String(), "reason", a.Reason.String(), "detail", a.Detail)
		default:
			e.log.Error("unknown action from the state machine", "instance", inst.name, "action", act.String())
		}
	}
}

// sendAdvert sends one advert with the given priority to every destination.
func (e *Engine) sendAdvert(inst *instance, priority uint8) {
	src := inst.m.Primary()
	ah := inst.m.UsesAH()
	for _, dst := range inst.destinations() {
		var b []byte
		var err error
		if ah {
			b, err = inst.m.AppendAHDatagram(e.sendBuf[:0], priority, dst, uint8(inst.ttl))
		} else {
			b, err = inst.m.AppendAdvert(e.sendBuf[:0], priority, dst)
		}
		if err != nil {
			e.limiter.log(e.log, slog.LevelError, "encode:"+inst.name, "building an advert failed", "instance", inst.name, "err", err)
			continue
		}
		e.sendBuf = b
		if ah {
			err = inst.sendPort().sendDatagram(b)
		} else {
			err = inst.sendPort().send(b, src, dst, inst.ttl)
		}
		if err != nil {
			e.limiter.log(e.log, slog.LevelWarn, "send:"+inst.name+":"+dst.String(), "sending an advert failed",
				"instance", inst.name, "destination", dst.String(), "err", err)
		}
	}
}

// addVIPs installs the instance's VIPs and excluded VIPs.
func (e *Engine) addVIPs(inst *instance) {
	e.dropVIPs(inst)
	for _, v := range inst.vips {
		if err := e.host.AddVIP(v); err != nil {
			e.log.Error("adding a VIP failed", "instance", inst.name, "vip", v.String(), "err", err)
		}
	}
}

// removeVIPs removes the instance's VIPs and excluded VIPs.
func (e *Engine) removeVIPs(inst *instance) {
	for _, v := range inst.vips {
		if err := e.host.DelVIP(v); err != nil {
			e.log.Error("removing a VIP failed", "instance", inst.name, "vip", v.String(), "err", err)
		}
	}
	e.allowVIPs(inst)
}

// logLimiter drops repeats of the same log line within every.
type logLimiter struct {
	every time.Duration
	last  map[string]time.Time
}

func (l *logLimiter) log(log *slog.Logger, level slog.Level, key, msg string, args ...any) {
	now := time.Now() // wall time: socket readers log through their own limiters
	if t, ok := l.last[key]; ok && now.Sub(t) < l.every {
		return
	}
	l.last[key] = now
	log.Log(context.Background(), level, msg, args...)
}

func isAddVIPs(a vrrp.Action) bool {
	_, ok := a.(vrrp.AddVIPs)
	return ok
}

// setVMACUp brings inst's VMAC up (becoming MASTER) or down (leaving it): a backup never sends a
// frame from the virtual MAC, and adverts from a master's virtual MAC reach its interface.
func (e *Engine) setVMACUp(inst *instance, up bool) {
	if up && inst.vmac.Family == 6 {
		// The kernel drops an IPv6 device's addresses when it goes down: the link-local the
		// adverts are sent from is added again.
		if _, err := e.host.EnsureVMAC(*inst.vmac); err != nil {
			e.log.Error("preparing the VMAC failed", "instance", inst.name, "vmac", inst.vmac.Name, "err", err)
		}
	}
	if err := e.host.SetVMACUp(inst.vmac.Name, up); err != nil {
		e.log.Error("setting the VMAC up or down failed", "instance", inst.name, "vmac", inst.vmac.Name, "up", up, "err", err)
		return
	}
	inst.vmacUp = up
}
