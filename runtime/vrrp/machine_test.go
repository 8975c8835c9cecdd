package vrrp

import (
	"net/netip"
	"reflect"
	"testing"
	"time"
)

var (
	t0     = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	us     = time.Microsecond
	ms     = time.Millisecond
	sec    = time.Second
	ours4  = netip.MustParseAddr("192.0.2.1")
	peer4  = netip.MustParseAddr("192.0.2.2")
	low4   = netip.MustParseAddr("192.0.2.0")
	ll6    = netip.MustParseAddr("fe80::a")
	peer6  = netip.MustParseAddr("fe80::b")
	mdi100 = 3609375 * us // 3 s + (256-100)/256 s
	skw100 = 609375 * us
)

func v2Config() Config {
	return Config{
		Name: "VI_51", VRID: 51, Version: 2, Priority: 100, AdvertInterval: sec,
		Addrs: []netip.Addr{vipV4}, Garp: DefaultGarpConfig(),
	}
}

func v3Config() Config {
	c := v2Config()
	c.Version = 3
	return c
}

func v6Config() Config {
	c := v3Config()
	c.Addrs = []netip.Addr{vipLL, vipV6}
	return c
}

// advert builds a Received the way the socket reader would: encode with the
// sender's view of the instance, then Parse.
type advOpt func(a *Advert, rx *rxMeta)

type rxMeta struct {
	dst netip.Addr
	ttl uint8
}

func withInterval(field uint16) advOpt { return func(a *Advert, _ *rxMeta) { a.AdverInt = field } }
func withTTL(ttl uint8) advOpt         { return func(_ *Advert, m *rxMeta) { m.ttl = ttl } }
func withDst(d netip.Addr) advOpt      { return func(_ *Advert, m *rxMeta) { m.dst = d } }
func withVersion(v uint8) advOpt {
	return func(a *Advert, _ *rxMeta) {
		a.Version = v
		if v == 3 && a.AdverInt < 10 {
			a.AdverInt *= 100
		}
	}
}
func withVRID(id uint8) advOpt { return func(a *Advert, _ *rxMeta) { a.VRID = id } }
func withAuth(t AuthType, pass string) advOpt {
	return func(a *Advert, _ *rxMeta) { a.AuthType = t; a.AuthData = [8]byte{}; copy(a.AuthData[:], pass) }
}
func withAddrs(addrs ...netip.Addr) advOpt { return func(a *Advert, _ *rxMeta) { a.Addrs = addrs } }

func advertFor(t testing.TB, cfg Config, src netip.Addr, prio uint8, opts ...advOpt) *Received {
	t.Helper()
	field, err := cfg.advertIntervalField()
	if err != nil {
		t.Fatal(err)
	}
	a := Advert{Version: cfg.Version, VRID: cfg.VRID, Priority: prio, AdverInt: field, Addrs: cfg.Addrs}
	if cfg.Version == 2 {
		a.AuthType = cfg.AuthType
		copy(a.AuthData[:], cfg.AuthPass)
	}
	meta := rxMeta{dst: GroupIPv4, ttl: TTL}
	if src.Is6() {
		meta.dst = GroupIPv6
	}
	for _, o := range opts {
		o(&a, &meta)
	}
	b, err := a.Append(nil, src, meta.dst, ChecksumRFC5798)
	if err != nil {
		t.Fatal(err)
	}
	rx := new(Received)
	if r := Parse(rx, b, src, meta.dst, meta.ttl); r != DropNone {
		t.Fatalf("test advert rejected by Parse: %v", r)
	}
	return rx
}

// step is one event in a transition table row.
type step struct {
	at    time.Duration // since t0
	event func(t *testing.T, m *Machine, now time.Time) []Action
	want  []Action
	state State
	next  time.Duration // expected NextDeadline since t0; noDeadline = none
}

const noDeadline = time.Duration(-1)

func start(t *testing.T, m *Machine, now time.Time) []Action  { return m.Start(now) }
func stop(t *testing.T, m *Machine, now time.Time) []Action   { return m.Stop(now) }
func expire(t *testing.T, m *Machine, now time.Time) []Action { return m.Expire(now) }
func recv(src netip.Addr, prio uint8, opts ...advOpt) func(*testing.T, *Machine, time.Time) []Action {
	return func(t *testing.T, m *Machine, now time.Time) []Action {
		return m.Receive(now, advertFor(t, m.Config(), src, prio, opts...))
	}
}
func setPrio(p uint8) func(*testing.T, *Machine, time.Time) []Action {
	return func(t *testing.T, m *Machine, now time.Time) []Action { return m.SetPriority(now, p, "tracker") }
}
func fault(on bool) func(*testing.T, *Machine, time.Time) []Action {
	return func(t *testing.T, m *Machine, now time.Time) []Action { return m.SetFault(now, on, "link") }
}
func forceMaster(t *testing.T, m *Machine, now time.Time) []Action {
	return m.ForceMaster(now, "sync group")
}
func forceBackup(t *testing.T, m *Machine, now time.Time) []Action {
	return m.ForceBackup(now, "sync group")
}

func toMaster(prio uint8, reason Reason) []Action {
	return []Action{SendAdvert{prio}, AddVIPs{}, Announce{5}, Transition{StateBackup, StateMaster, reason}}
}

var startBackup = []Action{Transition{StateInit, StateBackup, Reason{CauseStartup, "startup"}}}

var ownerStart = []Action{SendAdvert{255}, AddVIPs{}, Announce{5}, Transition{StateInit, StateMaster, Reason{CauseOwner, "address owner"}}}

// masterAt100 brings a v2/v3 prio-100 instance to MASTER at mdi100.
var masterAt100 = []step{
	{0, start, startBackup, StateBackup, mdi100},
	{mdi100, expire, toMaster(100, Reason{CauseMasterDown, "master down timer expired"}), StateMaster, mdi100 + sec},
}

func seq(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestTransitions(t *testing.T) {
	type row struct {
		name    string
		cfg     func() Config
		primary netip.Addr
		steps   []step
	}
	owner := func() Config { c := v2Config(); c.Priority = 255; return c }
	wantMaster := func() Config { c := v2Config(); c.WantMaster = true; return c }
	nopreempt := func() Config { c := v2Config(); c.NoPreempt = true; return c }
	delay10 := func() Config { c := v2Config(); c.PreemptDelay = 10 * sec; return c }
	noAdv := func() Config { c := v2Config(); c.LowerPrioNoAdvert = true; return c }
	higherAdv := func() Config { c := v2Config(); c.HigherPrioSendAdvert = true; return c }
	noGarp2 := func() Config { c := v2Config(); c.Garp.MasterDelay = 0; c.Garp.LowerPrioDelay = 0; return c }
	refresh := func() Config {
		c := v2Config()
		c.Garp.MasterRefresh = 2500 * ms
		c.Garp.RefreshRepeat = 2
		return c
	}
	sync := func() Config { c := v2Config(); c.SyncGroup = true; return c }
	adverts4 := func() Config { c := v3Config(); c.DownTimerAdverts = 4; return c }
	m := mdi100 // shorthand: the instant prio-100 becomes master in masterAt100
	rows := []row{
		{"start backup then master after Master_Down_Interval", v2Config, ours4, masterAt100},
		{"master re-advertises every interval", v2Config, ours4, seq(masterAt100, []step{
			{m + sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 2*sec},
			{m + 2*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 3*sec},
		})},
		{"owner goes master at once", owner, ours4, []step{
			{0, start, ownerStart, StateMaster, sec},
		}},
		{"owner priority never adjusted", owner, ours4, []step{
			{0, start, ownerStart, StateMaster, sec},
			{sec / 2, setPrio(50), nil, StateMaster, sec},
		}},
		{"state MASTER non-owner still waits Master_Down_Interval", wantMaster, ours4, masterAt100},
		{"backup accepts higher priority and re-arms", v2Config, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, recv(peer4, 150), nil, StateBackup, sec + mdi100},
			{2 * sec, recv(peer4, 150), nil, StateBackup, 2*sec + mdi100},
		}},
		{"backup accepts equal priority (no preemption on a tie)", v2Config, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, recv(peer4, 100), nil, StateBackup, sec + mdi100},
		}},
		{"backup discards lower priority and lets the timer run", v2Config, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, recv(peer4, 50), nil, StateBackup, mdi100},
			{mdi100, expire, toMaster(100, Reason{CauseMasterDown, "master down timer expired"}), StateMaster, mdi100 + sec},
		}},
		{"nopreempt backup accepts lower priority", nopreempt, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, recv(peer4, 50), nil, StateBackup, sec + mdi100},
		}},
		{"priority 0 makes backup take over after Skew_Time", v2Config, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, recv(peer4, 150), nil, StateBackup, sec + mdi100},
			{2 * sec, recv(peer4, 0), nil, StateBackup, 2*sec + skw100},
			{2*sec + skw100, expire, toMaster(100, Reason{CausePriorityZero, "priority 0 advert from 192.0.2.2"}), StateMaster, 3*sec + skw100},
		}},
		{"preempt_delay accepts lower priority until it expires", delay10, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, recv(peer4, 50), nil, StateBackup, sec + mdi100},
			{9 * sec, recv(peer4, 50), nil, StateBackup, 9*sec + mdi100},
			{10 * sec, recv(peer4, 50), nil, StateBackup, 9*sec + mdi100},
			{9*sec + mdi100, expire, toMaster(100, Reason{CauseMasterDown, "master down timer expired"}), StateMaster, 10*sec + mdi100},
		}},
		{"preempt_delay cancelled by higher priority, restarted by lower", delay10, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, recv(peer4, 150), nil, StateBackup, sec + mdi100},
			{11 * sec, recv(peer4, 150), nil, StateBackup, 11*sec + mdi100},
			{12 * sec, recv(peer4, 50), nil, StateBackup, 12*sec + mdi100}, // delay restarts: until 22 s
			{21 * sec, recv(peer4, 50), nil, StateBackup, 21*sec + mdi100},
			{22 * sec, recv(peer4, 50), nil, StateBackup, 21*sec + mdi100},
		}},
		{"master yields to higher priority", v2Config, ours4, seq(masterAt100, []step{
			{m + sec/2, recv(peer4, 150), []Action{RemoveVIPs{}, Transition{StateMaster, StateBackup, Reason{CausePreempted, "higher priority 150 from 192.0.2.2"}}},
				StateBackup, m + sec/2 + mdi100},
		})},
		{"higher_prio_send_advert sends before yielding", higherAdv, ours4, seq(masterAt100, []step{
			{m + sec/2, recv(peer4, 150), []Action{SendAdvert{100}, RemoveVIPs{}, Transition{StateMaster, StateBackup, Reason{CausePreempted, "higher priority 150 from 192.0.2.2"}}},
				StateBackup, m + sec/2 + mdi100},
		})},
		{"tie-break: equal priority from higher address wins", v2Config, ours4, seq(masterAt100, []step{
			{m + sec/2, recv(peer4, 100), []Action{RemoveVIPs{}, Transition{StateMaster, StateBackup, Reason{CausePreempted, "equal priority 100 from higher address 192.0.2.2"}}},
				StateBackup, m + sec/2 + mdi100},
		})},
		{"tie-break: equal priority from lower address loses", v2Config, ours4, seq(masterAt100, []step{
			{m + sec/2, recv(low4, 100), []Action{LowerPriorityAdvert{low4, 100}, SendAdvert{100}, Announce{5}}, StateMaster, m + 3*sec/2},
		})},
		{"tie-break compares unsigned (10.x < 192.x)", v2Config, netip.MustParseAddr("10.0.0.1"), seq(masterAt100, []step{
			{m + sec/2, recv(netip.MustParseAddr("192.0.2.9"), 100), []Action{RemoveVIPs{},
				Transition{StateMaster, StateBackup, Reason{CausePreempted, "equal priority 100 from higher address 192.0.2.9"}}}, StateBackup, m + sec/2 + mdi100},
		})},
		{"master answers lower priority at once (RFC 9568), bursts GARP and restarts Adver_Timer", v2Config, ours4, seq(masterAt100, []step{
			{m + sec/2, recv(peer4, 50), []Action{LowerPriorityAdvert{peer4, 50}, SendAdvert{100}, Announce{5}}, StateMaster, m + 3*sec/2},
			{m + 3*sec/2, expire, []Action{SendAdvert{100}}, StateMaster, m + 5*sec/2},
			{m + 5*sec/2, expire, []Action{SendAdvert{100}}, StateMaster, m + 7*sec/2},
			{m + 7*sec/2, expire, []Action{SendAdvert{100}}, StateMaster, m + 9*sec/2},
			{m + 9*sec/2, expire, []Action{SendAdvert{100}}, StateMaster, m + 5*sec},
			{m + 5*sec, expire, []Action{Announce{5}}, StateMaster, m + 11*sec/2},                     // second master burst
			{m + 11*sec/2, expire, []Action{SendAdvert{100}, Announce{5}}, StateMaster, m + 13*sec/2}, // delayed lower-prio burst
		})},
		{"a master of long standing reasserts once the other master is quiet", noGarp2, ours4, seq(masterAt100, []step{
			{m + 4*sec, recv(peer4, 50), []Action{LowerPriorityAdvert{peer4, 50}, SendAdvert{100}, Announce{5}}, StateMaster, m + 5*sec},
			{m + 5*sec, recv(peer4, 50), nil, StateMaster, m + 5*sec},
			{m + 5*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 6*sec},
			{m + 6*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 7*sec},
			{m + 7*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 8*sec},
			{m + 8*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 5*sec + mdi100}, // quiet since m+5s
			{m + 5*sec + mdi100, expire, []Action{Reassert{peer4}}, StateMaster, m + 9*sec},
			{m + 9*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 10*sec},
		})},
		{"a new master does not reassert (preemption: the old master's yield advert)", noGarp2, ours4, seq(masterAt100, []step{
			{m + sec/2, recv(peer4, 50), []Action{LowerPriorityAdvert{peer4, 50}, SendAdvert{100}, Announce{5}}, StateMaster, m + 3*sec/2},
			{m + 3*sec/2, expire, []Action{SendAdvert{100}}, StateMaster, m + 5*sec/2},
			{m + 5*sec/2, expire, []Action{SendAdvert{100}}, StateMaster, m + 7*sec/2},
			{m + 7*sec/2, expire, []Action{SendAdvert{100}}, StateMaster, m + 9*sec/2},
			{m + 9*sec/2, expire, []Action{SendAdvert{100}}, StateMaster, m + 11*sec/2},
		})},
		{"no reassert when the master yields first", noGarp2, ours4, seq(masterAt100, []step{
			{m + 4*sec, recv(peer4, 50), []Action{LowerPriorityAdvert{peer4, 50}, SendAdvert{100}, Announce{5}}, StateMaster, m + 5*sec},
			// The Reassert due at m+4s+Master_Down_Interval is cancelled.
			{m + 4*sec + sec/2, recv(low4, 150), []Action{RemoveVIPs{}, Transition{StateMaster, StateBackup, Reason{CausePreempted, "higher priority 150 from 192.0.2.0"}}},
				StateBackup, m + 4*sec + sec/2 + mdi100},
		})},
		{"a lower-priority flood is answered once per Master_Down_Interval", noGarp2, ours4, seq(masterAt100, []step{
			{m + sec/2, recv(peer4, 50), []Action{LowerPriorityAdvert{peer4, 50}, SendAdvert{100}, Announce{5}}, StateMaster, m + 3*sec/2},
			{m + sec/2 + ms, recv(peer4, 50), nil, StateMaster, m + 3*sec/2},
			{m + 3*sec/2, expire, []Action{SendAdvert{100}}, StateMaster, m + 5*sec/2},
			{m + 5*sec/2, expire, []Action{SendAdvert{100}}, StateMaster, m + 7*sec/2},
			{m + 7*sec/2, expire, []Action{SendAdvert{100}}, StateMaster, m + 9*sec/2},
			{m + sec/2 + mdi100 - ms, recv(low4, 60), nil, StateMaster, m + 9*sec/2},
			{m + sec/2 + mdi100, recv(low4, 60), []Action{LowerPriorityAdvert{low4, 60}, SendAdvert{100}, Announce{5}}, StateMaster, m + 3*sec/2 + mdi100},
		})},
		{"lower_prio_no_advert keeps RFC 5798 silence", noAdv, ours4, seq(masterAt100, []step{
			{m + sec/2, recv(peer4, 50), []Action{LowerPriorityAdvert{peer4, 50}, Announce{5}}, StateMaster, m + sec},
		})},
		{"master answers priority 0 and resets Adver_Timer", v2Config, ours4, seq(masterAt100, []step{
			{m + sec/2, recv(peer4, 0), []Action{SendAdvert{100}}, StateMaster, m + sec/2 + sec},
		})},
		{"GARP second burst after master delay, none when delay is 0", noGarp2, ours4, seq(masterAt100, []step{
			{m + sec/2, recv(peer4, 50), []Action{LowerPriorityAdvert{peer4, 50}, SendAdvert{100}, Announce{5}}, StateMaster, m + 3*sec/2},
			{m + 5*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 6*sec},
		})},
		{"GARP refresh while master", refresh, ours4, seq(masterAt100, []step{
			{m + sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 2*sec},
			{m + 2*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 2500*ms},
			{m + 2500*ms, expire, []Action{Announce{2}}, StateMaster, m + 3*sec},
			// A late Expire fires each due timer once and re-arms it from now.
			{m + 5*sec, expire, []Action{SendAdvert{100}, Announce{5}, Announce{2}}, StateMaster, m + 6*sec},
			{m + 7500*ms, expire, []Action{SendAdvert{100}, Announce{2}}, StateMaster, m + 8500*ms},
		})},
		{"backup entering FAULT and leaving it", v2Config, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, fault(true), []Action{Transition{StateBackup, StateFault, Reason{CauseFault, "link"}}}, StateFault, noDeadline},
			{2 * sec, recv(peer4, 50), nil, StateFault, noDeadline},
			{3 * sec, forceMaster, nil, StateFault, noDeadline},
			{4 * sec, fault(true), nil, StateFault, noDeadline},
			{5 * sec, fault(false), []Action{Transition{StateFault, StateBackup, Reason{CauseFault, "link"}}}, StateBackup, 5*sec + mdi100},
		}},
		{"master entering FAULT sends priority 0", v2Config, ours4, seq(masterAt100, []step{
			{m + sec/2, fault(true), []Action{SendAdvert{0}, RemoveVIPs{}, Transition{StateMaster, StateFault, Reason{CauseFault, "link"}}}, StateFault, noDeadline},
		})},
		{"fault before start", v2Config, ours4, []step{
			{0, fault(true), nil, StateInit, noDeadline},
			{sec, start, []Action{Transition{StateInit, StateFault, Reason{CauseFault, "startup in fault"}}}, StateFault, noDeadline},
			{2 * sec, fault(false), []Action{Transition{StateFault, StateBackup, Reason{CauseFault, "link"}}}, StateBackup, 2*sec + mdi100},
		}},
		{"owner leaving FAULT goes master at once", owner, ours4, []step{
			{0, start, ownerStart, StateMaster, sec},
			{sec / 2, fault(true), []Action{SendAdvert{0}, RemoveVIPs{}, Transition{StateMaster, StateFault, Reason{CauseFault, "link"}}}, StateFault, noDeadline},
			{sec, fault(false), []Action{SendAdvert{255}, AddVIPs{}, Announce{5}, Transition{StateFault, StateMaster, Reason{CauseOwner, "address owner"}}}, StateMaster, 2 * sec},
		}},
		{"stop from master sends priority 0 and removes VIPs", v2Config, ours4, seq(masterAt100, []step{
			{m + sec/2, stop, []Action{SendAdvert{0}, RemoveVIPs{}, Transition{StateMaster, StateStopped, Reason{CauseShutdown, "shutdown"}}}, StateStopped, noDeadline},
			{m + sec, recv(peer4, 150), nil, StateStopped, noDeadline},
			{m + 2*sec, stop, nil, StateStopped, noDeadline},
			{m + 3*sec, start, nil, StateStopped, noDeadline},
		})},
		{"stop from backup", v2Config, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, stop, []Action{Transition{StateBackup, StateStopped, Reason{CauseShutdown, "shutdown"}}}, StateStopped, noDeadline},
		}},
		{"ForceMaster and ForceBackup", v2Config, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, forceMaster, toMaster(100, Reason{CauseSyncGroup, "sync group"}), StateMaster, 2 * sec},
			{sec + sec/2, forceMaster, nil, StateMaster, 2 * sec},
			{2*sec + sec/2, forceBackup, []Action{RemoveVIPs{}, Transition{StateMaster, StateBackup, Reason{CauseSyncGroup, "sync group"}}}, StateBackup, 2*sec + sec/2 + mdi100},
			{3 * sec, forceBackup, nil, StateBackup, 2*sec + sec/2 + mdi100},
		}},
		{"sync group member requests instead of taking mastership", sync, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{mdi100, expire, []Action{RequestMaster{Reason{CauseMasterDown, "master down timer expired"}}}, StateBackup, 2 * mdi100},
			{mdi100 + sec, forceMaster, toMaster(100, Reason{CauseSyncGroup, "sync group"}), StateMaster, mdi100 + 2*sec},
		}},
		{"SetPriority rescales a running down timer", v2Config, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, setPrio(200), []Action{PriorityChange{100, 200, "tracker"}}, StateBackup, 3*sec + 218750*us}, // skew 56/256 s
			{2 * sec, setPrio(200), nil, StateBackup, 3*sec + 218750*us},
			{2 * sec, setPrio(0), []Action{PriorityChange{200, 1, "tracker"}}, StateBackup, 3*sec + 996093750}, // clamped to 1: skew 255/256 s
			{2 * sec, setPrio(255), []Action{PriorityChange{1, 254, "tracker"}}, StateBackup, 3*sec + 7812500}, // clamped to 254: skew 2/256 s
		}},
		{"SetPriority rescales the skew-only timer after priority 0", v2Config, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, recv(peer4, 0), nil, StateBackup, sec + skw100},
			{sec, setPrio(200), []Action{PriorityChange{100, 200, "tracker"}}, StateBackup, sec + 218750*us},
		}},
		{"SetPriority never moves the down timer into the past", v2Config, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, recv(peer4, 0), nil, StateBackup, sec + skw100},
			{1500 * ms, setPrio(250), []Action{PriorityChange{100, 250, "tracker"}}, StateBackup, 1500 * ms}, // 1 s + 6/256 s is past
			{1500 * ms, expire, toMaster(250, Reason{CausePriorityZero, "priority 0 advert from 192.0.2.2"}), StateMaster, 2500 * ms},
		}},
		{"master's lowered priority goes in its adverts", v2Config, ours4, seq(masterAt100, []step{
			{m + sec/2, setPrio(90), []Action{PriorityChange{100, 90, "tracker"}}, StateMaster, m + sec},
			{m + sec, expire, []Action{SendAdvert{90}}, StateMaster, m + 2*sec},
		})},
		{"v3 learns Master_Adver_Interval and recomputes skew", v3Config, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, recv(peer4, 150, withInterval(200)), nil, StateBackup, sec + 6*sec + 1218750*us}, // 3×2 s + 156×2/256 s
			{2 * sec, recv(peer4, 0, withInterval(200)), nil, StateBackup, 2*sec + 1218750*us},
			{2*sec + 1218750*us, expire, toMaster(100, Reason{CausePriorityZero, "priority 0 advert from 192.0.2.2"}), StateMaster, 3*sec + 1218750*us}, // own 1 s interval again
		}},
		{"v3 master adopts the new master's interval on yielding", v3Config, ours4, seq(masterAt100, []step{
			{m + sec/2, recv(peer4, 150, withInterval(50)), []Action{RemoveVIPs{}, Transition{StateMaster, StateBackup, Reason{CausePreempted, "higher priority 150 from 192.0.2.2"}}},
				StateBackup, m + sec/2 + 1500*ms + 304687500}, // 3×0.5 s + 156×0.5/256 s
		})},
		{"v3 leaving FAULT re-arms from its own interval", v3Config, ours4, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, recv(peer4, 150, withInterval(200)), nil, StateBackup, 7*sec + 1218750*us},
			{2 * sec, fault(true), []Action{Transition{StateBackup, StateFault, Reason{CauseFault, "link"}}}, StateFault, noDeadline},
			{3 * sec, fault(false), []Action{Transition{StateFault, StateBackup, Reason{CauseFault, "link"}}}, StateBackup, 3*sec + mdi100},
		}},
		{"down_timer_adverts 4", adverts4, ours4, []step{
			{0, start, startBackup, StateBackup, 4*sec + skw100},
		}},
		{"v3 IPv6 election", v6Config, ll6, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, recv(peer6, 100), nil, StateBackup, sec + mdi100},
			{sec + mdi100, expire, toMaster(100, Reason{CauseMasterDown, "master down timer expired"}), StateMaster, 2*sec + mdi100},
			{2*sec + mdi100, recv(peer6, 100), []Action{RemoveVIPs{}, Transition{StateMaster, StateBackup, Reason{CausePreempted, "equal priority 100 from higher address fe80::b"}}},
				StateBackup, 2*sec + 2*mdi100},
		}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			m, err := New(r.cfg(), r.primary)
			if err != nil {
				t.Fatal(err)
			}
			runSteps(t, m, r.steps)
		})
	}
}

// runSteps feeds m the events of steps in turn and checks after each the
// actions, the state and the next deadline.
func runSteps(t *testing.T, m *Machine, steps []step) {
	t.Helper()
	for i, s := range steps {
		now := t0.Add(s.at)
		got := s.event(t, m, now)
		if !reflect.DeepEqual(got, s.want) {
			t.Fatalf("step %d at %v: actions\n got %v\nwant %v", i, s.at, got, s.want)
		}
		if m.State() != s.state {
			t.Fatalf("step %d at %v: state %v, want %v", i, s.at, m.State(), s.state)
		}
		next := m.NextDeadline()
		switch {
		case s.next == noDeadline && !next.IsZero():
			t.Fatalf("step %d at %v: deadline %v, want none", i, s.at, next.Sub(t0))
		case s.next != noDeadline && !next.Equal(t0.Add(s.next)):
			t.Fatalf("step %d at %v: deadline %v, want %v", i, s.at, next.Sub(t0), s.next)
		}
	}
}

func BenchmarkMachineReceiveBackup(b *testing.B) {
	m, err := New(v2Config(), ours4)
	if err != nil {
		b.Fatal(err)
	}
	m.Start(t0)
	rx := advertFor(b, m.Config(), peer4, 150)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(sec)
		if acts := m.Receive(now, rx); acts != nil {
			b.Fatal(acts)
		}
	}
}
