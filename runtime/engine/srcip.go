package engine

import (
	"log/slog"
	"net/netip"
	"time"

	"github.com/havip/havip/runtime/netif"
)

// sourceFaultKey is the FAULT reason key of track_src_ip: the configured
// source address is not on the instance's interface.
const sourceFaultKey = "track_src_ip"

// trackedSource is the address track_src_ip follows: the configured
// unicast_src_ip or mcast_src_ip the instance sends from. Without one
// keepalived 2.2.7 clears track_src_ip, and so there is none.
func (inst *instance) trackedSource() (netip.Addr, bool) {
	ci := inst.cfg
	if !ci.TrackSrcIP {
		return netip.Addr{}, false
	}
	src := ci.MulticastSource
	if ci.Unicast() {
		src = ci.UnicastSource
	}
	return src, src.IsValid()
}

// sourceMissing reports whether inst tracks its source address and the
// address is not on its interface; a failed look-up counts as missing.
func (e *Engine) sourceMissing(inst *instance) (netip.Addr, bool) {
	src, ok := inst.trackedSource()
	if !ok {
		return src, false
	}
	present, err := e.host.HasAddr(inst.ifname, src)
	if err != nil {
		e.limiter.log(e.log, slog.LevelWarn, "srcip:"+inst.name, "looking up the tracked source address failed",
			"instance", inst.name, "source", src.String(), "interface", inst.ifname, "err", err)
	}
	return src, err != nil || !present
}

// sourceReason is the FAULT reason of src missing from ifname.
func sourceReason(src netip.Addr, ifname string) string {
	return "track_src_ip: source address " + src.String() + " is not on " + ifname
}

// markSource records whether inst's tracked source address is missing,
// before its machine starts; while it is missing the address is looked for
// every retryInterval.
func (e *Engine) markSource(inst *instance, now time.Time) {
	src, missing := e.sourceMissing(inst)
	inst.setFault(sourceFaultKey, sourceReason(src, inst.ifname), missing)
	inst.sourceCheckAt = time.Time{}
	if missing {
		inst.sourceCheckAt = now.Add(retryInterval)
	}
}

// checkSource puts a running inst in FAULT while its tracked source address
// is missing, and takes it out once the address is back.
func (e *Engine) checkSource(inst *instance, now time.Time) {
	src, missing := e.sourceMissing(inst)
	was := inst.faults[sourceFaultKey] != ""
	if missing != was {
		if missing {
			e.log.Warn("the tracked source address left the interface; the instance goes to FAULT",
				"instance", inst.name, "source", src.String(), "interface", inst.ifname)
		} else {
			e.log.Info("the tracked source address is back on the interface",
				"instance", inst.name, "source", src.String(), "interface", inst.ifname)
		}
	}
	inst.sourceCheckAt = time.Time{}
	if missing {
		inst.sourceCheckAt = now.Add(retryInterval)
	}
	e.setFault(inst, now, sourceFaultKey, sourceReason(src, inst.ifname), missing)
	e.reschedule(inst)
}

// sourceRemoved checks the instances whose tracked source address ev
// removed.
func (e *Engine) sourceRemoved(ev netif.AddrRemoved) {
	now := e.clock.Now()
	for _, inst := range e.instances {
		src, ok := inst.trackedSource()
		if !ok || inst.m == nil || src != ev.Addr || ev.Dev != "" && ev.Dev != inst.ifname {
			continue
		}
		e.checkSource(inst, now)
	}
}
