package vrrp

import (
	"strconv"
	"testing"
	"time"
)

func TestOwnerIgnoreAdverts(t *testing.T) {
	owner := func(ignore bool) func() Config {
		return func() Config { c := v2Config(); c.Priority = 255; c.OwnerIgnoreAdverts = ignore; return c }
	}
	drop := func(prio uint8) []Action {
		return []Action{Discard{DropOwnerIgnores, peer4, "priority " + itoa(prio) + " from 192.0.2.2"}}
	}
	// Another owner at a higher address: the address tie-break makes an owner yield, unless it
	// ignores adverts.
	yield := []Action{RemoveVIPs{}, Transition{StateMaster, StateBackup,
		Reason{CausePreempted, "equal priority 255 from higher address 192.0.2.2"}}}
	rows := []struct {
		name  string
		cfg   func() Config
		steps []step
	}{
		{"an owner yields to another owner at a higher address", owner(false), []step{
			{0, start, ownerStart, StateMaster, sec},
			{sec / 2, recv(peer4, 255), yield, StateBackup, sec/2 + 3*sec + sec/256},
		}},
		{"with owner_ignore_adverts it stays master", owner(true), []step{
			{0, start, ownerStart, StateMaster, sec},
			{sec / 2, recv(peer4, 255), drop(255), StateMaster, sec},
			{sec, expire, []Action{SendAdvert{255}}, StateMaster, 2 * sec},
		}},
		{"and ignores priority 0 too", owner(true), []step{
			{0, start, ownerStart, StateMaster, sec},
			{sec / 2, recv(peer4, 0), drop(0), StateMaster, sec},
		}},
		{"a non-owner is not affected", func() Config { c := v2Config(); c.OwnerIgnoreAdverts = true; return c }, seq(masterAt100, []step{
			{mdi100 + sec/2, recv(peer4, 150), []Action{RemoveVIPs{}, Transition{StateMaster, StateBackup,
				Reason{CausePreempted, "higher priority 150 from 192.0.2.2"}}}, StateBackup, mdi100 + sec/2 + mdi100},
		})},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			m, err := New(r.cfg(), ours4)
			if err != nil {
				t.Fatal(err)
			}
			runSteps(t, m, r.steps)
			if r.cfg().OwnerIgnoreAdverts && r.cfg().Priority == 255 && m.Counters().Drops[DropOwnerIgnores] == 0 {
				t.Fatal("no drop counted")
			}
		})
	}
}

func TestTimerExpiredBackup(t *testing.T) {
	// nopreempt master at priority 100; the highest other router has 200: it takes over after
	// 3 s + (256-200)/256 s of silence.
	cfg := func(other uint8) func() Config {
		return func() Config { c := v2Config(); c.NoPreempt = true; c.TimerExpiredBackup = other; return c }
	}
	bound := 3*sec + 56*sec/256
	late := func(d time.Duration, other uint8) Reason {
		return Reason{CauseTimerExpired, "no advert sent for " + d.Round(time.Millisecond).String() + " (timer_expired_backup: a router of priority " + itoa(other) + " takes over after " + bound.String() + ")"}
	}
	resign := func(d time.Duration) []Action {
		return []Action{RemoveVIPs{}, Transition{StateMaster, StateBackup, late(d, 200)}}
	}
	m := mdi100
	rows := []struct {
		name  string
		cfg   func() Config
		steps []step
	}{
		{"adverts on time: master", cfg(200), seq(masterAt100, []step{
			{m + sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 2*sec},
			{m + 2*sec + 100*ms, expire, []Action{SendAdvert{100}}, StateMaster, m + 3*sec + 100*ms},
		})},
		{"late just under the bound: still master", cfg(200), seq(masterAt100, []step{
			{m + bound - ms, expire, []Action{SendAdvert{100}}, StateMaster, m + bound - ms + sec},
		})},
		{"late past the bound: backup, no priority-0 advert", cfg(200), seq(masterAt100, []step{
			{m + bound, expire, resign(bound), StateBackup, m + bound + mdi100},
		})},
		{"an advert received when late: backup first, then the advert as a backup", cfg(200), seq(masterAt100, []step{
			{m + 5*sec, recv(peer4, 200), resign(5 * sec), StateBackup, m + 5*sec + mdi100},
		})},
		{"off: a late master keeps advertising", cfg(0), seq(masterAt100, []step{
			{m + 4*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 5*sec},
		})},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			mc, err := New(r.cfg(), ours4)
			if err != nil {
				t.Fatal(err)
			}
			runSteps(t, mc, r.steps)
		})
	}
	if _, err := New(cfg(255)(), ours4); err == nil {
		t.Fatal("timer_expired_backup 255 accepted")
	}
}

func itoa(n uint8) string { return strconv.Itoa(int(n)) }
