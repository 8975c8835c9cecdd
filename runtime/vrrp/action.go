package vrrp

import (
	"fmt"
	"net/netip"
)

// State is an instance state. The names are keepalived's, as used by notify
// scripts and the notify FIFO.
type State int

// Instance states. Initialize is the state before Start; Stopped the state
// after Stop (keepalived notify "STOP").
const (
	StateInit State = iota
	StateBackup
	StateMaster
	StateFault
	StateStopped
)

func (s State) String() string {
	switch s {
	case StateInit:
		return "INIT"
	case StateBackup:
		return "BACKUP"
	case StateMaster:
		return "MASTER"
	case StateFault:
		return "FAULT"
	case StateStopped:
		return "STOP"
	}
	return fmt.Sprintf("state-%d", int(s))
}

// Action is something the driver must do, in the order returned. The set is
// closed: SendAdvert, AddVIPs, RemoveVIPs, Announce, Transition,
// RequestMaster, PriorityChange, LowerPriorityAdvert, Reassert and Discard.
type Action interface {
	fmt.Stringer
	action()
}

// SendAdvert asks for one advertisement with the given priority to every
// destination (Machine.Destinations); build it with Machine.AppendAdvert.
type SendAdvert struct{ Priority uint8 }

// AddVIPs asks for the instance's virtual addresses to be added.
type AddVIPs struct{}

// RemoveVIPs asks for the instance's virtual addresses to be removed.
type RemoveVIPs struct{}

// Announce asks for Repeat gratuitous ARPs (IPv4) or unsolicited NAs (IPv6)
// per virtual address, back to back.
type Announce struct{ Repeat int }

// Transition reports a state change, emitted after the actions that
// establish the new state (so a notify script run on it sees the VIPs in
// place).
type Transition struct {
	From, To State
	Reason   Reason
}

// Reason is why a transition happens: a Cause for code to tell kinds apart,
// and a Detail for humans ("higher priority 150 from 192.0.2.1").
type Reason struct {
	Cause  Cause
	Detail string
}

// String returns the detail, or the cause when there is none.
func (r Reason) String() string {
	if r.Detail == "" {
		return r.Cause.String()
	}
	return r.Detail
}

// Cause is the kind of event behind a transition.
type Cause uint8

// Causes of transitions. CauseFault and CauseSyncGroup carry the driver's
// detail (SetFault; ForceMaster and ForceBackup).
const (
	CauseStartup        Cause = iota + 1 // Start
	CauseMasterDown                      // Master_Down_Timer expired: the master fell silent or sent priority 0
	CauseOwner                           // priority 255: the address owner takes over at once
	CausePreempted                       // a higher-priority advert, or an equal one from a higher address
	CauseFault                           // entering or leaving FAULT
	CauseSyncGroup                       // the sync group coordinator
	CauseShutdown                        // Stop
	CausePriorityZero                    // Master_Down_Timer expired at Skew_Time after the master's priority-0 advert
	CauseVIPRemoved                      // Resign: a virtual address was removed behind the master's back
	CauseRoutingRemoved                  // Resign: a virtual route or rule was removed behind the master's back
	CauseTimerExpired                    // timer_expired_backup: the master advertised too late
)

var causeNames = [...]string{
	CauseStartup:        "startup",
	CauseMasterDown:     "master down timer expired",
	CauseOwner:          "address owner",
	CausePreempted:      "preempted",
	CauseFault:          "fault",
	CauseSyncGroup:      "sync group",
	CauseShutdown:       "shutdown",
	CausePriorityZero:   "priority 0 advert",
	CauseVIPRemoved:     "virtual address removed",
	CauseRoutingRemoved: "virtual route or rule removed",
	CauseTimerExpired:   "timer expired",
}

func (c Cause) String() string {
	if int(c) < len(causeNames) && causeNames[c] != "" {
		return causeNames[c]
	}
	return fmt.Sprintf("cause-%d", int(c))
}

// The reasons the machine gives without a detail of its own.
var (
	reasonMasterDown = Reason{CauseMasterDown, "master down timer expired"}
	reasonOwner      = Reason{CauseOwner, "address owner"}
	reasonShutdown   = Reason{CauseShutdown, "shutdown"}
)

// RequestMaster is emitted instead of taking mastership by a SyncGroup
// member; the group coordinator answers with ForceMaster once every member
// WantsMaster.
type RequestMaster struct{ Reason Reason }

// PriorityChange reports a change of effective priority (notify FIFO
// MASTER_PRIORITY / BACKUP_PRIORITY).
type PriorityChange struct {
	From, To uint8
	Reason   string
}

// LowerPriorityAdvert reports that the master received a lower-priority
// advert (keepalived notify_master_rx_lower_pri).
type LowerPriorityAdvert struct {
	Source   netip.Addr
	Priority uint8
}

// Reassert reports a healed split brain won: a master of long standing
// heard another master (Other) at a lower priority, which has now been
// quiet for a Master_Down_Interval. Run the master notify again, to redo
// what the other master's notify changed.
type Reassert struct {
	Other netip.Addr
}

// Discard reports an advert dropped by the instance-level checks; the
// Machine has counted it. Log it rate-limited.
type Discard struct {
	Reason DropReason
	Source netip.Addr
	Detail string
}

func (SendAdvert) action()          {}
func (AddVIPs) action()             {}
func (RemoveVIPs) action()          {}
func (Announce) action()            {}
func (Transition) action()          {}
func (RequestMaster) action()       {}
func (PriorityChange) action()      {}
func (LowerPriorityAdvert) action() {}
func (Reassert) action()            {}
func (Discard) action()             {}

func (a SendAdvert) String() string { return fmt.Sprintf("send advert priority %d", a.Priority) }
func (AddVIPs) String() string      { return "add VIPs" }
func (RemoveVIPs) String() string   { return "remove VIPs" }
func (a Announce) String() string   { return fmt.Sprintf("announce VIPs x%d", a.Repeat) }
func (a Transition) String() string {
	return fmt.Sprintf("%v -> %v (%s)", a.From, a.To, a.Reason)
}
func (a RequestMaster) String() string { return "request master (" + a.Reason.String() + ")" }
func (a PriorityChange) String() string {
	return fmt.Sprintf("priority %d -> %d (%s)", a.From, a.To, a.Reason)
}
func (a LowerPriorityAdvert) String() string {
	return fmt.Sprintf("lower priority %d advert from %v", a.Priority, a.Source)
}
func (a Reassert) String() string {
	return fmt.Sprintf("reassert mastership: %v at a lower priority has been quiet for a Master_Down_Interval", a.Other)
}
func (a Discard) String() string {
	return fmt.Sprintf("discard advert from %v: %v: %s", a.Source, a.Reason, a.Detail)
}
