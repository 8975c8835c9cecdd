package vrrp

import (
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"
)

func reconf(change func(*Config)) func(*testing.T, *Machine, time.Time) []Action {
	return func(t *testing.T, m *Machine, now time.Time) []Action {
		c := m.Config()
		c.Addrs = slices.Clone(c.Addrs)
		change(&c)
		acts, err := m.Reconfigure(now, c)
		if err != nil {
			t.Fatal(err)
		}
		return acts
	}
}

func TestReconfigure(t *testing.T) {
	m := mdi100
	owner := func() Config { c := v2Config(); c.Priority = 255; return c }
	sync := func() Config { c := v2Config(); c.SyncGroup = true; return c }
	changed := func(p uint8) Action { return PriorityChange{100, p, ReasonReconfigured} }
	rows := []struct {
		name  string
		cfg   func() Config
		steps []step
	}{
		{"backup: a new priority moves the down timer by the skew change", v2Config, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, reconf(func(c *Config) { c.Priority = 200 }), []Action{changed(200)}, StateBackup, 3*sec + 218750*us},
		}},
		{"backup: the trackers' offset is kept", v2Config, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, setPrio(90), []Action{PriorityChange{100, 90, "tracker"}}, StateBackup, 3*sec + 648437500},
			{2 * sec, reconf(func(c *Config) { c.Priority = 120 }), []Action{PriorityChange{90, 110, ReasonReconfigured}}, StateBackup, 3*sec + 570312500},
		}},
		{"backup: becoming the address owner takes mastership at once", v2Config, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, reconf(func(c *Config) { c.Priority = 255 }),
				append([]Action{changed(255)}, toMaster(255, Reason{CauseOwner, "address owner"})...), StateMaster, 2 * sec},
		}},
		{"backup: a longer interval delays the down timer", v2Config, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, reconf(func(c *Config) { c.AdvertInterval = 2 * sec }), nil, StateBackup, mdi100 + 3*sec},
		}},
		{"backup: leaving the sync group while waiting for it takes mastership", sync, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{mdi100, expire, []Action{RequestMaster{Reason{CauseMasterDown, "master down timer expired"}}}, StateBackup, 2 * mdi100},
			{mdi100 + sec/2, reconf(func(c *Config) { c.SyncGroup = false }), toMaster(100, Reason{CauseMasterDown, "master down timer expired"}), StateMaster, mdi100 + sec/2 + sec},
		}},
		{"master: an unchanged config sends nothing", v2Config, seq(masterAt100, []step{
			{m + sec/2, reconf(func(*Config) {}), nil, StateMaster, m + sec},
		})},
		{"master: a new priority is advertised at once", v2Config, seq(masterAt100, []step{
			{m + sec/2, reconf(func(c *Config) { c.Priority = 150 }), []Action{changed(150), SendAdvert{150}}, StateMaster, m + sec/2 + sec},
			{m + sec/2 + sec, expire, []Action{SendAdvert{150}}, StateMaster, m + sec/2 + 2*sec},
		})},
		{"master: a new address list is advertised at once", v2Config, seq(masterAt100, []step{
			{m + sec/2, reconf(func(c *Config) { c.Addrs = append(c.Addrs, netip.MustParseAddr("203.0.113.7")) }),
				[]Action{SendAdvert{100}}, StateMaster, m + sec/2 + sec},
		})},
		{"master: a new interval restarts the advert timer", v3Config, seq(masterAt100, []step{
			{m + sec/2, reconf(func(c *Config) { c.AdvertInterval = 500 * ms }), []Action{SendAdvert{100}}, StateMaster, m + sec},
			{m + sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 1500*ms},
		})},
		{"master: a GARP refresh switched on by a reload", v2Config, seq(masterAt100, []step{
			{m + sec/2, reconf(func(c *Config) { c.Garp.MasterRefresh = 2 * sec }), nil, StateMaster, m + sec},
			{m + sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 2*sec},
			{m + 2*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 2*sec + sec/2},
			{m + 2*sec + sec/2, expire, []Action{Announce{1}}, StateMaster, m + 3*sec},
		})},
		{"master: the second GARP burst switched off by a reload", v2Config, seq(masterAt100, []step{
			{m + sec/2, reconf(func(c *Config) { c.Garp.MasterDelay = 0 }), nil, StateMaster, m + sec},
			{m + sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 2*sec},
			{m + 2*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 3*sec},
			{m + 3*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 4*sec},
			{m + 4*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 5*sec},
			{m + 5*sec, expire, []Action{SendAdvert{100}}, StateMaster, m + 6*sec}, // no Announce{5}
		})},
		{"master: the demoted owner stays MASTER at its new base", owner, []step{
			{0, start, ownerStart, StateMaster, sec},
			{sec / 2, reconf(func(c *Config) { c.Priority = 120 }), []Action{PriorityChange{255, 120, ReasonReconfigured}, SendAdvert{120}}, StateMaster, sec/2 + sec},
		}},
		{"fault: the config is recorded and used on leaving FAULT", v2Config, []step{
			{0, start, startBackup, StateBackup, mdi100},
			{sec, fault(true), []Action{Transition{StateBackup, StateFault, Reason{CauseFault, "link"}}}, StateFault, noDeadline},
			{2 * sec, reconf(func(c *Config) { c.Priority = 200 }), []Action{changed(200)}, StateFault, noDeadline},
			{3 * sec, fault(false), []Action{Transition{StateFault, StateBackup, Reason{CauseFault, "link"}}}, StateBackup, 3*sec + 3*sec + 218750*us},
		}},
		{"init: the config is recorded and used by Start", v2Config, []step{
			{0, reconf(func(c *Config) { c.Priority = 255 }), []Action{changed(255)}, StateInit, noDeadline},
			{sec, start, []Action{SendAdvert{255}, AddVIPs{}, Announce{5}, Transition{StateInit, StateMaster, Reason{CauseOwner, "address owner"}}}, StateMaster, 2 * sec},
		}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			m, err := New(r.cfg(), ours4)
			if err != nil {
				t.Fatal(err)
			}
			runSteps(t, m, r.steps)
		})
	}
}

func TestReconfigureRefusesAndKeeps(t *testing.T) {
	m, err := New(v2Config(), ours4)
	if err != nil {
		t.Fatal(err)
	}
	m.Start(t0)
	before := m.Config()
	for _, tc := range []struct {
		name   string
		change func(*Config)
	}{
		{"priority 0", func(c *Config) { c.Priority = 0 }},
		{"VIP of the other family", func(c *Config) { c.Addrs = []netip.Addr{vipV6} }},
		{"fractional v2 interval", func(c *Config) { c.AdvertInterval = 1500 * ms }},
	} {
		c := v2Config()
		tc.change(&c)
		acts, err := m.Reconfigure(t0.Add(sec), c)
		if !errors.Is(err, ErrConfig) || acts != nil {
			t.Errorf("%s: Reconfigure = %v, %v; want ErrConfig and no actions", tc.name, acts, err)
		}
		if !reflect.DeepEqual(m.Config(), before) || m.NextDeadline() != t0.Add(mdi100) {
			t.Errorf("%s: machine changed: %+v, deadline %v", tc.name, m.Config(), m.NextDeadline())
		}
	}
}

// TestConfigEqual: every field of Config counts. A field added to Config
// without Equal comparing it fails here.
func TestConfigEqual(t *testing.T) {
	base := v2Config()
	base.Peers = []Peer{{Addr: peer4}}
	if !base.Equal(base) {
		t.Fatal("a config differs from itself")
	}
	v := reflect.ValueOf(&base).Elem()
	for i := range v.NumField() {
		changed := base
		changed.Addrs, changed.Peers = slices.Clone(base.Addrs), slices.Clone(base.Peers)
		f := reflect.ValueOf(&changed).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Uint8:
			f.SetUint(f.Uint() + 1)
		case reflect.Int, reflect.Int64:
			f.SetInt(f.Int() + 1)
		case reflect.Slice:
			f.Set(reflect.Append(f, f.Index(0)))
		case reflect.Struct:
			g := f.Field(0)
			g.SetInt(g.Int() + 1)
		default:
			t.Fatalf("field %s: kind %v not covered by this test", v.Type().Field(i).Name, f.Kind())
		}
		if base.Equal(changed) {
			t.Errorf("a change of %s is not seen by Equal", v.Type().Field(i).Name)
		}
	}
}

func TestReasonString(t *testing.T) {
	for _, tc := range []struct {
		r    Reason
		want string
	}{
		{Reason{CausePreempted, "higher priority 150 from 192.0.2.2"}, "higher priority 150 from 192.0.2.2"},
		{Reason{Cause: CauseShutdown}, "shutdown"},
		{Reason{Cause: Cause(99)}, "cause-99"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%#v: %q, want %q", tc.r, got, tc.want)
		}
	}
}
