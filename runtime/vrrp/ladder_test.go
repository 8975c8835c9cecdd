package vrrp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestInstanceLadder drives every instance-level rung with a passing and a
// failing advert and checks the verdict, the Discard action and the counter.
func TestInstanceLadder(t *testing.T) {
	unicast := func(peers ...Peer) func() Config {
		return func() Config { c := v2Config(); c.Peers = peers; return c }
	}
	checked := func() Config { c := unicast(Peer{Addr: peer4})(); c.CheckUnicastSrc = true; return c }
	strict6 := func() Config { c := v6Config(); c.Strict = true; return c }
	pass := func() Config { c := v2Config(); c.AuthType = AuthPass; c.AuthPass = "secretpassword"; return c }
	other4 := netip.MustParseAddr("192.0.2.77")
	tests := []struct {
		name    string
		cfg     func() Config
		primary netip.Addr
		rx      func(t *testing.T, cfg Config) *Received
		want    DropReason
	}{
		{"multicast TTL 255", v2Config, ours4, adv(peer4), DropNone},
		{"multicast TTL 254", v2Config, ours4, adv(peer4, withTTL(254)), DropTTL},
		{"unicast any TTL without limits", unicast(Peer{Addr: peer4}), ours4, adv(peer4, withDst(ours4), withTTL(1)), DropNone},
		{"unicast TTL at min_ttl", unicast(Peer{Addr: peer4, MinTTL: 64}), ours4, adv(peer4, withDst(ours4), withTTL(64)), DropNone},
		{"unicast TTL below min_ttl", unicast(Peer{Addr: peer4, MinTTL: 64}), ours4, adv(peer4, withDst(ours4), withTTL(63)), DropTTL},
		{"unicast TTL above max_ttl", unicast(Peer{Addr: peer4, MaxTTL: 100}), ours4, adv(peer4, withDst(ours4), withTTL(101)), DropTTL},
		{"family mismatch", v2Config, ours4, func(t *testing.T, _ Config) *Received {
			return advertFor(t, v6Config(), peer6, 100)
		}, DropFamily},
		{"version mismatch", v2Config, ours4, adv(peer4, withVersion(3)), DropVersionMismatch},
		{"VRID mismatch", v2Config, ours4, adv(peer4, withVRID(52)), DropVRID},
		{"auth type mismatch", v2Config, ours4, adv(peer4, withAuth(AuthPass, "x")), DropAuthType},
		{"auth type unknown to VRRP", pass, ours4, adv(peer4, withAuth(AuthType(3), "")), DropAuthInvalid},
		{"PASS matches (truncated to 8 bytes)", pass, ours4, adv(peer4, withAuth(AuthPass, "secretpa")), DropNone},
		{"PASS mismatch", pass, ours4, adv(peer4, withAuth(AuthPass, "secretpb")), DropAuthPass},
		{"v2 interval mismatch", v2Config, ours4, adv(peer4, withInterval(2)), DropIntervalMismatch},
		{"v3 interval mismatch accepted", v3Config, ours4, adv(peer4, withInterval(200)), DropNone},
		{"unicast destination in multicast mode", v2Config, ours4, adv(peer4, withDst(ours4)), DropDestination},
		{"multicast destination in unicast mode", unicast(Peer{Addr: peer4}), ours4, adv(peer4), DropDestination},
		{"unknown unicast source accepted without check", unicast(Peer{Addr: peer4}), ours4, adv(other4, withDst(ours4)), DropNone},
		{"unknown unicast source with check_unicast_src", checked, ours4, adv(other4, withDst(ours4)), DropUnknownPeer},
		{"known unicast source with check_unicast_src", checked, ours4, adv(peer4, withDst(ours4)), DropNone},
		{"min_ttl implies the source check", unicast(Peer{Addr: peer4, MinTTL: 1}), ours4, adv(other4, withDst(ours4)), DropUnknownPeer},
		{"our own address", v2Config, ours4, adv(ours4), DropOwnAddress},
		{"address list mismatch", v2Config, ours4, adv(peer4, withAddrs(netip.MustParseAddr("192.0.2.101"))), DropAddrList},
		{"IPv6 without a link-local first address (keepalived 2.2.7)", v6Config, ll6, adv(peer6, withAddrs(vipV6, vipLL)), DropNone},
		{"strict: IPv6 first address not link-local", strict6, ll6, adv(peer6, withAddrs(vipV6, vipLL)), DropNotLinkLocal},
		{"strict: IPv6 link-local first", strict6, ll6, adv(peer6), DropNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.cfg(), tt.primary)
			if err != nil {
				t.Fatal(err)
			}
			m.Start(t0)
			rx := tt.rx(t, m.Config())
			acts := m.Receive(t0.Add(time.Second), rx)
			c := m.Counters()
			if tt.want == DropNone {
				if c.Accepted != 1 || len(acts) > 0 && isDiscard(acts[0]) {
					t.Fatalf("advert not accepted: %v, counters %+v", acts, c)
				}
				if c.Checksums[rx.Checksum] != 1 {
					t.Fatalf("checksum form not counted: %+v", c)
				}
				return
			}
			if len(acts) != 1 {
				t.Fatalf("actions %v, want one Discard", acts)
			}
			d, ok := acts[0].(Discard)
			if !ok || d.Reason != tt.want || d.Source != rx.Src || d.Detail == "" {
				t.Fatalf("action %#v, want Discard %v from %v", acts[0], tt.want, rx.Src)
			}
			if c.Dropped(tt.want) != 1 || c.Accepted != 0 {
				t.Fatalf("counters %+v, want one %v drop", c, tt.want)
			}
			if m.State() != StateBackup || !m.NextDeadline().Equal(t0.Add(mdi100)) {
				t.Fatalf("dropped advert changed the machine: %v, deadline %v", m.State(), m.NextDeadline())
			}
		})
	}
}

func adv(src netip.Addr, opts ...advOpt) func(*testing.T, Config) *Received {
	return func(t *testing.T, cfg Config) *Received { return advertFor(t, cfg, src, 100, opts...) }
}

func isDiscard(a Action) bool { _, ok := a.(Discard); return ok }

func TestAddrListMismatchDropped(t *testing.T) {
	other := netip.MustParseAddr("192.0.2.101")
	skip := func() Config { c := v2Config(); c.SkipCheckAdvAddr = true; return c }
	tests := []struct {
		name   string
		cfg    func() Config
		master bool       // make the machine MASTER first
		follow netip.Addr // a matching advert from this source first (the master the backup follows)
		src    netip.Addr
		addrs  []netip.Addr
		drop   bool
	}{
		{"foreign address", v2Config, false, netip.Addr{}, peer4, []netip.Addr{other}, true},
		{"one address too many", v2Config, false, netip.Addr{}, peer4, []netip.Addr{vipV4, other}, true},
		{"no address", v2Config, false, netip.Addr{}, peer4, nil, true},
		{"same list, other order of one", v2Config, false, netip.Addr{}, peer4, []netip.Addr{vipV4}, false},
		{"master drops a foreign list", v2Config, true, netip.Addr{}, peer4, []netip.Addr{other}, true},
		{"skip_check_adv_addr: from the followed master", skip, false, peer4, peer4, []netip.Addr{other}, false},
		{"skip_check_adv_addr: from another router", skip, false, peer4, low4, []netip.Addr{other}, true},
		{"skip_check_adv_addr: before following anyone", skip, false, netip.Addr{}, peer4, []netip.Addr{other}, true},
		{"skip_check_adv_addr: a master still checks", skip, true, netip.Addr{}, peer4, []netip.Addr{other}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.cfg(), ours4)
			if err != nil {
				t.Fatal(err)
			}
			m.Start(t0)
			now := t0
			if tt.master {
				now = t0.Add(mdi100)
				m.Expire(now)
			}
			if tt.follow.IsValid() {
				now = now.Add(time.Second)
				m.Receive(now, advertFor(t, m.Config(), tt.follow, 150))
			}
			state, deadline, before := m.State(), m.NextDeadline(), m.Counters()
			now = now.Add(time.Second)
			acts := m.Receive(now, advertFor(t, m.Config(), tt.src, 150, withAddrs(tt.addrs...)))
			got := m.Counters()
			if !tt.drop {
				if got.Accepted != before.Accepted+1 || got.Dropped(DropAddrList) != before.Dropped(DropAddrList) {
					t.Fatalf("not accepted: actions %v, counters %+v", acts, got)
				}
				return
			}
			if len(acts) != 1 {
				t.Fatalf("actions %v, want one Discard", acts)
			}
			if d, ok := acts[0].(Discard); !ok || d.Reason != DropAddrList || d.Source != tt.src || d.Detail == "" {
				t.Fatalf("action %#v, want Discard of %v for an address list mismatch", acts[0], tt.src)
			}
			if got.Dropped(DropAddrList) != before.Dropped(DropAddrList)+1 || got.Accepted != before.Accepted {
				t.Fatalf("counters %+v, before %+v", got, before)
			}
			if m.State() != state || !m.NextDeadline().Equal(deadline) {
				t.Fatalf("a dropped advert changed the machine: %v until %v, was %v until %v", m.State(), m.NextDeadline(), state, deadline)
			}
		})
	}
}

func TestNewValidation(t *testing.T) {
	mod := func(f func(*Config)) Config { c := v2Config(); f(&c); return c }
	tests := []struct {
		name    string
		cfg     Config
		primary netip.Addr
		wantErr string
	}{
		{"valid v2", v2Config(), ours4, ""},
		{"valid v3 IPv6", v6Config(), ll6, ""},
		{"invalid primary", v2Config(), netip.Addr{}, "primary"},
		{"VRID 0", mod(func(c *Config) { c.VRID = 0 }), ours4, "VRID"},
		{"version 4", mod(func(c *Config) { c.Version = 4 }), ours4, "version"},
		{"v2 over IPv6", mod(func(c *Config) { c.Addrs = []netip.Addr{vipLL} }), ll6, "IPv4 only"},
		{"priority 0", mod(func(c *Config) { c.Priority = 0 }), ours4, "priority"},
		{"v2 fractional interval", mod(func(c *Config) { c.AdvertInterval = 1500 * ms }), ours4, "whole seconds"},
		{"v2 interval 256 s", mod(func(c *Config) { c.AdvertInterval = 256 * sec }), ours4, "whole seconds"},
		{"v3 interval 5 ms", mod(func(c *Config) { c.Version = 3; c.AdvertInterval = 5 * ms }), ours4, "multiple of 10ms"},
		{"v3 interval 41 s", mod(func(c *Config) { c.Version = 3; c.AdvertInterval = 41 * sec }), ours4, "multiple of 10ms"},
		{"v3 interval 40.95 s", mod(func(c *Config) { c.Version = 3; c.AdvertInterval = 40950 * ms }), ours4, ""},
		{"down_timer_adverts 101", mod(func(c *Config) { c.DownTimerAdverts = 101 }), ours4, "down_timer_adverts"},
		{"VIP of other family", mod(func(c *Config) { c.Addrs = []netip.Addr{vipV6} }), ours4, "family"},
		{"peer of other family", mod(func(c *Config) { c.Peers = []Peer{{Addr: peer6}} }), ours4, "family"},
		{"peer min above max", mod(func(c *Config) { c.Peers = []Peer{{Addr: peer4, MinTTL: 9, MaxTTL: 8}} }), ours4, "min_ttl"},
		{"PASS with v3", mod(func(c *Config) { c.Version = 3; c.AuthType = AuthPass }), ours4, "VRRPv2 only"},
		{"AH", mod(func(c *Config) { c.AuthType = AuthAH; c.AuthPass = "pw" }), ours4, ""},
		{"AH with v3", mod(func(c *Config) { c.Version = 3; c.AuthType = AuthAH }), ours4, "VRRPv2 only"},
		{"legacy checksum on multicast", mod(func(c *Config) { c.Checksum = ChecksumLegacyUnicast }), ours4, "checksum"},
		{"legacy checksum with unicast peers", mod(func(c *Config) { c.Checksum = ChecksumLegacyUnicast; c.Peers = []Peer{{Addr: peer4}} }), ours4, ""},
		{"unknown checksum form", mod(func(c *Config) { c.Checksum = ChecksumForm(9) }), ours4, "checksum"},
		{"negative GARP delay", mod(func(c *Config) { c.Garp.MasterDelay = -1 }), ours4, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, tt.primary)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "VI_51") {
				t.Fatalf("error %v, want ErrConfig mentioning %q and the instance", err, tt.wantErr)
			}
		})
	}
}

func TestNewNormalises(t *testing.T) {
	c := v2Config()
	c.WantMaster, c.NoPreempt, c.PreemptDelay = true, true, time.Second
	c.Peers = []Peer{{Addr: peer4, MaxTTL: 255}}
	m, err := New(c, ours4)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Config()
	if got.NoPreempt || got.PreemptDelay != 0 || got.DownTimerAdverts != DefaultDownTimerAdverts || !got.CheckUnicastSrc {
		t.Fatalf("normalised config %+v", got)
	}
	c.Addrs[0] = netip.MustParseAddr("192.0.2.200")
	if m.Config().Addrs[0] != vipV4 {
		t.Fatal("New kept the caller's address slice")
	}
}

func TestAppendAdvert(t *testing.T) {
	tests := []struct {
		name     string
		cfg      func() Config
		primary  netip.Addr
		wantDsts []netip.Addr
		form     ChecksumForm
	}{
		{"v2 PASS multicast", func() Config { c := v2Config(); c.AuthType = AuthPass; c.AuthPass = "pw"; return c }, ours4, []netip.Addr{GroupIPv4}, ChecksumRFC9568},
		{"v3 IPv4 pseudo-header", v3Config, ours4, []netip.Addr{GroupIPv4}, ChecksumRFC5798},
		{"v3 IPv4 v3_checksum_as_v2", func() Config { c := v3Config(); c.Checksum = ChecksumRFC9568; return c }, ours4, []netip.Addr{GroupIPv4}, ChecksumRFC9568},
		{"v3 IPv4 unicast", func() Config {
			c := v3Config()
			c.Peers = []Peer{{Addr: peer4}, {Addr: low4}}
			return c
		}, ours4, []netip.Addr{peer4, low4}, ChecksumRFC5798},
		{"v3 IPv6", v6Config, ll6, []netip.Addr{GroupIPv6}, ChecksumRFC5798},
		{"v3 IPv4 unicast old_unicast_checksum", func() Config {
			c := v3Config()
			c.Peers = []Peer{{Addr: peer4}}
			c.Checksum = ChecksumLegacyUnicast
			return c
		}, ours4, []netip.Addr{peer4}, ChecksumLegacyUnicast},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.cfg(), tt.primary)
			if err != nil {
				t.Fatal(err)
			}
			dsts := m.Destinations()
			if len(dsts) != len(tt.wantDsts) {
				t.Fatalf("destinations %v, want %v", dsts, tt.wantDsts)
			}
			for i, dst := range dsts {
				if dst != tt.wantDsts[i] {
					t.Fatalf("destinations %v, want %v", dsts, tt.wantDsts)
				}
				b, err := m.AppendAdvert(nil, 77, dst)
				if err != nil {
					t.Fatal(err)
				}
				var rx Received
				if r := Parse(&rx, b, tt.primary, dst, TTL); r != DropNone {
					t.Fatalf("own advert rejected: %v", r)
				}
				if rx.Checksum != tt.form || rx.Priority != 77 || rx.VRID != 51 {
					t.Fatalf("advert %+v, want checksum form %v", rx, tt.form)
				}
				// A peer configured like us accepts it.
				peerPrimary := peer4
				if tt.primary.Is6() {
					peerPrimary = peer6
				}
				cfg := tt.cfg()
				if len(cfg.Peers) > 0 {
					cfg.Peers = []Peer{{Addr: tt.primary}}
				}
				peer, err := New(cfg, peerPrimary)
				if err != nil {
					t.Fatal(err)
				}
				peer.Start(t0)
				if acts := peer.Receive(t0, &rx); len(acts) != 0 || peer.Counters().Accepted != 1 {
					t.Fatalf("peer rejected our advert: %v", acts)
				}
			}
		})
	}
}

func TestAppendAdvertError(t *testing.T) {
	m, err := New(v2Config(), ours4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.AppendAdvert(nil, 100, GroupIPv6); !errors.Is(err, ErrFamily) || !strings.Contains(err.Error(), "VI_51") {
		t.Fatalf("error %v", err)
	}
}

func TestStringers(t *testing.T) {
	acts := []Action{SendAdvert{1}, AddVIPs{}, RemoveVIPs{}, Announce{2}, Transition{StateBackup, StateMaster, Reason{CauseFault, "r"}},
		RequestMaster{Reason{CauseFault, "r"}}, PriorityChange{1, 2, "r"}, LowerPriorityAdvert{peer4, 3}, Reassert{peer4},
		Discard{DropTTL, peer4, "d"}}
	seen := map[string]bool{}
	for _, a := range acts {
		s := a.String()
		if s == "" || seen[s] {
			t.Errorf("%#v: string %q empty or duplicated", a, s)
		}
		seen[s] = true
	}
	for s, want := range map[State]string{StateInit: "INIT", StateBackup: "BACKUP", StateMaster: "MASTER", StateFault: "FAULT", StateStopped: "STOP", State(9): "state-9"} {
		if s.String() != want {
			t.Errorf("%d: %q, want %q", int(s), s.String(), want)
		}
	}
	for f, want := range map[ChecksumForm]string{ChecksumRFC5798: "rfc5798-pseudo-header", ChecksumRFC9568: "rfc9568-message-only",
		ChecksumLegacyUnicast: "legacy-unicast-pseudo-header", ChecksumForm(7): "checksum-form-7"} {
		if f.String() != want {
			t.Errorf("%d: %q, want %q", f, f.String(), want)
		}
	}
	for a, want := range map[AuthType]string{AuthNone: "none", AuthPass: "PASS", AuthAH: "AH", AuthType(5): "auth-type-5"} {
		if a.String() != want {
			t.Errorf("%d: %q, want %q", a, a.String(), want)
		}
	}
}

func TestSkewAndDownInterval(t *testing.T) {
	tests := []struct {
		name      string
		version   uint8
		prio      uint8
		interval  time.Duration
		skew, mdi time.Duration
	}{
		{"v2 prio 100", 2, 100, sec, 609375 * us, 3609375 * us},
		{"v2 prio 100 interval 2 s: skew not scaled", 2, 100, 2 * sec, 609375 * us, 6609375 * us},
		{"v3 prio 100", 3, 100, sec, 609375 * us, 3609375 * us},
		{"v3 prio 200 (FRR doc example, exact)", 3, 200, sec, 218750 * us, 3218750 * us},
		{"v3 prio 255 owner", 3, 255, sec, 3906250, 3003906250},
		{"v3 prio 100 interval 30 ms", 3, 100, 30 * ms, 18281250, 108281250},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := v2Config()
			c.Version, c.Priority, c.AdvertInterval = tt.version, tt.prio, tt.interval
			m, err := New(c, ours4)
			if err != nil {
				t.Fatal(err)
			}
			if m.SkewTime() != tt.skew || m.MasterDownInterval() != tt.mdi {
				t.Fatalf("skew %v mdi %v, want %v %v", m.SkewTime(), m.MasterDownInterval(), tt.skew, tt.mdi)
			}
		})
	}
}

func TestSyncGroupWantsMaster(t *testing.T) {
	c := v2Config()
	c.SyncGroup = true
	m, err := New(c, ours4)
	if err != nil {
		t.Fatal(err)
	}
	m.Start(t0)
	if m.WantsMaster() {
		t.Fatal("wants master right after start")
	}
	m.Expire(t0.Add(mdi100))
	if !m.WantsMaster() || m.State() != StateBackup {
		t.Fatal("expired member does not want master")
	}
	m.Receive(t0.Add(4*time.Second), advertFor(t, m.Config(), peer4, 150))
	if m.WantsMaster() {
		t.Fatal("a live master's advert did not withdraw the request")
	}
	m.Expire(t0.Add(4*time.Second + mdi100))
	if !m.WantsMaster() {
		t.Fatal("no request after the second expiry")
	}
	m.ForceBackup(t0.Add(8*time.Second), "group backup")
	if m.WantsMaster() {
		t.Fatal("ForceBackup did not withdraw the request")
	}
	m.ForceMaster(t0.Add(9*time.Second), "group master")
	if !m.WantsMaster() || m.State() != StateMaster || m.MasterAddr() != ours4 {
		t.Fatal("forced master does not report mastership")
	}
}

func TestOwnerSyncGroupRequests(t *testing.T) {
	c := v2Config()
	c.Priority, c.SyncGroup = 255, true
	m, err := New(c, ours4)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Start(t0)
	want := []Action{Transition{StateInit, StateBackup, Reason{CauseStartup, "startup"}}, RequestMaster{Reason{CauseOwner, "address owner"}}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] || !m.WantsMaster() {
		t.Fatalf("owner in a sync group: %v", got)
	}
}

func TestAccessors(t *testing.T) {
	m, err := New(v3Config(), ours4)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "VI_51" || m.Priority() != 100 || m.Primary() != ours4 || m.State() != StateInit {
		t.Fatalf("accessors: %q %d %v %v", m.Name(), m.Priority(), m.Primary(), m.State())
	}
	m.Start(t0)
	m.Receive(t0.Add(sec), advertFor(t, m.Config(), peer4, 150, withInterval(250)))
	if m.MasterAdverInterval() != 2500*ms || m.MasterAddr() != peer4 || m.MasterPriority() != 150 {
		t.Fatalf("learned %v from %v/%d", m.MasterAdverInterval(), m.MasterAddr(), m.MasterPriority())
	}
}

func TestAdvertInterval(t *testing.T) {
	for _, tt := range []struct {
		a    Advert
		want time.Duration
	}{
		{Advert{Version: 2, AdverInt: 3}, 3 * sec},
		{Advert{Version: 3, AdverInt: 3}, 30 * ms},
		{Advert{Version: 3, AdverInt: 4095}, 40950 * ms},
	} {
		if got := tt.a.Interval(); got != tt.want {
			t.Errorf("v%d %d: %v, want %v", tt.a.Version, tt.a.AdverInt, got, tt.want)
		}
	}
}

func TestSetPrimary(t *testing.T) {
	m, err := New(v2Config(), ours4)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []netip.Addr{{}, ll6, netip.AddrFrom16(peer4.As16())} {
		if err := m.SetPrimary(bad); !errors.Is(err, ErrConfig) {
			t.Fatalf("SetPrimary(%v) = %v, want ErrConfig", bad, err)
		}
	}
	m.Start(t0)
	m.Expire(t0.Add(mdi100))
	moved := netip.MustParseAddr("192.0.2.3")
	if err := m.SetPrimary(moved); err != nil {
		t.Fatal(err)
	}
	if m.Primary() != moved || m.MasterAddr() != moved {
		t.Fatalf("primary %v master %v", m.Primary(), m.MasterAddr())
	}
	b, err := m.AppendAdvert(nil, 100, GroupIPv4)
	if err != nil {
		t.Fatal(err)
	}
	var rx Received
	if r := Parse(&rx, b, moved, GroupIPv4, TTL); r != DropNone {
		t.Fatalf("advert from the new primary: %v", r)
	}
	// The tie-break now uses the new address: 192.0.2.2 is lower than .3.
	if acts := m.Receive(t0.Add(4*sec), advertFor(t, m.Config(), peer4, 100)); m.State() != StateMaster || len(acts) == 0 {
		t.Fatalf("tie-break against the new primary: %v, %v", m.State(), acts)
	}
}
