package engine

import (
	"errors"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/lvssync"
	"github.com/havip/havip/runtime/vrrp"
)

// syncDaemon runs lvs_sync_daemon as keepalived 2.2.7 does: following an
// instance, the backup daemon runs from start, the master daemon replaces
// it while the instance is MASTER, and the one running is stopped at exit;
// without an instance both run from start to exit (keepalived's checker).
type syncDaemon struct {
	d       lvssync.Daemon
	cfg     *config.LVSSyncDaemon // nil: none
	running [lvssync.Backup + 1]bool
	// exiting is set once the daemons are stopped at exit: the instances'
	// last transitions start none.
	exiting bool
	// unavailable is set once a call found no IPVS in the kernel: that is
	// logged once and nothing more is tried until a reload.
	unavailable bool
}

// startSyncDaemons starts the backup daemon (both without an instance)
// before the instances start.
func (e *Engine) startSyncDaemons() {
	s := &e.syncd
	if s.cfg == nil {
		return
	}
	if s.cfg.Instance == "" {
		e.syncStart(lvssync.Master)
	}
	e.syncStart(lvssync.Backup)
}

// syncTransition switches the daemons when the instance they follow enters
// or leaves MASTER.
func (e *Engine) syncTransition(inst *instance, a vrrp.Transition) {
	s := &e.syncd
	if s.cfg == nil || s.cfg.Instance != inst.name || s.exiting {
		return
	}
	e.syncFollow(a.To == vrrp.StateMaster)
}

// syncFollow runs the master daemon alone if master, else the backup alone.
func (e *Engine) syncFollow(master bool) {
	from, to := lvssync.Master, lvssync.Backup
	if master {
		from, to = to, from
	}
	if e.syncd.running[to] {
		return
	}
	e.syncStop(from)
	e.syncStart(to)
}

// stopSyncDaemons stops the daemons that run, at exit, before the instances
// are released.
func (e *Engine) stopSyncDaemons() {
	e.syncd.exiting = true
	e.syncStop(lvssync.Master)
	e.syncStop(lvssync.Backup)
}

// reloadSyncDaemons runs after a reload: the daemons follow the new
// lvs_sync_daemon: changed, they are stopped and started again with it, the
// master daemon if the instance is MASTER. keepalived 2.2.7 restarts them
// with an empty interface, which the kernel refuses; havip uses the new
// settings.
func (e *Engine) reloadSyncDaemons(cfg *config.Config) {
	s := &e.syncd
	nu := cfg.Global.LVSSyncDaemon
	if s.cfg.Equal(nu) {
		s.cfg = nu
		return
	}
	e.syncStop(lvssync.Master)
	e.syncStop(lvssync.Backup)
	s.cfg, s.unavailable = nu, false
	switch {
	case nu == nil:
	case nu.Instance == "":
		e.startSyncDaemons()
	default:
		master := false
		for _, inst := range e.instances {
			if inst.name == nu.Instance && inst.m != nil {
				master = inst.m.State() == vrrp.StateMaster
			}
		}
		if master {
			e.syncStart(lvssync.Master)
		} else {
			e.syncStart(lvssync.Backup)
		}
	}
}

// syncStart starts the daemon of state with the current settings.
func (e *Engine) syncStart(state lvssync.State) {
	s := &e.syncd
	if s.unavailable || s.running[state] {
		return
	}
	c := s.cfg
	lc := lvssync.Config{Interface: c.Interface, SyncID: uint8(c.SyncID), MaxLen: uint16(c.MaxLen),
		Port: uint16(c.Port), TTL: uint8(c.TTL), Group: c.Group}
	if err := s.d.Start(state, lc); err != nil {
		e.syncFailed(err)
		return
	}
	s.running[state] = true
	e.log.Info("LVS sync daemon started", "state", state.String(), "interface", c.Interface, "sync_id", c.SyncID, "instance", c.Instance)
}

// syncStop stops the daemon of state if it runs.
func (e *Engine) syncStop(state lvssync.State) {
	s := &e.syncd
	if !s.running[state] {
		return
	}
	s.running[state] = false
	if err := s.d.Stop(state, uint8(s.cfg.SyncID)); err != nil {
		e.syncFailed(err)
		return
	}
	e.log.Info("LVS sync daemon stopped", "state", state.String(), "sync_id", s.cfg.SyncID)
}

// syncFailed logs a failed start or stop; a kernel without IPVS once.
func (e *Engine) syncFailed(err error) {
	if errors.Is(err, lvssync.ErrUnavailable) {
		e.syncd.unavailable = true
		e.log.Warn("the LVS sync daemon is not started (lvs_sync_daemon); the VRRP instances run without it", "err", err)
		return
	}
	e.log.Error("LVS sync daemon", "err", err)
}
