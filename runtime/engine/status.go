package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/track"
	"github.com/havip/havip/runtime/vrrp"
)

// Snapshot is the engine's state at one moment, taken on the event loop: the
// one source that `havip status`, the metrics and the state dumps read.
type Snapshot struct {
	Taken     time.Time        `json:"taken"`
	Instances []InstanceStatus `json:"instances"`
	Ports     []PortStatus     `json:"ports"`
	Notify    NotifyStatus     `json:"notify"`
	// StaticRestored counts the static addresses, routes and rules
	// (static_ipaddress, static_routes, static_rules) removed behind
	// havip's back and installed again, by kind: address, route or rule.
	StaticRestored map[string]uint64 `json:"static_restored,omitempty"`
	// VirtualServers are the LVS virtual servers run beside the instances
	// (see ReportVirtualServers).
	VirtualServers []VirtualServerStatus `json:"virtual_servers,omitempty"`
}

// VirtualServerStatus is one LVS virtual server: whether its pool has
// quorum, whether the sorry server stands in, and its real servers.
type VirtualServerStatus struct {
	Name        string             `json:"name"`
	Quorum      bool               `json:"quorum"`
	SorryServer bool               `json:"sorry_server_in_use"`
	RealServers []RealServerStatus `json:"real_servers"`
	// Traffic is the sum of Services' counters; Traffic and Services are
	// absent when the LVS backend's counters could not be read.
	Traffic *LVSTraffic `json:"traffic,omitempty"`
	// Services are the kernel services of the virtual server (one, or one
	// per address and fwmark of its group) with their counters.
	Services []LVSServiceStatus `json:"services,omitempty"`
}

// RealServerStatus is one real server of a virtual server: whether its
// health checkers pass, and its weight in the pool (-1 when out of it, 0
// when inhibited).
type RealServerStatus struct {
	Address string `json:"address"`
	Alive   bool   `json:"alive"`
	Weight  int    `json:"weight"`
	// Traffic is what the real server took over the virtual server's
	// services, as the backend counts it (a real server that leaves the
	// pool may lose its counts); absent when unknown.
	Traffic *LVSTraffic `json:"traffic,omitempty"`
	// Checkers are the real server's health checkers, in config order.
	Checkers []CheckerStatus `json:"checkers,omitempty"`
}

// CheckerStatus is one health checker of a real server, with keepalived's
// per-checker state.
type CheckerStatus struct {
	// Kind is the checker's keyword: HTTP_GET, TCP_CHECK, MISC_CHECK, ...
	Kind string `json:"kind"`
	Up   bool   `json:"up"`
	// HasRun is keepalived's has_run: the checker has probed since it
	// started (HTTP_GET/SSL_GET: a url has failed, or every url has
	// passed).
	HasRun bool `json:"has_run"`
	// RetryIterations is keepalived's retry_it: the failures counted
	// toward the checker's retry.
	RetryIterations int `json:"retry_iterations"`
	// Weight is the weight a misc_dynamic script last reported; absent
	// when none did.
	Weight *int `json:"weight,omitempty"`
	// FailedURL is the url an HTTP_GET/SSL_GET checker found failing.
	FailedURL string `json:"failed_url,omitempty"`
	// LastFailure says why the checker's last failed probe failed.
	LastFailure string `json:"last_failure,omitempty"`
}

// LVSServiceStatus is one kernel service (IPVS's, or the nftables rules
// standing for it) and the traffic counted for it and for each of its
// destinations: the real servers in the pool, the sorry server while it
// stands in.
type LVSServiceStatus struct {
	// Address and Port are the virtual address and port; Fwmark is set,
	// and they are empty, for a firewall-mark service.
	Address string `json:"address,omitempty"`
	Port    uint16 `json:"port,omitempty"`
	Fwmark  uint32 `json:"fwmark,omitempty"`
	// Protocol is TCP, UDP or SCTP; empty for a firewall-mark service.
	Protocol     string                  `json:"protocol,omitempty"`
	Traffic      LVSTraffic              `json:"traffic"`
	Destinations []LVSDestinationTraffic `json:"destinations"`
}

// LVSDestinationTraffic is one destination of a kernel service.
type LVSDestinationTraffic struct {
	Address string     `json:"address"`
	Port    uint16     `json:"port"`
	Traffic LVSTraffic `json:"traffic"`
}

// LVSTraffic counts, as IPVS does, the connections (flows, for UDP)
// scheduled and the packets and bytes (IP lengths) in from the clients
// and out in reply. The out direction is 0 for DR, whose replies bypass
// the director.
type LVSTraffic struct {
	Connections uint64 `json:"connections"`
	InPackets   uint64 `json:"in_packets"`
	OutPackets  uint64 `json:"out_packets"`
	InBytes     uint64 `json:"in_bytes"`
	OutBytes    uint64 `json:"out_bytes"`
}

// NotifyStatus is the state of the notify scripts' queues and FIFOs.
type NotifyStatus struct {
	// Pending counts events queued for notify scripts, not yet run.
	Pending int `json:"pending"`
	// Dropped counts events dropped from full script queues, FIFODropped
	// lines dropped because a FIFO reader did not keep up.
	Dropped     uint64 `json:"dropped"`
	FIFODropped uint64 `json:"fifo_dropped"`
}

// InstanceStatus is one instance as the event loop sees it: what an operator
// asks `havip status` for — who holds the VIPs, at what priority, since when
// and why — and its counters.
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
	Master string `json:"master,omitempty"`
	// MasterPriority and MasterAdvertInt are the current master's, from its
	// last accepted advert (ours when MASTER).
	MasterPriority  uint8         `json:"master_priority,omitempty"`
	MasterAdvertInt time.Duration `json:"master_advert_int,omitempty"`
	VIPs            []string      `json:"vips"`
	// Addresses are the VIPs with their interfaces, virtual_ipaddress then
	// virtual_ipaddress_excluded.
	Addresses []AddressStatus `json:"addresses,omitempty"`
	// GarpMasterDelay is garp_master_delay in seconds (keepalived's garp_delay).
	GarpMasterDelay float64 `json:"garp_master_delay"`
	// Since and Reason describe the last state change.
	Since  time.Time `json:"since,omitzero"`
	Reason string    `json:"reason,omitempty"`
	// Faults are the reasons the instance is held in FAULT.
	Faults   []string        `json:"faults,omitempty"`
	Trackers []TrackerStatus `json:"trackers,omitempty"`
	Stats    InstanceStats   `json:"stats"`
	// Source is the address adverts are sent from, once known.
	Source string `json:"source,omitempty"`
	// Config is the instance's running config (read-only), for the state
	// dumps that print its settings.
	Config *config.Instance `json:"-"`
}

// AddressStatus is one VIP of an instance.
type AddressStatus struct {
	Address   string `json:"address"` // address/prefix
	Interface string `json:"interface"`
	Excluded  bool   `json:"excluded,omitempty"` // virtual_ipaddress_excluded
}

// InstanceStats are an instance's counters: its activity, and the adverts
// for its VRID that were dropped, by reason — at the packet level (before the
// instance was known) and at the instance level.
type InstanceStats struct {
	vrrp.Stats
	AddrListErrors uint64                     `json:"addr_list_err"`
	Drops          map[vrrp.DropReason]uint64 `json:"drops,omitempty"`
	// Transitions counts state changes by from, to and reason class.
	Transitions []TransitionCount `json:"transitions,omitempty"`
	// MastersSeen counts adverts from another master while MASTER, by outcome.
	MastersSeen map[MasterSeenOutcome]uint64 `json:"masters_seen,omitempty"`
	// ForeignAdverts counts adverts for our VRID from routers that are not
	// ours; ForeignRouters lists their sources (the first few of each kind).
	ForeignAdverts map[ForeignKind]uint64   `json:"foreign_adverts,omitempty"`
	ForeignRouters map[ForeignKind][]string `json:"foreign_routers,omitempty"`
	// VIPRemovals counts VIPs removed behind the master's back (each made it resign and re-elect).
	VIPRemovals uint64 `json:"vip_removals,omitempty"`
	// RoutingRemovals counts virtual routes and rules removed behind the master's back (each made
	// it resign and re-elect).
	RoutingRemovals uint64 `json:"routing_removals,omitempty"`
}

// Dropped returns the drops counted for any of reasons.
func (s InstanceStats) Dropped(reasons ...vrrp.DropReason) uint64 {
	var n uint64
	for _, r := range reasons {
		n += s.Drops[r]
	}
	return n
}

// TrackerStatus is one tracker an instance follows, with its weight.
type TrackerStatus struct {
	Kind    string `json:"kind"` // script, process, file or interface
	Name    string `json:"name"`
	Weight  int    `json:"weight"`
	Reverse bool   `json:"reverse,omitempty"`
	// State is "up", "down", "disabled" (a vrrp_script that cannot run:
	// the instances ignore it, as keepalived's), or "init" before the first
	// result.
	State  string `json:"state"`
	Detail string `json:"detail,omitempty"`
	// Runs describes the runs of a script or TCP check; nil for other kinds.
	Runs *track.RunStats `json:"runs,omitempty"`
}

// PortStatus counts what one interface and address family received.
type PortStatus struct {
	Interface string `json:"interface"`
	Family    int    `json:"family"`
	// Accepted counts packets that passed the packet-level checks.
	Accepted    uint64                     `json:"accepted"`
	Drops       map[vrrp.DropReason]uint64 `json:"drops,omitempty"`
	UnknownVRID uint64                     `json:"unknown_vrid"`
	// Checksums counts accepted packets by the checksum form that matched.
	Checksums map[string]uint64 `json:"checksums,omitempty"`
}

// Snapshot returns the state of the engine, taken on the event loop. It fails
// when Run is not running.
func (e *Engine) Snapshot() (Snapshot, error) {
	var s Snapshot
	err := e.onLoop(func() { s = e.snapshot() })
	if err == nil {
		e.addVirtualServers(&s)
	}
	return s, err
}

// ReportVirtualServers makes every snapshot carry what f returns: the
// virtual servers of the LVS half that runs beside this engine. f runs on
// the caller's goroutine, not on the event loop.
func (e *Engine) ReportVirtualServers(f func() []VirtualServerStatus) {
	e.virtualServers.Store(&f)
}

func (e *Engine) addVirtualServers(s *Snapshot) {
	if f := e.virtualServers.Load(); f != nil {
		s.VirtualServers = (*f)()
	}
}

// ClearStats zeroes every counter, as keepalived's STATS_CLEAR signal does.
func (e *Engine) ClearStats() error {
	return e.onLoop(func() {
		for _, inst := range e.instances {
			inst.stats, inst.obs = vrrp.Stats{}, observed{}
			if inst.m != nil {
				inst.m.ClearCounters()
			}
		}
		e.staticRestored = nil
		for _, p := range e.allPorts() {
			p.mu.Lock()
			p.counters, p.byVRID, p.unknownVRID = vrrp.Counters{}, [256]vrrp.Counters{}, 0
			p.mu.Unlock()
		}
	})
}

// SnapshotContext is Snapshot, given up when ctx ends first (a stuck loop).
func (e *Engine) SnapshotContext(ctx context.Context) (Snapshot, error) {
	var s Snapshot
	err := e.onLoopContext(ctx, func() { s = e.snapshot() })
	if err == nil {
		e.addVirtualServers(&s)
	}
	return s, err
}

// onLoop runs f on the event loop and waits for it. It fails when Run is not
// running.
func (e *Engine) onLoop(f func()) error {
	return e.onLoopContext(context.Background(), f)
}

// onLoopContext is onLoop, given up when ctx ends first: f may then still run
// later, so it must not touch the caller's variables after an error.
func (e *Engine) onLoopContext(ctx context.Context, f func()) error {
	done := make(chan struct{})
	select {
	case e.calls <- func() { f(); close(done) }:
	case <-e.done:
		return errors.New("the engine has stopped")
	case <-ctx.Done():
		return fmt.Errorf("the engine's event loop did not answer: %w", ctx.Err())
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("the engine's event loop did not answer: %w", ctx.Err())
	}
}

// allPorts returns the interface ports and the use_vmac ports, each once.
func (e *Engine) allPorts() []*port {
	ports := slices.Collect(maps.Values(e.ports))
	for _, inst := range e.instances {
		if inst.vmacPort != nil && !slices.Contains(ports, inst.vmacPort) {
			ports = append(ports, inst.vmacPort)
		}
	}
	return ports
}

// snapshot builds the Snapshot; it runs on the event loop.
func (e *Engine) snapshot() Snapshot {
	snap := Snapshot{Taken: time.Now(), Instances: make([]InstanceStatus, 0, len(e.instances))}
	for _, inst := range e.instances {
		snap.Instances = append(snap.Instances, e.instanceStatus(inst))
	}
	for _, p := range e.allPorts() {
		p.mu.Lock()
		snap.Ports = append(snap.Ports, PortStatus{
			Interface:   p.key.ifname,
			Family:      p.key.family,
			Accepted:    p.counters.Accepted,
			Drops:       dropMap(p.counters),
			UnknownVRID: p.unknownVRID,
			Checksums:   checksumMap(p.counters),
		})
		p.mu.Unlock()
	}
	snap.StaticRestored = maps.Clone(e.staticRestored)
	if n := e.notifier; n != nil {
		snap.Notify = NotifyStatus{Pending: n.Pending(), Dropped: n.Dropped(), FIFODropped: n.FIFODropped()}
	}
	slices.SortFunc(snap.Ports, func(a, b PortStatus) int {
		if a.Interface != b.Interface {
			if a.Interface < b.Interface {
				return -1
			}
			return 1
		}
		return a.Family - b.Family
	})
	return snap
}

// instanceStatus builds the status of inst; it runs on the event loop.
func (e *Engine) instanceStatus(inst *instance) InstanceStatus {
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
		Stats:        InstanceStats{Stats: inst.stats},
		Config:       inst.cfg,
	}
	var received vrrp.Counters
	if inst.m != nil {
		s.State, s.Priority = inst.m.State().String(), inst.m.Priority()
		if a := inst.m.MasterAddr(); a.IsValid() {
			s.Master = a.String()
			s.MasterPriority, s.MasterAdvertInt = inst.m.MasterPriority(), inst.m.MasterAdverInterval()
		}
		if a := inst.m.Primary(); a.IsValid() {
			s.Source = a.String()
		}
		received = inst.m.Counters()
	} else if len(s.Faults) == 0 {
		s.Faults = []string{"waiting for a usable source address on " + inst.ifname}
	}
	s.Stats.AddrListErrors = received.Dropped(vrrp.DropAddrList)
	inst.obs.fill(&s.Stats)
	s.Stats.Drops = dropMap(received)
	for _, p := range []*port{inst.port, inst.vmacPort} {
		if p == nil {
			continue
		}
		p.mu.Lock()
		for _, r := range vrrp.DropReasons() {
			if n := p.byVRID[inst.vrid].Dropped(r); n > 0 {
				if s.Stats.Drops == nil {
					s.Stats.Drops = map[vrrp.DropReason]uint64{}
				}
				s.Stats.Drops[r] += n
			}
		}
		p.mu.Unlock()
	}
	s.GarpMasterDelay = inst.cfg.GARP.MasterDelay.Seconds()
	for i, v := range inst.vips {
		s.VIPs = append(s.VIPs, v.Prefix.String())
		s.Addresses = append(s.Addresses, AddressStatus{Address: v.Prefix.String(), Interface: v.Dev, Excluded: i >= len(inst.cfg.VirtualAddresses)})
	}
	for _, ref := range inst.refs {
		s.Trackers = append(s.Trackers, e.trackerStatus(ref))
	}
	return s
}

// trackerStatus reports one tracker reference of an instance.
func (e *Engine) trackerStatus(ref track.Ref) TrackerStatus {
	t := TrackerStatus{Kind: ref.Key.Kind.String(), Name: ref.Key.Name, Weight: ref.Weight, Reverse: ref.Reverse, State: "init"}
	if r, ok := e.results[ref.Key]; ok {
		t.State, t.Detail = "down", r.Detail
		switch {
		case r.Disabled:
			t.State = "disabled"
		case r.Up:
			t.State = "up"
		}
	}
	if run, ok := e.trackers[ref.Key]; ok {
		if rr, ok := run.tracker.(track.RunReporter); ok {
			st := rr.RunStats()
			t.Runs = &st
		}
	}
	return t
}

// dropMap returns the non-zero drop counts of c, or nil.
func dropMap(c vrrp.Counters) map[vrrp.DropReason]uint64 {
	var m map[vrrp.DropReason]uint64
	for _, r := range vrrp.DropReasons() {
		if n := c.Dropped(r); n > 0 {
			if m == nil {
				m = map[vrrp.DropReason]uint64{}
			}
			m[r] = n
		}
	}
	return m
}

// checksumMap returns the non-zero counts of accepted packets per checksum form of c, or nil.
func checksumMap(c vrrp.Counters) map[string]uint64 {
	var m map[string]uint64
	for i, n := range c.Checksums {
		if n > 0 {
			if m == nil {
				m = map[string]uint64{}
			}
			m[vrrp.ChecksumForm(i).String()] = n
		}
	}
	return m
}
