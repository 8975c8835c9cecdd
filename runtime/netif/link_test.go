package netif

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func fakeLink(name string, index int, flags uint32) netlink.Link {
	return &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: name, Index: index, RawFlags: flags}}
}

func TestLinkWatchFold(t *testing.T) {
	const upRunning = unix.IFF_UP | unix.IFF_LOWER_UP
	type msg struct {
		link    netlink.Link
		msgType uint16
	}
	tests := []struct {
		name string
		msgs []msg
		want []LinkEvent
	}{
		{
			name: "up needs admin up and carrier",
			msgs: []msg{
				{fakeLink("eth0", 2, unix.IFF_UP), unix.RTM_NEWLINK},
				{fakeLink("eth0", 2, upRunning), unix.RTM_NEWLINK},
				{fakeLink("eth0", 2, unix.IFF_LOWER_UP), unix.RTM_NEWLINK},
			},
			want: []LinkEvent{{"eth0", 2, false}, {"eth0", 2, true}, {"eth0", 2, false}},
		},
		{
			name: "repeated state is reported once",
			msgs: []msg{
				{fakeLink("eth0", 2, upRunning), unix.RTM_NEWLINK},
				{fakeLink("eth0", 2, upRunning), unix.RTM_NEWLINK},
			},
			want: []LinkEvent{{"eth0", 2, true}},
		},
		{
			name: "unwatched interfaces are ignored",
			msgs: []msg{{fakeLink("eth9", 5, upRunning), unix.RTM_NEWLINK}},
			want: nil,
		},
		{
			name: "deleted interface goes down with index 0",
			msgs: []msg{
				{fakeLink("eth0", 2, upRunning), unix.RTM_NEWLINK},
				{fakeLink("eth0", 2, upRunning), unix.RTM_DELLINK},
			},
			want: []LinkEvent{{"eth0", 2, true}, {"eth0", 0, false}},
		},
		{
			name: "renamed away then back",
			msgs: []msg{
				{fakeLink("eth0", 2, upRunning), unix.RTM_NEWLINK},
				{fakeLink("old0", 2, upRunning), unix.RTM_NEWLINK},
				{fakeLink("eth0", 2, upRunning), unix.RTM_NEWLINK},
			},
			want: []LinkEvent{{"eth0", 2, true}, {"eth0", 0, false}, {"eth0", 2, true}},
		},
		{
			name: "recreated with a new index",
			msgs: []msg{
				{fakeLink("eth0", 2, upRunning), unix.RTM_DELLINK},
				{fakeLink("eth0", 7, upRunning), unix.RTM_NEWLINK},
			},
			want: []LinkEvent{{"eth0", 7, true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []LinkEvent
			w := linkWatch{fn: func(ev LinkEvent) { got = append(got, ev) }, watched: map[string]bool{"eth0": true},
				last: map[string]LinkEvent{}, nameOf: map[int]string{}}
			for _, m := range tt.msgs {
				w.update(m.link, m.msgType)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestWatchLinks(t *testing.T) {
	a, b := newPair(t)
	events := make(chan LinkEvent, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		a.do(t, func() {
			done <- WatchLinks(ctx, []string{"eth0", "missing0"}, func(ev LinkEvent) { events <- ev })
		})
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("WatchLinks returned %v after cancel, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("WatchLinks did not return within 5s of cancel")
		}
	}()
	next := func(want LinkEvent) {
		t.Helper()
		select {
		case ev := <-events:
			if ev.Name != want.Name || ev.Up != want.Up || (want.Index == 0) != (ev.Index == 0) {
				t.Fatalf("event %+v, want %+v", ev, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no link event within 5s, want %+v", want)
		}
	}
	next(LinkEvent{Name: "eth0", Index: 1, Up: true})
	next(LinkEvent{Name: "missing0"})
	run(t, "ip", "-n", b.ns, "link", "set", "eth0", "down") // a's eth0 loses carrier
	next(LinkEvent{Name: "eth0", Index: 1, Up: false})
	run(t, "ip", "-n", b.ns, "link", "set", "eth0", "up")
	next(LinkEvent{Name: "eth0", Index: 1, Up: true})
	run(t, "ip", "-n", a.ns, "link", "set", "eth0", "down") // admin down with the peer still up
	next(LinkEvent{Name: "eth0", Index: 1, Up: false})
}
