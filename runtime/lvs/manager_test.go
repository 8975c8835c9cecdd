package lvs

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudflare/ipvs"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/check"
)

// switchProber answers with the health the test sets for its real server.
type switchProber struct{ healthy *atomic.Bool }

func (p switchProber) Probe(context.Context) check.Result {
	return check.Result{OK: p.healthy.Load(), Detail: "switch"}
}

type switches struct {
	mu sync.Mutex
	m  map[string]*atomic.Bool
}

func (s *switches) get(rs string) *atomic.Bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[rs]
	if !ok {
		b = &atomic.Bool{}
		b.Store(true)
		s.m[rs] = b
	}
	return b
}

func (s *switches) newProber(_ *config.Checker, rs *config.RealServer, _ check.Options) (check.Prober, error) {
	return switchProber{s.get(rs.Addr.String())}, nil
}

func parseConfig(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, diags := config.ParseBytes("test.conf", []byte(src), config.Options{ConfigID: "test"})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; have:\n%s", what, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func lvsConf(log string, extraRS string) string {
	sh := func(word string) string { return fmt.Sprintf(`"/bin/sh -c 'echo %s >> %s'"`, word, log) }
	return `virtual_server 192.0.2.10 80 {
	protocol TCP
	lb_algo wrr
	delay_loop 0.02
	retry 0
	warmup 0
	quorum 2
	quorum_up ` + sh("quorum-up") + `
	quorum_down ` + sh("quorum-down") + `
	sorry_server 192.0.2.99 8080
	real_server 192.0.2.20 8080 {
		weight 1
		notify_up ` + sh("a-up") + `
		notify_down ` + sh("a-down") + `
		TCP_CHECK {
		}
	}
	real_server 192.0.2.21 8080 {
		weight 2
		inhibit_on_failure
		TCP_CHECK {
		}
	}
	real_server 192.0.2.22 8080 {
		weight 1
	}
` + extraRS + `}
`
}

// TestManagerPools drives real servers up and down and checks the IPVS
// table (on the recording fake), inhibit_on_failure, the quorum with the
// sorry server, the order of the notify and quorum scripts, and the notify
// FIFO lines.
func TestManagerPools(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "scripts.log")
	sw := &switches{m: map[string]*atomic.Bool{}}
	f := newFakeIPVS()
	var mu sync.Mutex
	var lines []string
	notify := func(l string) { mu.Lock(); lines = append(lines, l); mu.Unlock() }
	m, err := New(parseConfig(t, lvsConf(log, "")), Options{Backend: NewIPVSWith(f), NewProber: sw.newProber, Log: quiet, Notify: notify})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	table := func(want string) {
		t.Helper()
		waitFor(t, want, func() (bool, string) { got := f.table(); return got == want, got })
	}
	svc := "TCP 192.0.2.10:80: "
	table(svc + "192.0.2.20:8080=1 192.0.2.21:8080=2 192.0.2.22:8080=1")
	sw.get("192.0.2.20").Store(false)
	table(svc + "192.0.2.21:8080=2 192.0.2.22:8080=1")
	sw.get("192.0.2.21").Store(false) // inhibited: weight 0; total 1 < quorum 2
	table(svc + "192.0.2.99:8080=1")
	if st := m.State()[0]; st.Quorum || !st.Sorry {
		t.Errorf("state %+v, want the quorum lost and the sorry server", st)
	}
	sw.get("192.0.2.20").Store(true) // total 2: quorum back
	table(svc + "192.0.2.20:8080=1 192.0.2.21:8080=0 192.0.2.22:8080=1")
	sw.get("192.0.2.21").Store(true)
	table(svc + "192.0.2.20:8080=1 192.0.2.21:8080=2 192.0.2.22:8080=1")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := f.table(); got != "" {
		t.Errorf("services left after Run: %q", got)
	}
	data, _ := os.ReadFile(log)
	if got, want := strings.Fields(string(data)), []string{"a-down", "quorum-down", "a-up", "quorum-up"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("scripts ran %v, want %v", got, want)
	}
	// The notify FIFO lines of the same changes, in keepalived's format.
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"RS [192.0.2.20]:tcp:8080 [192.0.2.10]:tcp:80 DOWN",
		"RS [192.0.2.21]:tcp:8080 [192.0.2.10]:tcp:80 DOWN",
		"VS [192.0.2.10]:tcp:80 DOWN",
		"RS [192.0.2.20]:tcp:8080 [192.0.2.10]:tcp:80 UP",
		"VS [192.0.2.10]:tcp:80 UP",
		"RS [192.0.2.21]:tcp:8080 [192.0.2.10]:tcp:80 UP",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("FIFO lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestManagerApplyKeepsState: a reload with the same real servers keeps a
// down one out of the pool (no flap), adds a new real server, and drops a
// removed one.
func TestManagerApplyKeepsState(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "scripts.log")
	sw := &switches{m: map[string]*atomic.Bool{}}
	rec := &recordingBackend{}
	f := newFakeIPVS()
	m, err := New(parseConfig(t, lvsConf(log, "")), Options{Backend: teeBackend{rec, NewIPVSWith(f)}, NewProber: sw.newProber, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	sw.get("192.0.2.20").Store(false)
	waitFor(t, "192.0.2.20 out", func() (bool, string) { d := rec.dests(); return !strings.Contains(d, "192.0.2.20") && d != "", d })
	waitFor(t, "its notify_down", func() (bool, string) { data, _ := os.ReadFile(log); return string(data) == "a-down\n", string(data) })
	mark := rec.count()
	f.takeCalls()
	newRS := "\treal_server 192.0.2.23 8080 {\n\t\tweight 3\n\t}\n"
	cfg := parseConfig(t, strings.Replace(lvsConf(log, newRS), "lb_algo wrr", "lb_algo rr", 1))
	if err := m.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "192.0.2.23 in", func() (bool, string) { d := rec.dests(); return strings.Contains(d, "192.0.2.23:8080=3"), d })
	// Several delay_loops later the down real server has still not been
	// in any pool since the reload.
	time.Sleep(100 * time.Millisecond)
	for _, d := range rec.since(mark) {
		if strings.Contains(d, "192.0.2.20") {
			t.Fatalf("real server 192.0.2.20 came back on reload: %s", d)
		}
	}
	if s := rec.last(); s[0].Scheduler != "rr" {
		t.Errorf("scheduler %q after reload, want rr", s[0].Scheduler)
	}
	// The same on IPVS: the service is updated in place, the new real
	// server created, the failed one never.
	calls := strings.Join(f.takeCalls(), "\n")
	if !strings.Contains(calls, "update service TCP 192.0.2.10:80 rr") || !strings.Contains(calls, "create destination TCP 192.0.2.10:80 192.0.2.23:8080 weight=3") || strings.Contains(calls, "192.0.2.20") || strings.Contains(calls, "remove service") {
		t.Errorf("IPVS calls on reload:\n%s", calls)
	}
	// Removing a real server takes it out.
	if err := m.Apply(parseConfig(t, strings.Replace(lvsConf(log, ""), "\treal_server 192.0.2.22 8080 {\n\t\tweight 1\n\t}\n", "", 1))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "192.0.2.22 gone", func() (bool, string) { d := rec.dests(); return !strings.Contains(d, "192.0.2.22"), d })
	data, _ := os.ReadFile(log)
	if got := strings.Fields(string(data)); strings.Join(got, " ") != "a-down" {
		t.Errorf("scripts ran %v, want only a-down (no flap on reload)", got)
	}
}

// teeBackend syncs two backends.
type teeBackend [2]Backend

func (t teeBackend) Name() string { return "tee" }
func (t teeBackend) Sync(s []Service) error {
	return errors.Join(t[0].Sync(s), t[1].Sync(s))
}
func (t teeBackend) Close() error { return errors.Join(t[0].Close(), t[1].Close()) }
func (t teeBackend) Stats() (map[ServiceKey]ServiceStats, error) {
	return t[1].Stats()
}

// recordingBackend keeps every Sync.
type recordingBackend struct {
	mu    sync.Mutex
	syncs [][]Service
}

func (r *recordingBackend) Name() string { return "recording" }
func (r *recordingBackend) Close() error { return r.Sync(nil) }
func (r *recordingBackend) Stats() (map[ServiceKey]ServiceStats, error) {
	return map[ServiceKey]ServiceStats{}, nil
}
func (r *recordingBackend) Sync(s []Service) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.syncs = append(r.syncs, s)
	return nil
}
func (r *recordingBackend) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.syncs)
}
func (r *recordingBackend) last() []Service {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.syncs[len(r.syncs)-1]
}

func destsText(ss []Service) string {
	var b strings.Builder
	for _, s := range ss {
		for _, d := range s.Dests {
			fmt.Fprintf(&b, "%s:%d=%d ", d.Addr, d.Port, d.Weight)
		}
	}
	return b.String()
}

func (r *recordingBackend) dests() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.syncs) == 0 {
		return ""
	}
	return destsText(r.syncs[len(r.syncs)-1])
}

func (r *recordingBackend) since(i int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.syncs[i:] {
		out = append(out, destsText(s))
	}
	return out
}

func TestExpandGroup(t *testing.T) {
	cfg := parseConfig(t, `virtual_server_group G {
	192.0.2.1-3 80
	fwmark 9
}
virtual_server group G {
	protocol TCP
	real_server 192.0.2.20 8080 {
	}
}
`)
	rec := &recordingBackend{}
	m, err := New(cfg, Options{Backend: rec, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	m.backend = rec
	if err := m.evaluate(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range rec.last() {
		keys = append(keys, s.Key().String())
	}
	if got := strings.Join(keys, ", "); got != "TCP 192.0.2.1:80, TCP 192.0.2.2:80, TCP 192.0.2.3:80, FWM 9" {
		t.Errorf("services %s", got)
	}
}

// TestManagerOmega: with omega, stopping runs notify_down for the live
// real servers and quorum_down, after which the scripts have all run.
func TestManagerOmega(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "scripts.log")
	sw := &switches{m: map[string]*atomic.Bool{}}
	conf := strings.Replace(lvsConf(log, ""), "quorum 2\n", "quorum 2\n\tomega\n", 1)
	f := newFakeIPVS()
	m, err := New(parseConfig(t, conf), Options{Backend: NewIPVSWith(f), NewProber: sw.newProber, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	waitFor(t, "the pool", func() (bool, string) { got := f.table(); return strings.Contains(got, "192.0.2.20:8080=1"), got })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(log)
	if got := strings.Join(strings.Fields(string(data)), " "); got != "a-down quorum-down" {
		t.Fatalf("scripts at stop: %q, want %q", got, "a-down quorum-down")
	}
}

type fixedProber check.Result

func (p fixedProber) Probe(context.Context) check.Result { return check.Result(p) }

// TestManagerDynamicWeight: a misc_dynamic result sets the real server's
// weight in the pool and in the quorum.
func TestManagerDynamicWeight(t *testing.T) {
	cfg := parseConfig(t, `virtual_server 192.0.2.10 80 {
	protocol TCP
	quorum 5
	sorry_server 192.0.2.99 80
	real_server 192.0.2.20 80 {
		weight 1
		MISC_CHECK {
			misc_path /bin/true
			misc_dynamic
			warmup 0
		}
	}
}
`)
	rec := &recordingBackend{}
	newProber := func(*config.Checker, *config.RealServer, check.Options) (check.Prober, error) {
		return fixedProber{OK: true, Weight: 7, HasWeight: true}, nil
	}
	m, err := New(cfg, Options{Backend: rec, NewProber: newProber, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	// Weight 1 is below the quorum 5 (sorry server); the dynamic 7 is not.
	waitFor(t, "weight 7", func() (bool, string) { d := rec.dests(); return d == "192.0.2.20:80=7 ", d })
	if st := m.State()[0]; !st.Quorum || st.RealServers[0].Weight != 7 || len(st.RealServers[0].Checkers) != 1 ||
		!st.RealServers[0].Checkers[0].HasWeight || st.RealServers[0].Checkers[0].Weight != 7 {
		t.Fatalf("state %+v", st)
	}
}

// TestManagerStateTraffic: State carries the backend's counters of each
// kernel service of a virtual server (a group's addresses apart) with its
// destinations in address order, and none before the backend runs.
func TestManagerStateTraffic(t *testing.T) {
	cfg := parseConfig(t, `virtual_server_group G {
	192.0.2.1-2 80
}
virtual_server group G {
	protocol TCP
	real_server 192.0.2.21 8080 {
	}
	real_server 192.0.2.20 8080 {
	}
}
`)
	f := newFakeIPVS()
	m, err := New(cfg, Options{Backend: NewIPVSWith(f), Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if st := m.State(); len(st) != 1 || st[0].Services != nil {
		t.Fatalf("State before the backend runs = %+v, want no counters", st)
	}
	m.backend = m.opts.Backend
	if err := m.evaluate(); err != nil {
		t.Fatal(err)
	}
	f.stats64["TCP 192.0.2.1:80"] = ipvs.Stats{Connections: 5, IncomingPackets: 50, OutgoingPackets: 40, IncomingBytes: 5000, OutgoingBytes: 8000}
	f.stats64["TCP 192.0.2.1:80 192.0.2.20:8080"] = ipvs.Stats{Connections: 2}
	f.stats64["TCP 192.0.2.1:80 192.0.2.21:8080"] = ipvs.Stats{Connections: 3}
	f.stats64["TCP 192.0.2.2:80"] = ipvs.Stats{Connections: 1}
	f.stats64["TCP 192.0.2.2:80 192.0.2.21:8080"] = ipvs.Stats{Connections: 1}
	rs20, rs21 := DestKey{netip.MustParseAddr("192.0.2.20"), 8080}, DestKey{netip.MustParseAddr("192.0.2.21"), 8080}
	key := func(addr string) ServiceKey {
		return ServiceKey{Family: config.IPv4, Protocol: "TCP", Addr: netip.MustParseAddr(addr), Port: 80}
	}
	want := []ServiceState{
		{Key: key("192.0.2.1"), Traffic: Traffic{Connections: 5, InPackets: 50, OutPackets: 40, InBytes: 5000, OutBytes: 8000},
			Dests: []DestState{{rs20, Traffic{Connections: 2}}, {rs21, Traffic{Connections: 3}}}},
		{Key: key("192.0.2.2"), Traffic: Traffic{Connections: 1},
			Dests: []DestState{{rs20, Traffic{}}, {rs21, Traffic{Connections: 1}}}},
	}
	st := m.State()
	if len(st) != 1 || !reflect.DeepEqual(st[0].Services, want) {
		t.Errorf("State = %+v\nwant services %+v", st, want)
	}
}

// TestManagerStateCheckers: State carries each checker of a real server in
// config order, with its kind, state, has_run, retry iterations, the
// misc_dynamic weight it reported and its last failure.
func TestManagerStateCheckers(t *testing.T) {
	cfg := parseConfig(t, `virtual_server 192.0.2.10 80 {
	protocol TCP
	delay_loop 0.02
	real_server 192.0.2.20 80 {
		weight 1
		TCP_CHECK {
			warmup 0
		}
		MISC_CHECK {
			misc_path /bin/true
			misc_dynamic
			warmup 0
			retry 0
		}
	}
}
`)
	newProber := func(ck *config.Checker, _ *config.RealServer, _ check.Options) (check.Prober, error) {
		if ck.Type == config.CheckMisc {
			return fixedProber{OK: false, Detail: "MISC_CHECK exited 1"}, nil
		}
		return fixedProber{OK: true, Detail: "tcp ok"}, nil
	}
	m, err := New(cfg, Options{Backend: &recordingBackend{}, NewProber: newProber, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	want := []CheckerState{
		{Kind: "TCP_CHECK", Up: true, HasRun: true},
		{Kind: "MISC_CHECK", Up: false, HasRun: true, LastFailure: "MISC_CHECK exited 1"},
	}
	waitFor(t, "one checker down", func() (bool, string) {
		st := m.State()[0].RealServers[0]
		return reflect.DeepEqual(st.Checkers, want) && !st.Alive, fmt.Sprintf("%+v", st)
	})
}

func TestNotifyFIFOFormat(t *testing.T) {
	addr := netip.MustParseAddr
	rs := &config.RealServer{Addr: addr("198.51.100.2"), Port: 53}
	for _, tt := range []struct {
		vs   *config.VirtualServer
		rs   *config.RealServer
		up   bool
		want string
	}{
		{&config.VirtualServer{Addr: addr("192.0.2.10"), Port: 53, Protocol: "UDP"}, rs, false, "RS [198.51.100.2]:udp:53 [192.0.2.10]:udp:53 DOWN"},
		{&config.VirtualServer{Addr: addr("2001:db8::10"), Port: 80, Protocol: "TCP"}, nil, true, "VS [2001:db8::10]:tcp:80 UP"},
		{&config.VirtualServer{Fwmark: 7}, &config.RealServer{Addr: addr("198.51.100.2")}, true, "RS [198.51.100.2]:none:0 FWM 7 UP"},
		{&config.VirtualServer{Group: "web", Protocol: "TCP"}, nil, false, "VS [web]:0 DOWN"},
	} {
		var got string
		m := &Manager{opts: Options{Notify: func(l string) { got = l }}}
		m.notifyFIFO(tt.vs, tt.rs, tt.up)
		if got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
