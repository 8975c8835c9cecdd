// Package track implements keepalived's health trackers and the priority arithmetic that turns
// their results into an instance's effective priority or FAULT.
//
// Trackers are standalone: each is built from a plain spec (vrrp_script, the native TCP probe,
// vrrp_track_process, track_file, track_interface) and, once Run, reports a Result every time its
// state (or, for files, its value) changes. The engine feeds the latest Result per tracker into
// Effective together with the track_* references of an instance or sync group.
//
// How each tracker observes the system:
//
//   - Script trackers run their command every interval through runtime/script (own process group,
//     timeout kills the group and counts as a failure, a run still in progress makes the next one be
//     skipped as keepalived does), with rise/fall hysteresis. A script whose argv is
//     `…/havip probe tcp HOST:PORT [--timeout D]` is recognised by ParseProbe and run in-process as a
//     TCP probe instead of forking.
//   - Process trackers do not use keepalived's kernel proc connector, which only works in the
//     initial network namespace (havip often runs in a host-network container or in a test netns).
//     They scan /proc for matching processes, hold a pidfd (pidfd_open, Linux ≥ 5.3) for every match
//     and wait for its exit through the Go runtime poller, so a matching process's exit is seen
//     immediately in any network namespace; new processes are found by a rescan of /proc every
//     ProcessSpec.Rescan (default 1 s). Only processes visible in this PID namespace are counted.
//   - File trackers watch the file's directory with inotify (fsnotify), so writes, creations,
//     atomic renames and removals are seen without polling.
//   - Interface trackers subscribe to rtnetlink link updates (optionally in another network
//     namespace) and read the current state right after subscribing.
package track

import (
	"context"
	"fmt"
)

// Kind is the kind of a tracker, matching the track_* keyword that references it.
type Kind int

// Tracker kinds. A native TCP probe is a vrrp_script (referenced by track_script), so it is a
// KindScript tracker.
const (
	KindScript Kind = iota + 1
	KindProcess
	KindFile
	KindInterface
)

func (k Kind) String() string {
	switch k {
	case KindScript:
		return "script"
	case KindProcess:
		return "process"
	case KindFile:
		return "file"
	case KindInterface:
		return "interface"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Key identifies a tracker; keepalived keeps a separate name space per kind.
type Key struct {
	Kind Kind
	Name string
}

func (k Key) String() string { return fmt.Sprintf("%s %q", k.Kind, k.Name) }

// Result is a tracker's current observation.
type Result struct {
	Key Key
	// Up is true when the tracked thing is healthy: script succeeded (after rise), process quorum
	// met, interface admin-up with carrier, file value 0.
	Up bool
	// Value is the file's integer for track_file and the number of matching processes for
	// vrrp_track_process; it is 0 otherwise.
	Value int64
	// Detail explains the observation for logs (exit status, counts, errors).
	Detail string
	// Disabled is set by a vrrp_script tracker whose script cannot run at all (not found, not
	// executable, unsafe under enable_script_security): as keepalived 2.2.7 does, the instances
	// that track it ignore it — no weight, no FAULT — and Detail says "disabled: " and why. Up is
	// false. The tracker reports again, not disabled, once the script becomes usable.
	Disabled bool
}

// Tracker observes one thing and reports changes.
type Tracker interface {
	Key() Key
	// Run reports the current state as soon as it is known and then every change, until ctx is
	// done. report is called from one goroutine at a time and must not block for long.
	Run(ctx context.Context, report func(Result))
}
