package engine

import (
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/havip/havip/runtime/vrrp"
)

// InstanceStatus is one instance as the event loop sees it: what an operator
// asks `havip status` for — who holds the VIPs, at what priority, since when
// and why.
type InstanceStatus struct {
	Name      string `json:"name"`
	Interface string `json:"interface"`
	VRID      uint8  `json:"vrid"`
	Version   int    `json:"version"`
	State     string `json:"state"`
	// Priority is the effective priority (base ± tracker weights).
	Priority     uint8 `json:"priority"`
	BasePriority uint8 `json:"base_priority"`
	// Master is the current master's address: ours when MASTER, the sender
	// of the last accepted advert when BACKUP.
	Master string   `json:"master,omitempty"`
	VIPs   []string `json:"vips"`
	// Since and Reason describe the last state change.
	Since  time.Time `json:"since,omitzero"`
	Reason string    `json:"reason,omitempty"`
	// Faults are the reasons the instance is held in FAULT.
	Faults []string `json:"faults,omitempty"`
}

// Status returns a snapshot of every instance, taken on the event loop. It
// fails when Run is not running.
func (e *Engine) Status() ([]InstanceStatus, error) {
	req := make(chan []InstanceStatus, 1)
	select {
	case e.statusReqs <- req:
		return <-req, nil
	case <-e.done:
		return nil, errors.New("the engine has stopped")
	}
}

// snapshot builds the status of every instance; it runs on the event loop.
func (e *Engine) snapshot() []InstanceStatus {
	out := make([]InstanceStatus, 0, len(e.instances))
	for _, inst := range e.instances {
		s := InstanceStatus{
			Name:         inst.name,
			Interface:    inst.ifname,
			VRID:         inst.vrid,
			Version:      inst.cfg.Version,
			State:        vrrp.StateFault.String(),
			Priority:     inst.cfg.Priority,
			BasePriority: inst.cfg.Priority,
			Since:        inst.since,
			Reason:       inst.reason,
			Faults:       slices.Sorted(maps.Values(inst.faults)),
		}
		if inst.m != nil {
			s.State, s.Priority = inst.m.State().String(), inst.m.Priority()
			if a := inst.m.MasterAddr(); a.IsValid() {
				s.Master = a.String()
			}
		} else if len(s.Faults) == 0 {
			s.Faults = []string{"waiting for a usable source address on " + inst.ifname}
		}
		for _, v := range inst.vips {
			s.VIPs = append(s.VIPs, v.Prefix.String())
		}
		out = append(out, s)
	}
	return out
}
