package vrrp

import (
	"testing"
	"time"
)

func TestResign(t *testing.T) {
	resign := func(t *testing.T, m *Machine, now time.Time) []Action {
		return m.Resign(now, CauseRoutingRemoved, "virtual route removed: 198.51.100.0/24 via 192.0.2.254")
	}
	reason := Reason{CauseRoutingRemoved, "virtual route removed: 198.51.100.0/24 via 192.0.2.254"}
	m := mdi100
	rows := []struct {
		name  string
		cfg   func() Config
		steps []step
	}{
		{"master resigns with priority 0 and is master again after Skew_Time", v2Config, seq(masterAt100, []step{
			{m + sec/2, resign, []Action{SendAdvert{0}, RemoveVIPs{}, Transition{StateMaster, StateBackup, reason}},
				StateBackup, m + sec/2 + skw100},
			{m + sec/2 + skw100, expire, toMaster(100, reasonMasterDown), StateMaster, m + 3*sec/2 + skw100},
		})},
		{"a higher-priority advert during the re-election keeps it backup", v2Config, seq(masterAt100, []step{
			{m + sec/2, resign, []Action{SendAdvert{0}, RemoveVIPs{}, Transition{StateMaster, StateBackup, reason}},
				StateBackup, m + sec/2 + skw100},
			{m + sec/2 + skw100/2, recv(peer4, 150), nil, StateBackup, m + sec/2 + skw100/2 + mdi100},
		})},
		{"backup ignores it", v2Config, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, resign, nil, StateBackup, mdi100},
		}},
		{"fault ignores it", v2Config, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, fault(true), []Action{Transition{StateBackup, StateFault, Reason{CauseFault, "link"}}}, StateFault, noDeadline},
			{2 * sec, resign, nil, StateFault, noDeadline},
		}},
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
}
