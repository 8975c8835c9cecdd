package track

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// interfaceResubscribe is the pause before re-subscribing after the netlink subscription fails.
const interfaceResubscribe = time.Second

// InterfaceSpec is one track_interface entry.
type InterfaceSpec struct {
	Name string
	// NetNS is the path of a network namespace (e.g. /run/netns/NAME); empty means the
	// namespace havip runs in.
	NetNS string
}

type interfaceTracker struct {
	spec InterfaceSpec
	log  *slog.Logger
}

// NewInterface returns a tracker that is up while the interface is administratively up and has
// carrier (IFF_UP and IFF_LOWER_UP); a missing or deleted interface is down.
func NewInterface(spec InterfaceSpec, log *slog.Logger) Tracker {
	return &interfaceTracker{spec: spec, log: loggerOr(log)}
}

func (i *interfaceTracker) Key() Key { return Key{KindInterface, i.spec.Name} }

// linkResult describes a link's state.
func linkResult(key Key, attrs *netlink.LinkAttrs) Result {
	admin := attrs.Flags&net.FlagUp != 0
	carrier := attrs.RawFlags&unix.IFF_LOWER_UP != 0
	detail := fmt.Sprintf("%s admin %s, carrier %s", attrs.Name, onOff(admin, "up", "down"), onOff(carrier, "present", "absent"))
	return Result{Key: key, Up: admin && carrier, Detail: detail}
}

func onOff(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func (i *interfaceTracker) Run(ctx context.Context, report func(Result)) {
	var last *Result
	emit := func(r Result) {
		if last == nil || last.Up != r.Up {
			report(r)
		}
		last = &r
	}
	for {
		err := i.follow(ctx, emit)
		if ctx.Err() != nil {
			return
		}
		i.log.Warn("interface tracker lost its netlink subscription; resubscribing", "tracker", i.Key().String(), "error", err)
		emit(Result{Key: i.Key(), Detail: fmt.Sprintf("netlink subscription failed: %v", err)})
		select {
		case <-ctx.Done():
			return
		case <-time.After(interfaceResubscribe):
		}
	}
}

// follow subscribes to link updates, reports the current state and then every update for the
// interface until ctx is done or the subscription fails.
func (i *interfaceTracker) follow(ctx context.Context, emit func(Result)) error {
	opts := netlink.LinkSubscribeOptions{
		ErrorCallback: func(err error) {
			i.log.Warn("interface tracker netlink error", "tracker", i.Key().String(), "error", err)
		},
	}
	handle := netlink.Handle{}
	h := &handle
	if i.spec.NetNS != "" {
		ns, err := netns.GetFromPath(i.spec.NetNS)
		if err != nil {
			return fmt.Errorf("open network namespace %s: %w", i.spec.NetNS, err)
		}
		defer ns.Close()
		opts.Namespace = &ns
		h, err = netlink.NewHandleAt(ns)
		if err != nil {
			return fmt.Errorf("netlink handle in %s: %w", i.spec.NetNS, err)
		}
		defer h.Close()
	}
	updates := make(chan netlink.LinkUpdate, 64)
	done := make(chan struct{})
	defer close(done)
	if err := netlink.LinkSubscribeWithOptions(updates, done, opts); err != nil {
		return fmt.Errorf("subscribe to link updates: %w", err)
	}
	// Subscribed first, then read the current state, so no change can fall in between.
	index := 0
	if link, err := h.LinkByName(i.spec.Name); err != nil {
		emit(Result{Key: i.Key(), Detail: fmt.Sprintf("%s not found: %v", i.spec.Name, err)})
	} else {
		index = link.Attrs().Index
		emit(linkResult(i.Key(), link.Attrs()))
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case u, ok := <-updates:
			if !ok {
				return fmt.Errorf("link update channel closed")
			}
			attrs := u.Attrs()
			switch {
			case attrs.Name == i.spec.Name && u.Header.Type == unix.RTM_DELLINK:
				index = 0
				emit(Result{Key: i.Key(), Detail: i.spec.Name + " deleted"})
			case attrs.Name == i.spec.Name:
				index = attrs.Index
				emit(linkResult(i.Key(), attrs))
			case index != 0 && attrs.Index == index:
				index = 0
				emit(Result{Key: i.Key(), Detail: fmt.Sprintf("%s renamed to %s", i.spec.Name, attrs.Name)})
			}
		}
	}
}
