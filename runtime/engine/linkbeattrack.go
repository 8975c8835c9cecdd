package engine

import (
	"context"

	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/track"
)

// Linkbeat is a property of the interface, as keepalived's
// ifp->linkbeat_use_polling is: a track_interface (of an instance, of a
// sync group, or added by a track_group) naming a polled interface follows
// the poll too, like the instances on it.

// polledTracks is the interfaces the config polls that a track_interface
// tracker polls: all but the use_vmac devices of insts and of the engine,
// which netlink reports, as keepalived turns linkbeat off for them.
func (e *Engine) polledTracks(insts []*instance) map[string]netif.LinkBeatMethod {
	m := make(map[string]netif.LinkBeatMethod, len(e.linkBeat))
	for name, prefer := range e.linkBeat {
		if _, vmac := e.vmacs[name]; !vmac {
			m[name] = prefer
		}
	}
	for _, inst := range insts {
		if inst.vmac != nil {
			delete(m, inst.vmac.Name)
		}
	}
	return m
}

// interfaceTracker is the tracker spec of track_interface name: the poll
// of polled when it names the interface, netlink otherwise.
func (e *Engine) interfaceTracker(name string, polled map[string]netif.LinkBeatMethod) trackerSpec {
	spec := track.InterfaceSpec{Name: name}
	if prefer, ok := polled[name]; ok {
		lb := linkBeatSpec{on: true, prefer: prefer}
		return trackerSpec{kind: track.KindInterface, iface: spec, linkBeat: lb,
			build: func() track.Tracker { return &linkBeatTracker{e: e, ifname: name, prefer: prefer} }}
	}
	return trackerSpec{kind: track.KindInterface, iface: spec, build: func() track.Tracker { return track.NewInterface(spec, e.log) }}
}

// linkBeatSpec says whether a track_interface tracker polls its interface,
// and with which preferred method.
type linkBeatSpec struct {
	on     bool
	prefer netif.LinkBeatMethod
}

// linkBeatTracker is a track_interface tracker that polls its interface
// every e.linkBeatEvery, with the poller of an instance's interface when it
// is one (followLink): up
// while the poll reads the link up, down while it reads it down or the
// interface is missing.
type linkBeatTracker struct {
	e      *Engine
	ifname string
	prefer netif.LinkBeatMethod
}

func (t *linkBeatTracker) Key() track.Key {
	return track.Key{Kind: track.KindInterface, Name: t.ifname}
}

func (t *linkBeatTracker) Run(ctx context.Context, report func(track.Result)) {
	t.e.followLink(ctx, t.ifname, t.prefer, func(ev netif.LinkEvent) {
		detail := t.ifname + " linkbeat reports the link down"
		if ev.Up {
			detail = t.ifname + " linkbeat reports the link up"
		}
		report(track.Result{Key: t.Key(), Up: ev.Up, Detail: detail})
	})
}

// trackPolls reports whether a track_interface tracker polls ifname.
func (e *Engine) trackPolls(ifname string) bool {
	run := e.trackers[track.Key{Kind: track.KindInterface, Name: ifname}]
	return run != nil && run.spec.linkBeat.on
}
