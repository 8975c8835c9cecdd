package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

// daemon is keepalived 2.2.7 or havip in a lab node: what a test that runs
// the reference and havip on the same config asks of either. Start sets ka
// (keepalived) or hv (havip), for the checks that differ.
type daemon struct {
	name string // "keepalived" or "havip"
	node *lab.Node
	ka   *lab.Keepalived
	hv   *speaker
}

// runBoth calls check with keepalived 2.2.7 (the reference) in node, then
// with havip in node, in the test's own goroutine: check does its set-up,
// starts the daemon on the config, checks it, and stops it.
func runBoth(t *testing.T, node *lab.Node, check func(t *testing.T, d *daemon)) {
	t.Helper()
	for _, name := range []string{"keepalived", "havip"} {
		check(t, &daemon{name: name, node: node})
	}
}

// Start runs d on conf.
func (d *daemon) Start(t *testing.T, conf string) {
	t.Helper()
	if d.name == "havip" {
		d.hv = startHavip(t, d.node, conf)
	} else {
		d.ka = d.node.StartKeepalived(t, conf)
	}
}

// startMaster runs d on conf and waits until its VI_1 is MASTER.
func (d *daemon) startMaster(t *testing.T, conf string) {
	t.Helper()
	d.Start(t, conf)
	d.WaitState(t, "VI_1", "MASTER", electionTimeout)
}

// State returns the last state d logged for instance, "" if none.
func (d *daemon) State(instance string) string {
	if d.hv != nil {
		return d.hv.State(instance)
	}
	return d.ka.State(instance)
}

// WaitState waits until instance is in state, and fails with d's log when
// it is not within timeout.
func (d *daemon) WaitState(t *testing.T, instance, state string, timeout time.Duration) {
	t.Helper()
	if d.hv != nil {
		d.hv.WaitState(t, instance, state, timeout)
	} else {
		d.ka.WaitState(t, instance, state, timeout)
	}
}

// entered counts the times d logged instance entering state.
func (d *daemon) entered(instance, state string) int {
	if d.hv == nil {
		return strings.Count(d.ka.Log(), "("+instance+") Entering "+state+" STATE")
	}
	n := 0
	for _, tr := range d.hv.logged(instance) {
		if tr.to == state {
			n++
		}
	}
	return n
}

// Log returns d's log so far.
func (d *daemon) Log() string {
	if d.hv != nil {
		return d.hv.proc.Output()
	}
	return d.ka.Log()
}

// Signal sends sig to d's (parent) process.
func (d *daemon) Signal(sig os.Signal) error {
	if d.hv != nil {
		return d.hv.proc.Signal(sig)
	}
	return d.ka.Process().Signal(sig)
}

// Stop sends SIGTERM and waits for d to exit (havip: having released its
// instances).
func (d *daemon) Stop(t *testing.T) {
	t.Helper()
	if d.hv != nil {
		d.hv.Stop(t)
	} else {
		d.ka.Stop(t)
	}
}
