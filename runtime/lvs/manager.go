package lvs

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/check"
	"github.com/havip/havip/runtime/script"
)

// maxGroupAddresses bounds the services one virtual_server_group expands to.
const maxGroupAddresses = 4096

// resyncInterval is how often a failed backend Sync is retried.
const resyncInterval = 5 * time.Second

// neighbourRetry is how soon a Sync waiting for DR real servers' MAC
// addresses is retried.
const neighbourRetry = 500 * time.Millisecond

// Options configure a Manager.
type Options struct {
	// Backend installs the services; nil selects IPVS, else nftables, when
	// Run starts.
	Backend Backend
	// Clock drives the checkers; nil is the system clock.
	Clock check.Clock
	// NewProber builds a checker's prober; nil is check.New.
	NewProber func(ck *config.Checker, rs *config.RealServer, opts check.Options) (check.Prober, error)
	Log       *slog.Logger
	// Notify takes keepalived's notify FIFO lines of the changes (see
	// notifyFIFO); nil writes none.
	Notify func(line string)
}

// Manager runs the virtual servers of a config.
type Manager struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	cfg     *config.Config
	vss     []*vsState
	runCtx  context.Context // nil until Run starts
	wake    chan struct{}
	scripts *scriptQueue

	// backendMu serialises the backend's Syncs and the reads of its
	// counters (State runs on other goroutines than Run).
	backendMu sync.Mutex
	backend   Backend // nil until Run starts
}

type vsState struct {
	key     string
	vs      *config.VirtualServer
	rss     []*rsState
	quorum  bool   // quorum held
	started bool   // quorum evaluated once
	pool    string // the pool last logged
	// services are the keys of the kernel services of the last evaluation.
	services []ServiceKey
}

type rsState struct {
	key     string
	rs      *config.RealServer
	runners []*runner
	alive   bool // as last reported through notify_up/down
}

type runner struct {
	key     string
	r       *check.Runner
	carried bool
	cancel  context.CancelFunc
}

// New returns a manager for cfg's virtual servers; the checkers start
// with Run.
func New(cfg *config.Config, opts Options) (*Manager, error) {
	m := &Manager{opts: opts, log: opts.Log, wake: make(chan struct{}, 1)}
	if m.log == nil {
		m.log = slog.Default()
	}
	m.scripts = newScriptQueue(m.log)
	vss, err := m.build(cfg, nil)
	if err != nil {
		return nil, err
	}
	m.cfg, m.vss = cfg, vss
	return m, nil
}

// build makes the states of cfg's virtual servers, carrying over the
// checker and notify states of old where the virtual server, real server
// and checker are unchanged.
func (m *Manager) build(cfg *config.Config, old []*vsState) ([]*vsState, error) {
	oldVS := map[string]*vsState{}
	oldRunners := map[string]*runner{}
	oldRS := map[string]*rsState{}
	for _, v := range old {
		oldVS[v.key] = v
		for _, r := range v.rss {
			oldRS[r.key] = r
			for _, rn := range r.runners {
				oldRunners[rn.key] = rn
			}
		}
	}
	newProber := m.opts.NewProber
	if newProber == nil {
		newProber = check.New
	}
	copts := check.Options{SSL: cfg.SSL, ScriptSecurity: cfg.Global.EnableScriptSecurity, Log: m.log}
	var out []*vsState
	for _, vs := range cfg.VirtualServers {
		v := &vsState{key: vsKey(vs), vs: vs, quorum: true}
		if o := oldVS[v.key]; o != nil {
			v.quorum, v.started, v.pool = o.quorum, o.started, o.pool
		}
		if vs.HASuspend {
			m.log.Warn("ha_suspend is not applied: checkers run whether or not the virtual address is local", "virtual_server", vs.Name())
		}
		for _, rs := range vs.RealServers {
			r := &rsState{key: v.key + " " + rs.Name(), rs: rs}
			old := oldRS[r.key]
			seen := map[string]int{}
			for _, ck := range rs.Checkers {
				ckey := checkerKey(ck)
				seen[ckey]++
				key := r.key + " " + ckey + " #" + strconv.Itoa(seen[ckey])
				p, err := newProber(ck, rs, copts)
				if err != nil {
					return nil, fmt.Errorf("virtual_server %s real_server %s: %w", vs.Name(), rs.Name(), err)
				}
				cr := &check.Runner{Name: ck.Type + " " + rs.Name() + " of " + vs.Name(), Prober: p, Schedule: check.ScheduleOf(ck), Clock: m.opts.Clock, Changed: m.poke, Log: m.log}
				rn := &runner{key: key, r: cr}
				if o := oldRunners[key]; o != nil {
					cr.Carry(o.r)
					rn.carried = true
				} else {
					cr.Init()
				}
				r.runners = append(r.runners, rn)
			}
			// A new real server starts in its checkers' initial state (up,
			// or down with alpha), as keepalived's: a check that fails
			// before the first evaluation still runs notify_down.
			r.alive, _ = r.health()
			if old != nil {
				r.alive = old.alive
			}
			v.rss = append(v.rss, r)
		}
		out = append(out, v)
	}
	return out, nil
}

func vsKey(vs *config.VirtualServer) string {
	return vs.Name() + " " + strconv.Itoa(int(vs.Family))
}

// checkerKey identifies a checker's settings, ignoring its position.
func checkerKey(ck *config.Checker) string {
	c := *ck
	c.Pos = config.Pos{}
	if c.HTTP != nil {
		h := *c.HTTP
		h.URLs = append([]config.URL(nil), h.URLs...)
		for i := range h.URLs {
			h.URLs[i].Pos = config.Pos{}
		}
		c.HTTP = &h
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// poke asks the loop to re-evaluate; it never blocks.
func (m *Manager) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Apply replaces the config: unchanged checkers keep their state and keep
// running, others start, removed ones stop; the pools are re-evaluated.
func (m *Manager) Apply(cfg *config.Config) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	vss, err := m.build(cfg, m.vss)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, v := range vss {
		for _, r := range v.rss {
			for _, rn := range r.runners {
				keep[rn.key] = true
			}
		}
	}
	for _, v := range m.vss {
		for _, r := range v.rss {
			for _, rn := range r.runners {
				if rn.cancel != nil && !keep[rn.key] {
					rn.cancel()
				}
			}
		}
	}
	old := m.vss
	m.cfg, m.vss = cfg, vss
	if m.runCtx != nil {
		m.startRunners(old)
		m.poke()
	}
	return nil
}

// startRunners starts the runners not yet running; a carried runner
// replaces the old one, which is stopped.
func (m *Manager) startRunners(old []*vsState) {
	oldRunners := map[string]*runner{}
	for _, v := range old {
		for _, r := range v.rss {
			for _, rn := range r.runners {
				oldRunners[rn.key] = rn
			}
		}
	}
	for _, v := range m.vss {
		for _, r := range v.rss {
			for _, rn := range r.runners {
				if o := oldRunners[rn.key]; o != nil && o.cancel != nil {
					o.cancel()
				}
				ctx, cancel := context.WithCancel(m.runCtx)
				rn.cancel = cancel
				go rn.r.Run(ctx, rn.carried)
			}
		}
	}
}

// Run selects the backend if none was given, runs the checkers and keeps
// the kernel's services following them until ctx ends; then it stops the
// checkers, runs the omega scripts and removes the services.
func (m *Manager) Run(ctx context.Context) error {
	b := m.opts.Backend
	if b == nil {
		var err error
		if b, err = SelectBackend(m.log); err != nil {
			return err
		}
	}
	m.backendMu.Lock()
	m.backend = b
	m.backendMu.Unlock()
	m.log.Info("lvs backend", "backend", b.Name())
	qctx, qcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer qcancel()
	go m.scripts.run(qctx)
	m.mu.Lock()
	m.runCtx = ctx
	m.startRunners(nil)
	m.mu.Unlock()
	for {
		var retry <-chan time.Time
		switch err := m.evaluate(); {
		case errors.Is(err, errNeighbourPending):
			retry = time.After(neighbourRetry)
		case err != nil:
			retry = time.After(resyncInterval)
		}
		select {
		case <-ctx.Done():
			return m.stop()
		case <-m.wake:
		case <-retry:
		}
	}
}

func (m *Manager) stop() error {
	m.mu.Lock()
	for _, v := range m.vss {
		for _, r := range v.rss {
			for _, rn := range r.runners {
				if rn.cancel != nil {
					rn.cancel()
				}
			}
			if v.vs.Omega && r.alive && r.rs.NotifyDown != nil {
				m.scripts.add(r.rs.NotifyDown, "omega: real server "+r.rs.Name()+" stopping")
			}
		}
		if v.vs.Omega && v.quorum && v.vs.QuorumDown != nil {
			m.scripts.add(v.vs.QuorumDown, "omega: virtual server "+v.vs.Name()+" stopping")
		}
	}
	m.mu.Unlock()
	m.backendMu.Lock()
	err := m.backend.Close()
	m.backendMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m.scripts.drain(ctx)
	if err != nil {
		return fmt.Errorf("lvs: removing services: %w", err)
	}
	return nil
}

// RealServerState is one real server's state in a virtual server.
type RealServerState struct {
	VirtualServer string
	RealServer    netip.AddrPort
	Alive         bool
	Weight        int // in the pool; -1 when not in it
	// Checkers are the real server's health checkers, in config order.
	Checkers []CheckerState
}

// CheckerState is one health checker's state.
type CheckerState struct {
	Kind string // the checker's keyword: HTTP_GET, TCP_CHECK, ...
	Up   bool
	// HasRun is keepalived's has_run (see check.Machine.HasRun).
	HasRun bool
	// RetryIterations is keepalived's retry_it: the failures counted
	// toward retry.
	RetryIterations int
	// Weight is the weight a misc_dynamic script last reported (valid when
	// HasWeight).
	Weight    int
	HasWeight bool
	// FailedURL is an HTTP_GET/SSL_GET checker's failed url; "" for none.
	FailedURL string
	// LastFailure says why the last failed probe failed; "" before one.
	LastFailure string
}

// VirtualServerState is one virtual server's state.
type VirtualServerState struct {
	VirtualServer string
	Quorum        bool
	Sorry         bool // the sorry server is in use
	RealServers   []RealServerState
	// Services are the kernel services of the virtual server (one, or one
	// per address and fwmark of its group) with their traffic counters;
	// nil when the backend's counters could not be read.
	Services []ServiceState
}

// ServiceState is one kernel service and its destinations' traffic.
type ServiceState struct {
	Key     ServiceKey
	Traffic Traffic
	Dests   []DestState // in address order
}

// DestState is one destination's traffic in a service.
type DestState struct {
	Dest    DestKey
	Traffic Traffic
}

// stats reads the backend's counters; nil before Run or on an error.
func (m *Manager) stats() map[ServiceKey]ServiceStats {
	m.backendMu.Lock()
	defer m.backendMu.Unlock()
	if m.backend == nil {
		return nil
	}
	st, err := m.backend.Stats()
	if err != nil {
		m.log.Warn("lvs: reading the traffic counters", "backend", m.backend.Name(), "error", err)
	}
	return st
}

// State returns the state of every virtual server.
func (m *Manager) State() []VirtualServerState {
	stats := m.stats()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []VirtualServerState
	for _, v := range m.vss {
		st := VirtualServerState{VirtualServer: v.vs.Name(), Quorum: v.quorum, Sorry: !v.quorum && v.vs.Sorry != nil}
		if stats != nil {
			st.Services = serviceStates(v.services, stats)
		}
		for _, r := range v.rss {
			alive, w := r.health()
			weight := -1
			switch {
			case st.Sorry:
			case alive:
				weight = w
			case r.rs.InhibitOnFailure:
				weight = 0
			}
			rst := RealServerState{VirtualServer: v.vs.Name(), RealServer: netip.AddrPortFrom(r.rs.Addr, r.rs.Port), Alive: alive, Weight: weight}
			for i, rn := range r.runners {
				cs := rn.r.Status()
				rst.Checkers = append(rst.Checkers, CheckerState{Kind: r.rs.Checkers[i].Type, Up: cs.Up, HasRun: cs.HasRun, RetryIterations: cs.Retries,
					Weight: cs.Weight, HasWeight: cs.HasWeight, FailedURL: cs.FailedURL, LastFailure: cs.LastFailure})
			}
			st.RealServers = append(st.RealServers, rst)
		}
		out = append(out, st)
	}
	return out
}

// serviceStates returns the counters of the services keys, leaving out
// those the backend did not install.
func serviceStates(keys []ServiceKey, stats map[ServiceKey]ServiceStats) []ServiceState {
	out := []ServiceState{}
	for _, k := range keys {
		ss, ok := stats[k]
		if !ok {
			continue
		}
		st := ServiceState{Key: k, Traffic: ss.Traffic}
		for d, t := range ss.Dests {
			st.Dests = append(st.Dests, DestState{Dest: d, Traffic: t})
		}
		slices.SortFunc(st.Dests, func(a, b DestState) int {
			return cmp.Or(a.Dest.Addr.Compare(b.Dest.Addr), cmp.Compare(a.Dest.Port, b.Dest.Port))
		})
		out = append(out, st)
	}
	return out
}

// health returns whether every checker is up and the weight: the
// misc_dynamic weight of the first checker reporting one, else the
// configured weight.
func (r *rsState) health() (bool, int) {
	alive, weight, dynamic := true, r.rs.Weight, false
	for _, rn := range r.runners {
		st := rn.r.Status()
		if !st.Up {
			alive = false
		}
		if st.HasWeight && !dynamic {
			weight, dynamic = st.Weight, true
		}
	}
	return alive, weight
}

// evaluate recomputes every pool, queues the notify and quorum scripts of
// the transitions in order, and syncs the backend.
func (m *Manager) evaluate() error {
	m.mu.Lock()
	var services []Service
	for _, v := range m.vss {
		services = append(services, m.evaluateVS(v)...)
	}
	m.mu.Unlock()
	sortServices(services)
	m.backendMu.Lock()
	err := m.backend.Sync(services)
	m.backendMu.Unlock()
	if errors.Is(err, errNeighbourPending) {
		m.log.Info("lvs: some DR real servers wait for their MAC address; retrying", "detail", err)
		return err
	}
	if err != nil {
		m.log.Error("lvs: installing the pools failed; retrying", "backend", m.backend.Name(), "error", err)
		return err
	}
	return nil
}

func (m *Manager) evaluateVS(v *vsState) []Service {
	vs := v.vs
	var dests []Dest
	total := 0
	for _, r := range v.rss {
		alive, w := r.health()
		// A real server starts in its checkers' initial state without
		// scripts (keepalived without rs_init_notifies); every change from
		// it runs one.
		if alive != r.alive {
			m.log.Info("real server state", "virtual_server", vs.Name(), "real_server", r.rs.Name(), "alive", alive)
			m.notifyFIFO(vs, r.rs, alive)
			switch {
			case alive && r.rs.NotifyUp != nil:
				m.scripts.add(r.rs.NotifyUp, "real server "+r.rs.Name()+" up")
			case !alive && r.rs.NotifyDown != nil:
				m.scripts.add(r.rs.NotifyDown, "real server "+r.rs.Name()+" down")
			}
		}
		r.alive = alive
		d := Dest{Addr: r.rs.Addr, Port: r.rs.Port, Weight: w, Method: r.rs.Method, UThreshold: r.rs.UThreshold, LThreshold: r.rs.LThreshold}
		switch {
		case alive:
			total += w
			dests = append(dests, d)
		case r.rs.InhibitOnFailure:
			d.Weight = 0
			dests = append(dests, d)
		}
	}
	switch {
	case v.quorum && total < vs.Quorum-vs.Hysteresis:
		v.quorum = false
		m.log.Warn("virtual server lost its quorum", "virtual_server", vs.Name(), "weight", total, "quorum", vs.Quorum, "hysteresis", vs.Hysteresis)
		if v.started {
			m.notifyFIFO(vs, nil, false)
		}
		if vs.QuorumDown != nil && v.started {
			m.scripts.add(vs.QuorumDown, "virtual server "+vs.Name()+" quorum down")
		}
	case !v.quorum && total >= vs.Quorum+vs.Hysteresis:
		v.quorum = true
		m.log.Info("virtual server gained its quorum", "virtual_server", vs.Name(), "weight", total, "quorum", vs.Quorum)
		if v.started {
			m.notifyFIFO(vs, nil, true)
		}
		if vs.QuorumUp != nil && v.started {
			m.scripts.add(vs.QuorumUp, "virtual server "+vs.Name()+" quorum up")
		}
	}
	v.started = true
	if s := vs.Sorry; s != nil {
		sorry := Dest{Addr: s.Addr, Port: s.Port, Weight: 1, Method: s.Method}
		if sorry.Port == 0 && vs.Fwmark == 0 {
			sorry.Port = vs.Port
		}
		switch {
		case !v.quorum:
			dests = []Dest{sorry}
		case s.Inhibit:
			sorry.Weight = 0
			dests = append(dests, sorry)
		}
	}
	if pool := poolText(dests); pool != v.pool {
		v.pool = pool
		m.log.Info("virtual server pool", "virtual_server", vs.Name(), "pool", pool, "quorum", v.quorum)
	}
	services := m.expand(vs, dests)
	v.services = v.services[:0]
	for _, s := range services {
		v.services = append(v.services, s.Key())
	}
	return services
}

// poolText is "ADDR:PORT=WEIGHT ..." for logs.
func poolText(dests []Dest) string {
	parts := make([]string, len(dests))
	for i, d := range dests {
		parts[i] = netip.AddrPortFrom(d.Addr, d.Port).String() + "=" + strconv.Itoa(d.Weight)
	}
	return strings.Join(parts, " ")
}

// expand returns the services of a virtual server: one, or one per
// address and fwmark of its group.
func (m *Manager) expand(vs *config.VirtualServer, dests []Dest) []Service {
	base := Service{Family: vs.Family, Protocol: vs.Protocol, Scheduler: vs.Scheduler, SchedFlags: vs.SchedFlags, OnePacket: vs.OnePacket, Persistence: vs.PersistenceTimeout, Granularity: vs.PersistenceGranularity}
	one := func(addr netip.Addr, port uint16, fwmark uint32, family config.Family) Service {
		s := base
		s.Addr, s.Port, s.Fwmark, s.Family = addr, port, fwmark, family
		if fwmark != 0 {
			s.Protocol = ""
		}
		s.Dests = append([]Dest(nil), dests...)
		return s
	}
	if vs.Group == "" {
		return []Service{one(vs.Addr, vs.Port, vs.Fwmark, vs.Family)}
	}
	g := m.cfg.VirtualServerGroup(vs.Group)
	var out []Service
	n := 0
	for _, e := range g.Entries {
		if e.Fwmark != 0 {
			f := e.Family
			if f == 0 {
				f = vs.Family
			}
			out = append(out, one(netip.Addr{}, 0, e.Fwmark, f))
			continue
		}
		if familyOf(e.First) != vs.Family {
			continue
		}
		for a := e.First; a.IsValid() && a.Compare(e.Last) <= 0; a = a.Next() {
			if n++; n > maxGroupAddresses {
				m.log.Error("virtual_server_group is too large; the rest is not installed", "group", g.Name, "limit", maxGroupAddresses)
				return out
			}
			out = append(out, one(a, e.Port, 0, vs.Family))
		}
	}
	return out
}

// SelectBackend returns IPVS when the kernel has it, else nftables.
func SelectBackend(log *slog.Logger) (Backend, error) {
	b, ipvsErr := NewIPVS()
	if ipvsErr == nil {
		return b, nil
	}
	n, nftErr := NewNFT(log)
	if nftErr != nil {
		return nil, fmt.Errorf("lvs: no backend: %w", errors.Join(ipvsErr, nftErr))
	}
	log.Info("lvs: IPVS is not available; using nftables: NAT by DNAT, DR by rewriting the MAC at ingress, real servers picked by weight", "ipvs_error", ipvsErr)
	return n, nil
}

// scriptQueue runs notify and quorum scripts one at a time, in the order
// they were queued.
type scriptQueue struct {
	log  *slog.Logger
	mu   sync.Mutex
	q    []queued
	wake chan struct{}
	idle chan struct{} // closed when the queue is empty and nothing runs
	busy bool
}

type queued struct {
	cmd *config.Command
	why string
}

func newScriptQueue(log *slog.Logger) *scriptQueue {
	q := &scriptQueue{log: log, wake: make(chan struct{}, 1), idle: make(chan struct{})}
	close(q.idle)
	return q
}

func (q *scriptQueue) add(c *config.Command, why string) {
	q.mu.Lock()
	q.q = append(q.q, queued{c, why})
	if !q.busy {
		q.busy = true
		q.idle = make(chan struct{})
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *scriptQueue) run(ctx context.Context) {
	for {
		q.mu.Lock()
		if len(q.q) == 0 {
			if q.busy {
				q.busy = false
				close(q.idle)
			}
			q.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
			}
			continue
		}
		item := q.q[0]
		q.q = q.q[1:]
		q.mu.Unlock()
		r := &script.Runner{Log: q.log}
		if item.cmd.User != "" {
			id, err := script.LookupIdentity(item.cmd.User, item.cmd.Group)
			if err != nil {
				q.log.Error("lvs: notify script not run", "script", item.cmd.Text, "error", err)
				continue
			}
			r.As = &id
		}
		q.log.Info("lvs: running script", "script", item.cmd.Text, "why", item.why)
		r.Run(ctx, script.Command{Text: item.cmd.Text, Args: item.cmd.Args})
	}
}

// drain waits until every queued script has run, or ctx ends.
func (q *scriptQueue) drain(ctx context.Context) {
	q.mu.Lock()
	idle := q.idle
	q.mu.Unlock()
	select {
	case <-idle:
	case <-ctx.Done():
	}
}

// notifyFIFO writes keepalived's notify FIFO line of a real server's change
// (rs set) or of a virtual server's quorum (rs nil): "RS [192.0.2.20]:tcp:80
// [192.0.2.10]:tcp:80 DOWN", "VS [192.0.2.10]:tcp:80 UP" (format_rs and
// format_vs: a fwmark virtual server is "FWM 1", a group "[NAME]:PORT").
func (m *Manager) notifyFIFO(vs *config.VirtualServer, rs *config.RealServer, up bool) {
	if m.opts.Notify == nil {
		return
	}
	state := "DOWN"
	if up {
		state = "UP"
	}
	proto := strings.ToLower(vs.Protocol)
	if vs.Fwmark != 0 || proto == "" {
		proto = "none"
	}
	var vsText string
	switch {
	case vs.Group != "":
		vsText = "[" + vs.Group + "]:" + strconv.Itoa(int(vs.Port))
	case vs.Fwmark != 0:
		vsText = "FWM " + strconv.FormatUint(uint64(vs.Fwmark), 10)
	default:
		vsText = "[" + vs.Addr.String() + "]:" + proto + ":" + strconv.Itoa(int(vs.Port))
	}
	line := "VS " + vsText + " " + state
	if rs != nil {
		line = "RS [" + rs.Addr.String() + "]:" + proto + ":" + strconv.Itoa(int(rs.Port)) + " " + vsText + " " + state
	}
	m.opts.Notify(line)
}
