package engine

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/vrrp"
)

// parse returns the only instance of a config text, failing on diagnostics.
func parse(t *testing.T, text string) (*config.Config, *config.Instance) {
	t.Helper()
	cfg, diags := config.ParseBytes("test.conf", []byte(text), config.Options{ConfigID: "test"})
	if diags.HasErrors() {
		t.Fatalf("config errors: %v", diags.Err())
	}
	if len(cfg.Instances) != 1 {
		t.Fatalf("want one instance, got %d", len(cfg.Instances))
	}
	return cfg, cfg.Instances[0]
}

func TestNewInstanceMapsKeepalivedSettings(t *testing.T) {
	cfg, ci := parse(t, `
global_defs {
  vrrp_garp_master_repeat 3
  vrrp_garp_master_delay 2
  v3_checksum_as_v2
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 42
  version 3
  advert_int 0.25
  nopreempt
  lower_prio_no_advert
  unicast_src_ip 192.0.2.1
  unicast_ttl 64
  unicast_peer {
    192.0.2.2 min_ttl 60 max_ttl 64
  }
  virtual_ipaddress {
    192.0.2.100/24 brd + label eth0:vip
    192.0.2.101 dev eth1 scope link
  }
  virtual_ipaddress_excluded {
    2001:db8::100/64
  }
}`)
	inst, err := newInstance(ci, &cfg.Global)
	if err != nil {
		t.Fatal(err)
	}
	vc := inst.vcfg
	checks := []struct {
		name      string
		got, want any
	}{
		{"VRID", vc.VRID, uint8(42)},
		{"version", vc.Version, uint8(3)},
		{"state MASTER without priority is the owner", vc.Priority, uint8(255)},
		{"advert_int", vc.AdvertInterval, 250 * time.Millisecond},
		{"want master", vc.WantMaster, true},
		{"lower_prio_no_advert", vc.LowerPrioNoAdvert, true},
		{"v3_checksum_as_v2", vc.Checksum, vrrp.ChecksumRFC9568},
		{"garp repeat from global_defs", vc.Garp.MasterRepeat, 3},
		{"garp delay from global_defs", vc.Garp.MasterDelay, 2 * time.Second},
		{"peer", vc.Peers, []vrrp.Peer{{Addr: netip.MustParseAddr("192.0.2.2"), MinTTL: 60, MaxTTL: 64}}},
		{"advertised addresses (excluded ones are not)", vc.Addrs, []netip.Addr{netip.MustParseAddr("192.0.2.100"), netip.MustParseAddr("192.0.2.101")}},
		{"unicast_ttl", inst.ttl, 64},
		{"destinations", inst.destinations(), []netip.Addr{netip.MustParseAddr("192.0.2.2")}},
		{"no multicast group in unicast mode", len(inst.groups()), 0},
		{"devices", inst.devices(), []string{"eth0", "eth1"}},
		{"VIPs installed, excluded included", len(inst.vips), 3},
		{"brd +", inst.vips[0].Broadcast, netip.MustParseAddr("192.0.2.255")},
		{"label", inst.vips[0].Label, "eth0:vip"},
		{"default /32 on the VIP's dev", inst.vips[1].Prefix.String() + " " + inst.vips[1].Dev, "192.0.2.101/32 eth1"},
		{"scope link", inst.vips[1].Scope, netif.ScopeLink},
		{"IPv6 never runs DAD", inst.vips[2].DAD, false},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestNewInstanceMulticastDefaults(t *testing.T) {
	cfg, ci := parse(t, `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    192.0.2.100
  }
}`)
	inst, err := newInstance(ci, &cfg.Global)
	if err != nil {
		t.Fatal(err)
	}
	if got := inst.destinations(); len(got) != 1 || got[0] != vrrp.GroupIPv4 {
		t.Errorf("destinations = %v, want [224.0.0.18]", got)
	}
	if inst.ttl != vrrp.TTL || inst.vcfg.Priority != 100 || inst.vcfg.Version != 2 || inst.vcfg.AdvertInterval != time.Second {
		t.Errorf("defaults: ttl %d priority %d version %d advert %v; want 255 100 2 1s",
			inst.ttl, inst.vcfg.Priority, inst.vcfg.Version, inst.vcfg.AdvertInterval)
	}
	if inst.vcfg.Garp != vrrp.DefaultGarpConfig() {
		t.Errorf("GARP = %+v, want keepalived's defaults %+v", inst.vcfg.Garp, vrrp.DefaultGarpConfig())
	}
}

// TestNewInstanceAH: auth_type AH maps to the machine's AH
// authentication keyed by auth_pass.
func TestNewInstanceAH(t *testing.T) {
	cfg, ci := parse(t, `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  authentication {
    auth_type AH
    auth_pass secret
  }
  virtual_ipaddress {
    192.0.2.100
  }
}`)
	inst, err := newInstance(ci, &cfg.Global)
	if err != nil {
		t.Fatal(err)
	}
	if inst.vcfg.AuthType != vrrp.AuthAH || inst.vcfg.AuthPass != "secret" {
		t.Fatalf("auth %v %q, want AH keyed by the auth_pass", inst.vcfg.AuthType, inst.vcfg.AuthPass)
	}
}

// TestVIPOf checks the address netif installs for virtual_ipaddress
// entries, with keepalived 2.2.7's broadcast, peer and IPv6 lifetime rules.
func TestVIPOf(t *testing.T) {
	zero, hour := uint32(0), uint32(3600)
	for _, tc := range []struct {
		line    string
		prefix  string
		brd     string
		preferd *uint32
	}{
		{"192.0.2.10/24", "192.0.2.10/24", "", nil},
		{"192.0.2.10/24 brd +", "192.0.2.10/24", "192.0.2.255", nil},
		{"192.0.2.10/25 brd -", "192.0.2.10/25", "192.0.2.0", nil},
		{"198.51.100.7/30 brd +", "198.51.100.7/30", "198.51.100.7", nil},
		{"203.0.113.9/16 brd 203.0.113.1", "203.0.113.9/16", "203.0.113.1", nil},
		{"192.0.2.10/24 peer 198.51.100.1", "192.0.2.10/32", "", nil},
		{"2001:db8::10/64", "2001:db8::10/64", "", nil},
		{"2001:db8::10/128", "2001:db8::10/128", "", &zero},
		{"2001:db8::10/128 preferred_lft forever", "2001:db8::10/128", "", nil},
		{"2001:db8::10/64 preferred_lft 3600", "2001:db8::10/64", "", &hour},
		{"2001:db8::10/64 preferred_lft 0", "2001:db8::10/64", "", &zero},
		{"192.0.2.10/24 preferred_lft 0", "192.0.2.10/24", "", nil},
	} {
		cfg := parseConfig(t, vi("VI_1", 51, 100, tc.line))
		v, err := vipOf(cfg.Instances[0].VirtualAddresses[0], "eth0")
		if err != nil {
			t.Fatalf("%s: %v", tc.line, err)
		}
		brd := ""
		if v.Broadcast.IsValid() {
			brd = v.Broadcast.String()
		}
		if v.Prefix.String() != tc.prefix || brd != tc.brd || !equalLifetime(v.PreferredLft, tc.preferd) {
			t.Errorf("%s: prefix %s brd %q preferred %v, want %s %q %v", tc.line, v.Prefix, brd, v.PreferredLft, tc.prefix, tc.brd, tc.preferd)
		}
	}
}

func equalLifetime(a, b *uint32) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func TestFaultReasons(t *testing.T) {
	inst := &instance{faults: map[string]string{}}
	steps := []struct {
		key     string
		fault   bool
		changed bool
		faulted bool
	}{
		{"link eth0", true, true, true},
		{"trackers", true, false, true},
		{"link eth0", false, false, true},
		{"trackers", false, true, false},
		{"trackers", false, false, false},
	}
	for i, s := range steps {
		if changed := inst.setFault(s.key, "why", s.fault); changed != s.changed || inst.faulted() != s.faulted {
			t.Errorf("step %d (%s=%v): changed %v faulted %v, want %v %v", i, s.key, s.fault, changed, inst.faulted(), s.changed, s.faulted)
		}
	}
}
