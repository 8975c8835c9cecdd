package netif

import (
	"context"
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// LinkEvent is the state of one watched interface.
type LinkEvent struct {
	Name  string // interface name as given to WatchLinks
	Index int    // interface index; 0 when the interface does not exist
	Up    bool   // administratively up AND carrier present (IFF_UP and IFF_LOWER_UP)
}

// WatchLinks calls fn with the current state of every interface in ifnames, then again each time
// one of them changes state (comes up, goes down, appears, disappears or is renamed away). fn runs
// on the calling goroutine and only for changes: repeated identical states are not reported. A
// change that races the initial query can be reported as a brief flap before the final state.
//
// WatchLinks blocks until ctx is done (and then returns nil) or the netlink subscription fails,
// e.g. with ENOBUFS after an event storm; calling it again resubscribes and reports the current
// state first.
func WatchLinks(ctx context.Context, ifnames []string, fn func(LinkEvent)) error {
	sub, err := subscribe(func(updates chan netlink.LinkUpdate, done chan struct{}, onError func(error)) error {
		return netlink.LinkSubscribeWithOptions(updates, done, netlink.LinkSubscribeOptions{ErrorCallback: onError})
	})
	if err != nil {
		return fmt.Errorf("watch links %v: subscribe to netlink link updates: %w", ifnames, err)
	}
	defer sub.close()

	w := linkWatch{fn: fn, watched: map[string]bool{}, last: map[string]LinkEvent{}, nameOf: map[int]string{}}
	for _, name := range ifnames {
		w.watched[name] = true
	}
	for _, name := range ifnames {
		link, err := linkByName(name)
		switch {
		case errors.Is(err, ErrNoInterface):
			w.report(LinkEvent{Name: name})
		case err != nil:
			return fmt.Errorf("watch links: %w", err)
		default:
			w.update(link, unix.RTM_NEWLINK)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case u, ok := <-sub.updates:
			if !ok {
				return fmt.Errorf("watch links %v: netlink subscription ended: %w", ifnames, sub.ended())
			}
			w.update(u.Link, u.Header.Type)
		}
	}
}

// linkWatch folds netlink link messages into per-name state changes.
type linkWatch struct {
	fn      func(LinkEvent)
	watched map[string]bool
	last    map[string]LinkEvent
	nameOf  map[int]string // index -> watched name it last had
}

func (w *linkWatch) update(link netlink.Link, msgType uint16) {
	attrs := link.Attrs()
	if old, ok := w.nameOf[attrs.Index]; ok && (old != attrs.Name || msgType == unix.RTM_DELLINK) {
		delete(w.nameOf, attrs.Index)
		w.report(LinkEvent{Name: old})
	}
	if !w.watched[attrs.Name] || msgType == unix.RTM_DELLINK {
		return
	}
	w.nameOf[attrs.Index] = attrs.Name
	w.report(LinkEvent{
		Name:  attrs.Name,
		Index: attrs.Index,
		Up:    attrs.RawFlags&unix.IFF_UP != 0 && attrs.RawFlags&unix.IFF_LOWER_UP != 0,
	})
}

func (w *linkWatch) report(ev LinkEvent) {
	if prev, ok := w.last[ev.Name]; ok && prev == ev {
		return
	}
	w.last[ev.Name] = ev
	w.fn(ev)
}
