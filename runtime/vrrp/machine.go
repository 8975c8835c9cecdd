package vrrp

import (
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Machine is one VRRP instance's state machine. It is driven by Start, Stop,
// Receive, Expire, SetPriority, SetFault, ForceMaster and ForceBackup, each
// taking the current time and returning the actions to perform in order. It
// never reads a clock or touches the network, and is not safe for
// concurrent use.
type Machine struct {
	cfg          Config
	primary      netip.Addr
	ipv6         bool
	advertInt    time.Duration // Advertisement_Interval
	advertField  uint16        // its wire value
	auth         [8]byte       // PASS data, or the AH key
	state        State
	basePriority uint8
	priority     uint8 // effective priority
	fault        bool

	masterAdverInt time.Duration // Master_Adver_Interval
	masterAddr     netip.Addr
	masterPriority uint8
	wantsMaster    bool // SyncGroup member whose down timer expired

	downTimer      time.Time // Master_Down_Timer (Backup)
	downReason     Reason
	adverTimer     time.Time  // Adver_Timer (Master)
	garpSecond     time.Time  // second master burst
	garpRefresh    time.Time  // periodic refresh
	garpLowerPrio  time.Time  // delayed lower-priority burst
	masterSince    time.Time  // when it last became MASTER
	lowerHeard     time.Time  // when a lower-priority advert was last received (MASTER)
	lowerAnswered  time.Time  // when a lower-priority advert was last answered (MASTER)
	lowerSource    netip.Addr // the other master of the current episode
	reassertTimer  time.Time  // Reassert once the other master has been quiet this long
	preemptBlocked time.Time  // preempt_delay: lower-prio adverts accepted until then

	// AH authentication (keepalived's ipsecah_counter): one sequence
	// counter for both directions, incremented by every advert sent and
	// raised to the sequence number of every advert accepted, so that a
	// new master continues above what its peers last saw. ahCycled is set
	// when it can no longer increment (reset on becoming MASTER); ipID is
	// the IPv4 identification of the last AH advert sent.
	ahSeq    uint32
	ahCycled bool
	ipID     uint16

	counters Counters
}

// New validates cfg and returns a machine in StateInit. primary is the
// source address of our adverts (the interface primary IPv4 address or
// IPv6 link-local, or mcast_src_ip/unicast_src_ip) and the address used in
// equal-priority tie-breaks.
func New(cfg Config, primary netip.Addr) (*Machine, error) {
	cfg, field, err := normalise(cfg, primary)
	if err != nil {
		return nil, err
	}
	m := &Machine{
		cfg:          cfg,
		primary:      primary,
		ipv6:         primary.Is6(),
		advertInt:    cfg.AdvertInterval,
		advertField:  field,
		basePriority: cfg.Priority,
		priority:     cfg.Priority,
	}
	m.setAuth()
	m.masterAdverInt = m.advertInt
	return m, nil
}

// normalise validates cfg for the source address primary and applies the
// defaults: the down timer's advert count, state MASTER cancelling
// nopreempt and preempt_delay, TTL-checked peers implying the source check.
// It returns the machine's own copy and the advert interval's wire value.
func normalise(cfg Config, primary netip.Addr) (Config, uint16, error) {
	if err := cfg.checkSource(primary); err != nil {
		return cfg, 0, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, 0, err
	}
	field, _ := cfg.advertIntervalField()
	if cfg.DownTimerAdverts == 0 {
		cfg.DownTimerAdverts = DefaultDownTimerAdverts
	}
	if cfg.WantMaster {
		cfg.NoPreempt = false
		cfg.PreemptDelay = 0
	}
	cfg.Addrs = slices.Clone(cfg.Addrs)
	cfg.Peers = slices.Clone(cfg.Peers)
	for _, p := range cfg.Peers {
		if p.MinTTL != 0 || p.MaxTTL != 0 {
			cfg.CheckUnicastSrc = true
		}
	}
	return cfg, field, nil
}

// setAuth derives the v2 authentication data from the config.
func (m *Machine) setAuth() {
	m.auth = [8]byte{}
	if m.cfg.AuthType == AuthPass || m.cfg.AuthType == AuthAH {
		copy(m.auth[:], m.cfg.AuthPass)
	}
}

// Name returns the instance name.
func (m *Machine) Name() string { return m.cfg.Name }

// Config returns the normalised configuration (defaults applied). Its
// slices are the machine's own: do not modify them.
func (m *Machine) Config() Config { return m.cfg }

// State returns the current state.
func (m *Machine) State() State { return m.state }

// Priority returns the effective priority.
func (m *Machine) Priority() uint8 { return m.priority }

// Primary returns our source address.
func (m *Machine) Primary() netip.Addr { return m.primary }

// SetPrimary changes our source address (the interface's primary address
// changed). It must keep the instance's family; the state is unchanged and
// the next advert carries the new source.
func (m *Machine) SetPrimary(addr netip.Addr) error {
	if !addr.IsValid() || addr.Is4In6() || addr.Is6() != m.ipv6 {
		return configErr(m.cfg.Name, "primary address %v is not of the instance's family", addr)
	}
	if m.state == StateMaster {
		m.masterAddr = addr
	}
	m.primary = addr
	return nil
}

// MasterAddr returns the current master's address: ours when master, the
// last accepted advert's source when backup, invalid when unknown.
func (m *Machine) MasterAddr() netip.Addr { return m.masterAddr }

// MasterPriority returns the priority of the last accepted master advert
// (ours when master).
func (m *Machine) MasterPriority() uint8 { return m.masterPriority }

// MasterAdverInterval returns Master_Adver_Interval: learned from the
// master's adverts in v3, our own interval otherwise.
func (m *Machine) MasterAdverInterval() time.Duration { return m.masterAdverInt }

// Counters returns a copy of the instance-level receive counters.
func (m *Machine) Counters() Counters { return m.counters }

// ClearCounters zeroes the instance-level receive counters.
func (m *Machine) ClearCounters() { m.counters = Counters{} }

// WantsMaster reports whether the instance is master or, as a SyncGroup
// member, would go master now if the group allowed it (its down timer
// expired since the last accepted advert).
func (m *Machine) WantsMaster() bool {
	return m.state == StateMaster || m.state == StateBackup && m.wantsMaster
}

// SkewTime returns Skew_Time for the current priority and
// Master_Adver_Interval: (256-prio)×MAI/256 for v3, (256-prio)/256 s for v2,
// in full time.Duration precision as keepalived.
func (m *Machine) SkewTime() time.Duration {
	return skewTime(m.cfg.Version, m.priority, m.masterAdverInt)
}

// MasterDownInterval returns DownTimerAdverts × Master_Adver_Interval +
// Skew_Time.
func (m *Machine) MasterDownInterval() time.Duration {
	return time.Duration(m.cfg.DownTimerAdverts)*m.masterAdverInt + m.SkewTime()
}

func skewTime(version, priority uint8, mai time.Duration) time.Duration {
	if version == 2 {
		return time.Duration(256-int(priority)) * time.Second / 256
	}
	return time.Duration(256-int(priority)) * mai / 256
}

// NextDeadline returns the earliest armed timer, or the zero time when none
// is armed. Call Expire when the clock reaches it.
func (m *Machine) NextDeadline() time.Time {
	var next time.Time
	for _, t := range [...]time.Time{m.downTimer, m.adverTimer, m.garpSecond, m.garpRefresh, m.garpLowerPrio, m.reassertTimer} {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

func (m *Machine) cancelTimers() {
	m.downTimer, m.adverTimer = time.Time{}, time.Time{}
	m.garpSecond, m.garpRefresh, m.garpLowerPrio = time.Time{}, time.Time{}, time.Time{}
	m.preemptBlocked, m.reassertTimer = time.Time{}, time.Time{}
}

// Start runs the Startup event: every instance enters BACKUP (or FAULT when
// SetFault(true) was called before), arming Master_Down_Timer, except the
// address owner (priority 255), which goes MASTER at once.
func (m *Machine) Start(now time.Time) []Action {
	if m.state != StateInit {
		return nil
	}
	if m.fault {
		m.state = StateFault
		return []Action{Transition{StateInit, StateFault, Reason{CauseFault, "startup in fault"}}}
	}
	if m.cfg.PreemptDelay > 0 {
		m.preemptBlocked = now.Add(m.cfg.PreemptDelay)
	}
	return m.enterBackup(now, StateInit, Reason{CauseStartup, "startup"})
}

// enterBackup arms the down timer from our own interval. The owner goes
// straight to MASTER instead, without a BACKUP notification, as keepalived
// (vrrp_init_state, vrrp_state_leave_fault); a sync-group owner enters
// BACKUP and requests mastership.
func (m *Machine) enterBackup(now time.Time, from State, reason Reason) []Action {
	m.state = StateBackup
	m.masterAdverInt = m.advertInt
	m.masterAddr, m.masterPriority = netip.Addr{}, 0
	m.wantsMaster = false
	if m.basePriority == PriorityOwner && !m.cfg.SyncGroup {
		return m.becomeMaster(now, from, reasonOwner)
	}
	m.downTimer = now.Add(m.MasterDownInterval())
	m.downReason = reasonMasterDown
	acts := []Action{Transition{from, StateBackup, reason}}
	if m.basePriority == PriorityOwner {
		acts = append(acts, m.tryMaster(now, reasonOwner)...)
	}
	return acts
}

// tryMaster takes mastership, or for a SyncGroup member asks for it.
func (m *Machine) tryMaster(now time.Time, reason Reason) []Action {
	if m.cfg.SyncGroup {
		m.wantsMaster = true
		m.downTimer = now.Add(m.MasterDownInterval())
		return []Action{RequestMaster{reason}}
	}
	return m.becomeMaster(now, m.state, reason)
}

// becomeMaster: advert first, then VIPs, then the GARP/NA burst.
func (m *Machine) becomeMaster(now time.Time, from State, reason Reason) []Action {
	m.cancelTimers()
	m.state = StateMaster
	if m.ahCycled {
		m.ahSeq, m.ahCycled = 0, false
	}
	m.wantsMaster = false
	m.masterAdverInt = m.advertInt
	m.masterAddr, m.masterPriority = m.primary, m.priority
	m.adverTimer = now.Add(m.advertInt)
	m.masterSince, m.lowerHeard, m.lowerAnswered = now, time.Time{}, time.Time{}
	acts := []Action{SendAdvert{m.priority}, AddVIPs{}}
	g := m.cfg.Garp
	if g.MasterRepeat > 0 {
		acts = append(acts, Announce{g.MasterRepeat})
		if g.MasterDelay > 0 {
			m.garpSecond = now.Add(g.MasterDelay)
		}
	}
	if g.MasterRefresh > 0 && g.RefreshRepeat > 0 {
		m.garpRefresh = now.Add(g.MasterRefresh)
	}
	return append(acts, Transition{from, StateMaster, reason})
}

// masterToBackup leaves MASTER for BACKUP: VIPs removed, down timer armed
// from mai (the new master's interval in v3).
func (m *Machine) masterToBackup(now time.Time, mai time.Duration, reason Reason) []Action {
	m.cancelTimers()
	m.state = StateBackup
	m.wantsMaster = false
	m.masterAdverInt = mai
	m.downTimer = now.Add(m.MasterDownInterval())
	m.downReason = reasonMasterDown
	return []Action{RemoveVIPs{}, Transition{StateMaster, StateBackup, reason}}
}

// Stop runs the Shutdown event: a master sends a priority-0 advert and
// removes its VIPs; every state goes to STOP. Later events are ignored.
func (m *Machine) Stop(now time.Time) []Action {
	from := m.state
	if from == StateStopped {
		return nil
	}
	m.cancelTimers()
	m.state = StateStopped
	m.wantsMaster = false
	if from == StateMaster {
		return []Action{SendAdvert{PriorityStop}, RemoveVIPs{}, Transition{from, StateStopped, reasonShutdown}}
	}
	return []Action{Transition{from, StateStopped, reasonShutdown}}
}

// Expire fires every timer due at now. Call it when now >= NextDeadline().
func (m *Machine) Expire(now time.Time) []Action {
	var acts []Action
	for {
		due := m.NextDeadline()
		if due.IsZero() || due.After(now) {
			return acts
		}
		if late := m.resignIfLate(now); late != nil {
			acts = append(acts, late...)
			continue
		}
		switch due {
		case m.downTimer:
			m.downTimer = time.Time{}
			acts = append(acts, m.tryMaster(now, m.downReason)...)
		case m.adverTimer:
			m.adverTimer = now.Add(m.advertInt)
			acts = append(acts, SendAdvert{m.priority})
		case m.garpSecond:
			m.garpSecond = time.Time{}
			acts = append(acts, Announce{m.cfg.Garp.MasterRepeat})
		case m.garpRefresh:
			m.garpRefresh = now.Add(m.cfg.Garp.MasterRefresh)
			acts = append(acts, Announce{m.cfg.Garp.RefreshRepeat})
		case m.garpLowerPrio:
			m.garpLowerPrio = time.Time{}
			acts = append(acts, Announce{m.cfg.Garp.LowerPrioRepeat})
		case m.reassertTimer:
			m.reassertTimer = time.Time{}
			acts = append(acts, Reassert{m.lowerSource})
		}
	}
}

// SetPriority sets the effective priority (base ± tracker weights, computed
// by the caller), clamped to 1..254. The owner's priority is never
// adjusted. A backup's running down timer is moved by the change of
// Skew_Time, as keepalived does (but never before now).
func (m *Machine) SetPriority(now time.Time, p uint8, reason string) []Action {
	if m.basePriority == PriorityOwner {
		return nil
	}
	p = min(max(p, 1), PriorityOwner-1)
	if p == m.priority {
		return nil
	}
	old := m.priority
	oldSkew := m.SkewTime()
	m.priority = p
	if m.state == StateBackup && !m.downTimer.IsZero() {
		m.downTimer = m.downTimer.Add(m.SkewTime() - oldSkew)
		if m.downTimer.Before(now) {
			m.downTimer = now // already overdue: fire at the next Expire
		}
	}
	if m.state == StateMaster {
		m.masterPriority = p
	}
	return []Action{PriorityChange{old, p, reason}}
}

// SetFault enters or leaves FAULT. A master entering FAULT sends a
// priority-0 advert and removes its VIPs. Leaving FAULT enters BACKUP with
// the down timer re-armed from our own interval (the owner goes MASTER at
// once). Before Start the flag is only recorded.
func (m *Machine) SetFault(now time.Time, fault bool, reason string) []Action {
	m.fault = fault
	switch {
	case m.state == StateInit || m.state == StateStopped:
		return nil
	case fault && m.state == StateMaster:
		m.cancelTimers()
		m.state = StateFault
		return []Action{SendAdvert{PriorityStop}, RemoveVIPs{}, Transition{StateMaster, StateFault, Reason{CauseFault, reason}}}
	case fault && m.state == StateBackup:
		m.cancelTimers()
		m.state = StateFault
		m.wantsMaster = false
		return []Action{Transition{StateBackup, StateFault, Reason{CauseFault, reason}}}
	case !fault && m.state == StateFault:
		return m.enterBackup(now, StateFault, Reason{CauseFault, reason})
	}
	return nil
}

// ForceMaster makes a BACKUP instance MASTER now (sync group: every member
// wants master). It does nothing in other states: FAULT wins.
func (m *Machine) ForceMaster(now time.Time, reason string) []Action {
	if m.state != StateBackup {
		return nil
	}
	return m.becomeMaster(now, StateBackup, Reason{CauseSyncGroup, reason})
}

// ForceBackup makes a MASTER instance BACKUP now (sync group: a member went
// backup), re-arming its down timer from its own interval. For a BACKUP
// instance it withdraws a pending RequestMaster.
func (m *Machine) ForceBackup(now time.Time, reason string) []Action {
	switch m.state {
	case StateMaster:
		return m.masterToBackup(now, m.advertInt, Reason{CauseSyncGroup, reason})
	case StateBackup:
		m.wantsMaster = false
	}
	return nil
}

// Receive runs the instance-level receive checks on an advert that passed
// Parse and, if it is accepted, the ADVERTISEMENT event. Adverts are ignored
// outside BACKUP and MASTER.
func (m *Machine) Receive(now time.Time, rx *Received) []Action {
	if m.state != StateBackup && m.state != StateMaster {
		return nil
	}
	acts := m.resignIfLate(now)
	if reason, detail := m.check(rx); reason != DropNone {
		m.counters.Drop(reason)
		return append(acts, Discard{reason, rx.Src, detail})
	}
	m.counters.Count(DropNone, rx.Checksum)
	if m.state == StateBackup {
		return append(acts, m.backupReceive(now, rx)...)
	}
	return append(acts, m.masterReceive(now, rx)...)
}

// resignIfLate is timer_expired_backup: a MASTER whose last advert is older
// than DownTimerAdverts (3) × Advertisement_Interval plus the Skew_Time of
// the highest other priority — as long as the quickest other router waits
// before taking over — goes BACKUP without a priority-0 advert: another
// router may be master by now, and nopreempt asks not to take mastership
// back from it. Adver_Timer was set one interval after the last advert.
func (m *Machine) resignIfLate(now time.Time) []Action {
	other := m.cfg.TimerExpiredBackup
	if other == 0 || m.state != StateMaster {
		return nil
	}
	lastSent := m.adverTimer.Add(-m.advertInt)
	bound := time.Duration(m.cfg.DownTimerAdverts)*m.advertInt + skewTime(m.cfg.Version, other, m.advertInt)
	late := now.Sub(lastSent)
	if late < bound {
		return nil
	}
	return m.masterToBackup(now, m.advertInt, Reason{CauseTimerExpired,
		fmt.Sprintf("no advert sent for %v (timer_expired_backup: a router of priority %d takes over after %v)", late.Round(time.Millisecond), other, bound)})
}

func (m *Machine) backupReceive(now time.Time, rx *Received) []Action {
	if rx.Priority == PriorityStop {
		m.downTimer = now.Add(m.SkewTime())
		m.downReason = Reason{CausePriorityZero, fmt.Sprintf("priority 0 advert from %v", rx.Src)}
		return nil
	}
	lower := rx.Priority < m.priority
	delaying := m.cfg.PreemptDelay > 0 && (m.preemptBlocked.IsZero() || now.Before(m.preemptBlocked))
	if lower && !m.cfg.NoPreempt && !delaying {
		return nil // lower priority and we may preempt: let the down timer run out
	}
	if m.cfg.PreemptDelay > 0 {
		if !lower {
			m.preemptBlocked = time.Time{}
		} else if m.preemptBlocked.IsZero() {
			m.preemptBlocked = now.Add(m.cfg.PreemptDelay)
		}
	}
	if m.cfg.Version == 3 {
		m.masterAdverInt = rx.Interval()
	}
	m.masterAddr, m.masterPriority = rx.Src, rx.Priority
	m.wantsMaster = false
	m.downTimer = now.Add(m.MasterDownInterval())
	m.downReason = reasonMasterDown
	return nil
}

func (m *Machine) masterReceive(now time.Time, rx *Received) []Action {
	if rx.Priority == PriorityStop {
		m.adverTimer = now.Add(m.advertInt)
		return []Action{SendAdvert{m.priority}}
	}
	cmp := rx.Src.Compare(m.primary)
	if rx.Priority > m.priority || rx.Priority == m.priority && cmp > 0 {
		var acts []Action
		if m.cfg.HigherPrioSendAdvert {
			acts = append(acts, SendAdvert{m.priority})
		}
		mai := m.advertInt
		if m.cfg.Version == 3 {
			mai = rx.Interval()
		}
		reason := Reason{CausePreempted, fmt.Sprintf("higher priority %d from %v", rx.Priority, rx.Src)}
		if rx.Priority == m.priority {
			reason.Detail = fmt.Sprintf("equal priority %d from higher address %v", rx.Priority, rx.Src)
		}
		acts = append(acts, m.masterToBackup(now, mai, reason)...)
		m.masterAddr, m.masterPriority = rx.Src, rx.Priority
		return acts
	}
	// Another master at a lower priority: a split brain is healing (or a
	// backup's down timer fired while it could not hear us). It is answered
	// (an advert, a gratuitous ARP burst, the notify) once per
	// Master_Down_Interval: enough for the other master, which yields on the
	// first answer, and a flood of them is not amplified into a flood of
	// adverts and ARPs. The answer restarts Adver_Timer, so the adverts keep
	// their interval from it. When this master held the VIPs for a
	// Master_Down_Interval before the other one appeared, it reasserts
	// mastership once the other has been quiet for a Master_Down_Interval
	// (it yielded): the driver runs the master notify again, to redo what
	// the other master's notify changed.
	mdi := m.MasterDownInterval()
	if m.lowerHeard.IsZero() || now.Sub(m.lowerHeard) >= mdi {
		m.lowerSource, m.reassertTimer = rx.Src, time.Time{}
		if now.Sub(m.masterSince) >= mdi {
			m.reassertTimer = now // armed below
		}
	}
	m.lowerHeard = now
	if !m.reassertTimer.IsZero() {
		m.reassertTimer = now.Add(mdi)
	}
	if !m.lowerAnswered.IsZero() && now.Sub(m.lowerAnswered) < mdi {
		return nil
	}
	m.lowerAnswered = now
	acts := []Action{LowerPriorityAdvert{rx.Src, rx.Priority}}
	if !m.cfg.LowerPrioNoAdvert {
		acts = append(acts, SendAdvert{m.priority})
		m.adverTimer = now.Add(m.advertInt)
	}
	if g := m.cfg.Garp; g.LowerPrioRepeat > 0 {
		acts = append(acts, Announce{g.LowerPrioRepeat})
		if g.LowerPrioDelay > 0 {
			m.garpLowerPrio = now.Add(g.LowerPrioDelay)
		}
	}
	return acts
}

// check is the instance-level part of the receive ladder, in keepalived
// order: family, AH header present exactly when we use AH, TTL, version,
// VRID, v2 authentication and interval, destination mode, unicast source,
// our own address. An AH advert that authenticates raises the sequence
// counter even if a later check drops it, as in keepalived.
func (m *Machine) check(rx *Received) (DropReason, string) {
	if rx.Src.Is6() != m.ipv6 {
		return DropFamily, fmt.Sprintf("source %v", rx.Src)
	}
	if ah := m.cfg.AuthType == AuthAH; rx.AH != ah {
		if ah {
			return DropAuthType, "no AH header, ours is AH"
		}
		return DropAuthType, fmt.Sprintf("AH header, ours is %v", m.cfg.AuthType)
	}
	unicast := len(m.cfg.Peers) > 0
	peer, known := m.peer(rx.Src)
	switch {
	case !unicast && rx.TTL != TTL:
		return DropTTL, fmt.Sprintf("TTL %d, want %d", rx.TTL, TTL)
	case known && peer.MinTTL != 0 && rx.TTL < peer.MinTTL:
		return DropTTL, fmt.Sprintf("TTL %d below min_ttl %d", rx.TTL, peer.MinTTL)
	case known && peer.MaxTTL != 0 && rx.TTL > peer.MaxTTL:
		return DropTTL, fmt.Sprintf("TTL %d above max_ttl %d", rx.TTL, peer.MaxTTL)
	}
	if rx.Version != m.cfg.Version {
		return DropVersionMismatch, fmt.Sprintf("version %d, ours %d", rx.Version, m.cfg.Version)
	}
	if rx.VRID != m.cfg.VRID {
		return DropVRID, fmt.Sprintf("VRID %d, ours %d", rx.VRID, m.cfg.VRID)
	}
	if m.cfg.Strict && m.ipv6 && (len(rx.Addrs) == 0 || !rx.Addrs[0].IsLinkLocalUnicast()) {
		return DropNotLinkLocal, fmt.Sprintf("addresses %v", rx.Addrs)
	}
	if rx.Version == 2 {
		if rx.AuthType > AuthAH {
			return DropAuthInvalid, fmt.Sprintf("auth type %d is none of 0 (none), 1 (PASS), 2 (AH)", rx.AuthType)
		}
		if rx.AuthType != m.cfg.AuthType {
			return DropAuthType, fmt.Sprintf("auth type %v, ours %v", rx.AuthType, m.cfg.AuthType)
		}
		if m.cfg.AuthType == AuthPass && subtle.ConstantTimeCompare(rx.AuthData[:], m.auth[:]) != 1 {
			return DropAuthPass, "PASS mismatch"
		}
		if m.cfg.AuthType == AuthAH {
			if detail := m.checkAH(rx); detail != "" {
				return DropAuthPass, detail
			}
		}
		if rx.AdverInt != m.advertField {
			return DropIntervalMismatch, fmt.Sprintf("advert interval %ds, ours %ds", rx.AdverInt, m.advertField)
		}
	}
	if rx.Dst.IsMulticast() == unicast {
		mode := "multicast"
		if unicast {
			mode = "unicast"
		}
		return DropDestination, fmt.Sprintf("destination %v in %s mode", rx.Dst, mode)
	}
	if unicast && m.cfg.CheckUnicastSrc && !known {
		return DropUnknownPeer, fmt.Sprintf("source %v", rx.Src)
	}
	if m.cfg.OwnerIgnoreAdverts && m.priority == PriorityOwner {
		return DropOwnerIgnores, fmt.Sprintf("priority %d from %v", rx.Priority, rx.Src)
	}
	if rx.Src == m.primary {
		return DropOwnAddress, fmt.Sprintf("priority %d, ours %d", rx.Priority, m.priority)
	}
	if m.cfg.SkipCheckAdvAddr && m.state == StateBackup && rx.Src == m.masterAddr {
		return DropNone, ""
	}
	if detail := m.addrListDiff(rx.Addrs); detail != "" {
		return DropAddrList, detail + ": another router uses this VRID, or the peers' virtual_ipaddress lists differ"
	}
	return DropNone, ""
}

// checkAH authenticates an AH advert as keepalived's vrrp_in_chk_ipsecah
// does: the ICV, then the SPI (the sender's address), then a sequence
// number above the counter, which it raises. It returns why it refused, or "".
func (m *Machine) checkAH(rx *Received) string {
	if !VerifyAH(rx.Datagram, m.auth, len(m.cfg.Peers) > 0) {
		return "AH ICV mismatch (another auth_pass?)"
	}
	if src := rx.Src.As4(); rx.AuthHeader.SPI != binary.BigEndian.Uint32(src[:]) {
		return fmt.Sprintf("AH SPI %#08x is not the source %v", rx.AuthHeader.SPI, rx.Src)
	}
	if rx.AuthHeader.Seq <= m.ahSeq {
		return fmt.Sprintf("AH sequence number %d already seen (counter %d)", rx.AuthHeader.Seq, m.ahSeq)
	}
	m.ahSeq = rx.AuthHeader.Seq
	if m.state == StateBackup {
		m.ahCycled = false
	}
	return ""
}

func (m *Machine) peer(addr netip.Addr) (Peer, bool) {
	for _, p := range m.cfg.Peers {
		if p.Addr == addr {
			return p, true
		}
	}
	return Peer{}, false
}

// addrListDiff describes how the advertised list differs from ours ("" when
// equal as sets of the same size).
func (m *Machine) addrListDiff(got []netip.Addr) string {
	if len(got) != len(m.cfg.Addrs) {
		return fmt.Sprintf("%d addresses, ours %d", len(got), len(m.cfg.Addrs))
	}
	for _, a := range m.cfg.Addrs {
		if !slices.Contains(got, a) {
			return fmt.Sprintf("%v not present in advert", a)
		}
	}
	return ""
}

// Advert returns the advertisement this instance sends with the given
// priority. Its Addrs shares the machine's slice: do not modify it.
func (m *Machine) Advert(priority uint8) Advert {
	a := Advert{
		Version:  m.cfg.Version,
		VRID:     m.cfg.VRID,
		Priority: priority,
		AdverInt: m.advertField,
		Addrs:    m.cfg.Addrs,
	}
	if m.cfg.Version == 2 {
		a.AuthType = m.cfg.AuthType
	}
	if m.cfg.AuthType == AuthPass {
		a.AuthData = m.auth
	}
	return a
}

// Destinations returns where adverts go: the unicast peers, or the
// multicast group of the instance's family.
func (m *Machine) Destinations() []netip.Addr {
	if len(m.cfg.Peers) == 0 {
		if m.ipv6 {
			return []netip.Addr{GroupIPv6}
		}
		return []netip.Addr{GroupIPv4}
	}
	dsts := make([]netip.Addr, len(m.cfg.Peers))
	for i, p := range m.cfg.Peers {
		dsts[i] = p.Addr
	}
	return dsts
}

// AppendAdvert appends the VRRP message for a SendAdvert to dst (one of
// Destinations) onto b: version, auth, checksum form and pseudo-header
// (source Primary, destination dst) are the instance's. The socket layer
// adds the IP header (TTL 255, TOS 0xc0, protocol 112) and must not
// checksum the message again. An AH instance (UsesAH) sends whole
// datagrams instead: see AppendAHDatagram.
func (m *Machine) AppendAdvert(b []byte, priority uint8, dst netip.Addr) ([]byte, error) {
	if m.UsesAH() {
		return b, fmt.Errorf("vrrp instance %q: an AH advert is a whole IPv4 datagram (AppendAHDatagram)", m.cfg.Name)
	}
	a := m.Advert(priority)
	out, err := a.Append(b, m.primary, dst, m.cfg.Checksum)
	if err != nil {
		return b, fmt.Errorf("vrrp instance %q: encode advert to %v: %w", m.cfg.Name, dst, err)
	}
	return out, nil
}

// UsesAH reports whether the instance authenticates with IPsec-AH: its
// adverts are IPv4 protocol 51 datagrams built by AppendAHDatagram.
func (m *Machine) UsesAH() bool { return m.cfg.AuthType == AuthAH }

// AppendAHDatagram appends, for an AH instance, the whole IPv4 datagram of
// a SendAdvert to dst (one of Destinations) with the given TTL onto b, as
// keepalived builds it (Advert.AppendAH): each call takes the next IPv4
// identification (never 0) and the next AH sequence number. The socket must
// send it as is (IP_HDRINCL).
func (m *Machine) AppendAHDatagram(b []byte, priority uint8, dst netip.Addr, ttl uint8) ([]byte, error) {
	if !m.UsesAH() {
		return b, fmt.Errorf("vrrp instance %q: auth_type is %v, not AH", m.cfg.Name, m.cfg.AuthType)
	}
	if m.ahSeq > ahSeqLimit {
		m.ahCycled = true
	} else {
		m.ahSeq++
	}
	if m.ipID++; m.ipID == 0 {
		m.ipID = 1
	}
	a := m.Advert(priority)
	out, err := a.AppendAH(b, AHPacket{
		Src: m.primary, Dst: dst, TTL: ttl, ID: m.ipID, Seq: m.ahSeq, Key: m.auth, Unicast: len(m.cfg.Peers) > 0,
	})
	if err != nil {
		return b, fmt.Errorf("vrrp instance %q: encode AH advert to %v: %w", m.cfg.Name, dst, err)
	}
	return out, nil
}
