package engine

import (
	"context"
	"sync"

	"github.com/havip/havip/runtime/netif"
)

// linkPolls runs one poller per polled interface (and method), whoever
// follows it: the link watcher of the instances' interfaces and the
// track_interface trackers, which keepalived's single linkbeat thread per
// interface serves alike. A poller starts with its first follower and
// stops with its last; a follower joining a running poller gets the state
// it last read at once.
type linkPolls struct {
	mu    sync.Mutex
	polls map[linkPollKey]*linkPoll
}

type linkPollKey struct {
	ifname string
	prefer netif.LinkBeatMethod
}

// linkPoll is one running poller and its followers.
type linkPoll struct {
	stop      context.CancelFunc
	last      *netif.LinkEvent // the state it last read; nil before its first read
	followers map[*linkFollower]bool
}

// linkFollower is the queue of states a follower has not handled yet.
type linkFollower struct {
	mu      sync.Mutex
	pending []netif.LinkEvent
	wake    chan struct{} // signalled when pending grows
}

func (f *linkFollower) push(ev netif.LinkEvent) {
	f.mu.Lock()
	f.pending = append(f.pending, ev)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *linkFollower) take() []netif.LinkEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	evs := f.pending
	f.pending = nil
	return evs
}

// followLink hands send the state of ifname's link, read every
// e.linkBeatEvery with prefer first, each time it changes (the first one
// included), until ctx is done.
func (e *Engine) followLink(ctx context.Context, ifname string, prefer netif.LinkBeatMethod, send func(netif.LinkEvent)) {
	f := &linkFollower{wake: make(chan struct{}, 1)}
	e.joinPoll(linkPollKey{ifname: ifname, prefer: prefer}, f)
	defer e.leavePoll(linkPollKey{ifname: ifname, prefer: prefer}, f)
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		}
		for _, ev := range f.take() {
			send(ev)
		}
	}
}

// joinPoll makes f follow the poller of key, starting it if none runs.
func (e *Engine) joinPoll(key linkPollKey, f *linkFollower) {
	lp := &e.linkPolls
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if lp.polls == nil {
		lp.polls = map[linkPollKey]*linkPoll{}
	}
	p := lp.polls[key]
	if p == nil {
		ctx, cancel := context.WithCancel(e.bg)
		p = &linkPoll{stop: cancel, followers: map[*linkFollower]bool{}}
		lp.polls[key] = p
		e.spawn(func() { e.pollLink(ctx, key.ifname, key.prefer, func(ev netif.LinkEvent) { e.pollRead(key, p, ev) }) })
	}
	p.followers[f] = true
	if p.last != nil {
		f.push(*p.last)
	}
}

// pollRead hands the state p read to its followers, unless p has stopped.
func (e *Engine) pollRead(key linkPollKey, p *linkPoll, ev netif.LinkEvent) {
	lp := &e.linkPolls
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if lp.polls[key] != p {
		return
	}
	p.last = &ev
	for f := range p.followers {
		f.push(ev)
	}
}

// leavePoll stops f following the poller of key, and stops the poller if
// f was its last follower.
func (e *Engine) leavePoll(key linkPollKey, f *linkFollower) {
	lp := &e.linkPolls
	lp.mu.Lock()
	defer lp.mu.Unlock()
	p := lp.polls[key]
	delete(p.followers, f)
	if len(p.followers) == 0 {
		p.stop()
		delete(lp.polls, key)
	}
}
