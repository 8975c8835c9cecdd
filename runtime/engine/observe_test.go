package engine

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/havip/havip/runtime/vrrp"
)

// transitionsOf returns the transitions among acts.
func transitionsOf(acts []vrrp.Action) []vrrp.Transition {
	var ts []vrrp.Transition
	for _, a := range acts {
		if t, ok := a.(vrrp.Transition); ok {
			ts = append(ts, t)
		}
	}
	return ts
}

// TestClassifyMachineTransitions drives real machines through every way of
// changing state, so that a change of the machine's reasons fails here.
func TestClassifyMachineTransitions(t *testing.T) {
	ours := netip.MustParseAddr("192.0.2.1")
	peer := netip.MustParseAddr("192.0.2.2")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	newMachine := func(t *testing.T, prio uint8, sync bool) *vrrp.Machine {
		m, err := vrrp.New(vrrp.Config{Name: "VI_1", VRID: 51, Version: 2, Priority: prio, AdvertInterval: time.Second,
			Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.100")}, SyncGroup: sync}, ours)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	master := func(t *testing.T) (*vrrp.Machine, time.Time) {
		m := newMachine(t, 100, false)
		m.Start(t0)
		now := m.NextDeadline()
		m.Expire(now)
		return m, now
	}
	advert := func(m *vrrp.Machine, prio uint8) *vrrp.Received {
		return &vrrp.Received{Advert: vrrp.Advert{Version: 2, VRID: 51, Priority: prio, AdverInt: 1,
			Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.100")}}, Src: peer, Dst: netip.MustParseAddr("224.0.0.18"), TTL: 255}
	}
	tests := []struct {
		name string
		run  func(t *testing.T) []vrrp.Action
		want TransitionReason
	}{
		{"startup", func(t *testing.T) []vrrp.Action { return newMachine(t, 100, false).Start(t0) }, ReasonStartup},
		{"startup in fault", func(t *testing.T) []vrrp.Action {
			m := newMachine(t, 100, false)
			m.SetFault(t0, true, "link")
			return m.Start(t0)
		}, ReasonFault},
		{"address owner", func(t *testing.T) []vrrp.Action { return newMachine(t, 255, false).Start(t0) }, ReasonAddressOwner},
		{"master down", func(t *testing.T) []vrrp.Action {
			m := newMachine(t, 100, false)
			m.Start(t0)
			return m.Expire(m.NextDeadline())
		}, ReasonMasterDown},
		{"priority zero", func(t *testing.T) []vrrp.Action {
			m := newMachine(t, 100, false)
			m.Start(t0)
			m.Receive(t0.Add(time.Second), advert(m, 150))
			m.Receive(t0.Add(2*time.Second), advert(m, 0))
			return m.Expire(m.NextDeadline())
		}, ReasonPriorityZero},
		{"higher priority", func(t *testing.T) []vrrp.Action {
			m, now := master(t)
			return m.Receive(now.Add(time.Second/2), advert(m, 150))
		}, ReasonHigherPriority},
		{"sync group", func(t *testing.T) []vrrp.Action {
			m, now := master(t)
			return m.ForceBackup(now, "sync group G: member VI_2 went BACKUP")
		}, ReasonSyncGroup},
		{"fault", func(t *testing.T) []vrrp.Action {
			m, now := master(t)
			return m.SetFault(now, true, "interface eth0 down")
		}, ReasonFault},
		{"fault cleared", func(t *testing.T) []vrrp.Action {
			m, now := master(t)
			m.SetFault(now, true, "interface eth0 down")
			return m.SetFault(now, false, "interface eth0 up")
		}, ReasonFaultCleared},
		{"vip removed", func(t *testing.T) []vrrp.Action {
			m, now := master(t)
			return m.Resign(now, vrrp.CauseVIPRemoved, "192.0.2.100/24 on eth0")
		}, ReasonVIPRemoved},
		{"shutdown", func(t *testing.T) []vrrp.Action {
			m, now := master(t)
			return m.Stop(now)
		}, ReasonShutdown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := transitionsOf(tt.run(t))
			if len(ts) != 1 {
				t.Fatalf("transitions %v, want one", ts)
			}
			if got := classify(ts[0]); got != tt.want {
				t.Fatalf("classify(%v) = %q, want %q", ts[0], got, tt.want)
			}
		})
	}
}

func TestObservedTally(t *testing.T) {
	a := netip.MustParseAddr("192.0.2.7")
	b := netip.MustParseAddr("192.0.2.8")
	var o observed
	o.tally([]vrrp.Action{
		vrrp.SendAdvert{Priority: 100}, vrrp.AddVIPs{},
		vrrp.Transition{From: vrrp.StateBackup, To: vrrp.StateMaster, Reason: vrrp.Reason{Cause: vrrp.CauseMasterDown}},
		vrrp.LowerPriorityAdvert{Source: a, Priority: 50},
		vrrp.LowerPriorityAdvert{Source: a, Priority: 50},
		vrrp.Reassert{Other: a},
		vrrp.RemoveVIPs{}, vrrp.Transition{From: vrrp.StateMaster, To: vrrp.StateBackup, Reason: vrrp.Reason{Cause: vrrp.CausePreempted, Detail: "higher priority 150 from 192.0.2.8"}},
		vrrp.Discard{Reason: vrrp.DropAuthPass, Source: a},
		vrrp.Discard{Reason: vrrp.DropAuthType, Source: b},
		vrrp.Discard{Reason: vrrp.DropAuthPass, Source: a},
		vrrp.Discard{Reason: vrrp.DropUnknownPeer, Source: b},
		vrrp.Discard{Reason: vrrp.DropAddrList, Source: a},
		vrrp.Discard{Reason: vrrp.DropTTL, Source: b},
	})
	o.vipRemovals = 2
	var got InstanceStats
	o.fill(&got)
	want := InstanceStats{
		Transitions: []TransitionCount{
			{From: "BACKUP", To: "MASTER", Reason: ReasonMasterDown, Count: 1},
			{From: "MASTER", To: "BACKUP", Reason: ReasonHigherPriority, Count: 1},
		},
		MastersSeen:    map[MasterSeenOutcome]uint64{MasterSeenReasserted: 2, MasterSeenWon: 1, MasterSeenYielded: 1},
		ForeignAdverts: map[ForeignKind]uint64{ForeignAuth: 3, ForeignSource: 1, ForeignVIPs: 1},
		ForeignRouters: map[ForeignKind][]string{ForeignAuth: {"192.0.2.7", "192.0.2.8"}, ForeignSource: {"192.0.2.8"}, ForeignVIPs: {"192.0.2.7"}},
		VIPRemovals:    2,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("tally:\n got %+v\nwant %+v", got, want)
	}
	for i := range 2 * maxForeignSources {
		o.tally([]vrrp.Action{vrrp.Discard{Reason: vrrp.DropUnknownPeer, Source: netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})}})
	}
	if n := len(o.foreignSrc[ForeignSource]); n != maxForeignSources {
		t.Fatalf("%d foreign sources remembered, want the bound %d", n, maxForeignSources)
	}
}
