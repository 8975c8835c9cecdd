package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/havip/havip/config/iproute2"
)

// TestDroppedParts checks that what a warning says is dropped is not in
// the model, and that the rest is.
func TestDroppedParts(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, c *Config)
	}{
		{"undefined script reference", "vrrp_script ok {\nscript /bin/true\n}\n" + inst("track_script {\nmissing\nok\n}"), func(t *testing.T, c *Config) {
			refs := c.Instances[0].Track.Scripts
			if len(refs) != 1 || refs[0].Name != "ok" {
				t.Fatalf("track_script refs %+v, want only ok", refs)
			}
		}},
		{"script without script", "vrrp_script s {\ninterval 2\n}\n" + inst("track_script {\ns\n}"), func(t *testing.T, c *Config) {
			if len(c.Scripts) != 0 || len(c.Instances[0].Track.Scripts) != 0 {
				t.Fatalf("scripts %v, refs %v: want none", c.Scripts, c.Instances[0].Track.Scripts)
			}
		}},
		{"sync group without group", inst("") + "vrrp_sync_group G {\nVI_1\n}\n", func(t *testing.T, c *Config) {
			if len(c.SyncGroups) != 0 || c.Instances[0].SyncGroup != "" {
				t.Fatalf("sync groups %v, instance in %q: want none", c.SyncGroups, c.Instances[0].SyncGroup)
			}
		}},
		{"unknown sync group member", inst("") + strings.Replace(strings.Replace(inst(""), "VI_1", "VI_2", 1), "51", "52", 1) + "vrrp_sync_group G {\ngroup {\nVI_1\nVI_X\nVI_2\n}\n}\n", func(t *testing.T, c *Config) {
			if len(c.SyncGroups) != 1 || strings.Join(c.SyncGroups[0].Members, ",") != "VI_1,VI_2" {
				t.Fatalf("sync groups %+v, want G with VI_1,VI_2", c.SyncGroups)
			}
		}},
		{"bad and mixed-family addresses", inst("virtual_ipaddress {\n192.0.2.300\n2001:db8::1\n192.0.2.11\n}"), func(t *testing.T, c *Config) {
			var got []string
			for _, a := range c.Instances[0].VirtualAddresses {
				got = append(got, formatPrefix(a.Prefix))
			}
			if strings.Join(got, ",") != "192.0.2.10/24,192.0.2.11" {
				t.Fatalf("VIPs %v, want 192.0.2.10/24,192.0.2.11", got)
			}
		}},
		{"bad route and rule", inst("virtual_routes {\n198.51.100.0/24 via 192.0.2.999\n203.0.113.0/24 dev eth0\n}\nvirtual_rules {\nfrom 192.168.100./24 table 1\nfrom 192.0.2.0/24 table 2\n}"), func(t *testing.T, c *Config) {
			in := c.Instances[0]
			if len(in.VirtualRoutes) != 1 || in.VirtualRoutes[0].Dst.String() != "203.0.113.0/24" {
				t.Fatalf("routes %+v, want only 203.0.113.0/24", in.VirtualRoutes)
			}
			if len(in.VirtualRules) != 1 || in.VirtualRules[0].Table.Word != "2" {
				t.Fatalf("rules %+v, want only the table 2 rule", in.VirtualRules)
			}
		}},
		{"bad unicast peer", inst("unicast_peer {\n192.0.2.300\n}"), func(t *testing.T, c *Config) {
			if in := c.Instances[0]; in.Unicast() {
				t.Fatalf("peers %v: want none, the instance multicast", in.UnicastPeers)
			}
		}},
		{"lower-case state", inst("state Master"), func(t *testing.T, c *Config) {
			if in := c.Instances[0]; in.State != StateBackup {
				t.Fatalf("state %s, want BACKUP", in.State)
			}
		}},
		{"priority out of range", inst("priority 120\npriority 0"), func(t *testing.T, c *Config) {
			if in := c.Instances[0]; in.Priority != 100 {
				t.Fatalf("priority %d, want the default 100 keepalived uses", in.Priority)
			}
		}},
		{"interface weight out of range", inst("track_interface {\neth1 weight 300\n}"), func(t *testing.T, c *Config) {
			ti := c.Instances[0].Track.Interfaces
			if len(ti) != 1 || ti[0].Name != "eth1" || ti[0].Weight != 0 {
				t.Fatalf("tracked interfaces %+v, want eth1 without a weight", ti)
			}
		}},
		{"unknown auth_type", inst("authentication {\nauth_type CRYPT\nauth_pass x\n}"), func(t *testing.T, c *Config) {
			if in := c.Instances[0]; in.Auth != nil {
				t.Fatalf("authentication %+v, want none", in.Auth)
			}
		}},
		{"bad scope", inst("virtual_ipaddress {\n192.0.2.3 scope bogus dev eth0\n}"), func(t *testing.T, c *Config) {
			vips := c.Instances[0].VirtualAddresses
			if len(vips) != 2 || vips[1].Scope != "" || vips[1].Dev != "eth0" {
				t.Fatalf("VIPs %+v, want 192.0.2.3 dev eth0 without a scope", vips)
			}
		}},
		{"instance defined twice", inst("") + strings.Replace(strings.Replace(inst(""), "51", "52", 1), "192.0.2.10", "192.0.2.20", 1), func(t *testing.T, c *Config) {
			if len(c.Instances) != 1 || c.Instances[0].VRID != 51 {
				t.Fatalf("instances %+v, want the first VI_1 only", c.Instances)
			}
		}},
		{"owner_ignore_adverts below priority 255", inst("priority 200\nowner_ignore_adverts"), func(t *testing.T, c *Config) {
			if c.Instances[0].OwnerIgnoreAdverts {
				t.Fatal("owner_ignore_adverts kept for priority 200")
			}
		}},
		{"timer_expired_backup without nopreempt", inst("timer_expired_backup 200"), func(t *testing.T, c *Config) {
			if c.Instances[0].TimerExpiredBackup != 0 {
				t.Fatal("timer_expired_backup kept without nopreempt")
			}
		}},
		{"tracked route with another protocol, route without an interface", inst("virtual_routes {\n198.51.100.0/24 dev eth0 protocol static\n203.0.113.0/24 via 192.0.2.254\n}"), func(t *testing.T, c *Config) {
			rs := c.Instances[0].VirtualRoutes
			if len(rs) != 2 || rs[0].NoTrack || !rs[1].NoTrack || rs[1].Protocol != iproute2.ProtocolKeepalived {
				t.Fatalf("routes %+v, want the first tracked, the second not tracked with protocol keepalived", rs)
			}
		}},
		{"IPv6 address with a broadcast", inst("virtual_ipaddress_excluded {\n2001:db8::5/64 brd +\n2001:db8::6/64\n}"), func(t *testing.T, c *Config) {
			if ev := c.Instances[0].ExcludedAddresses; len(ev) != 1 || ev[0].Prefix.String() != "2001:db8::6/64" {
				t.Fatalf("eVIPs %+v, want only 2001:db8::6/64", ev)
			}
		}},
		{"IPv6 address with a scope and a label", inst("virtual_ipaddress_excluded {\n2001:db8::5/64 scope link label x\n}"), func(t *testing.T, c *Config) {
			if ev := c.Instances[0].ExcludedAddresses; len(ev) != 1 || ev[0].Scope != "" || ev[0].Label != "" {
				t.Fatalf("eVIPs %+v, want 2001:db8::5/64 without scope and label", ev)
			}
		}},
		{"peer with a prefix length", inst("virtual_ipaddress {\n192.0.2.4 peer 198.51.100.1/24\n}"), func(t *testing.T, c *Config) {
			if a := c.Instances[0].VirtualAddresses[1]; a.Peer.IsValid() || a.Prefix.Bits() != 32 {
				t.Fatalf("VIP %+v, want 192.0.2.4 without a peer", a)
			}
		}},
		{"peer of the other family", inst("virtual_ipaddress {\n192.0.2.4 peer 2001:db8::1\n}"), func(t *testing.T, c *Config) {
			if a := c.Instances[0].VirtualAddresses[1]; a.Peer.IsValid() {
				t.Fatalf("VIP %+v, want 192.0.2.4 without a peer", a)
			}
		}},
		{"address with a prefix length and a peer", inst("virtual_ipaddress {\n192.0.2.4/24 peer 198.51.100.1\n}"), func(t *testing.T, c *Config) {
			if a := c.Instances[0].VirtualAddresses[1]; a.Prefix.String() != "192.0.2.4/32" || a.Peer.String() != "198.51.100.1/32" {
				t.Fatalf("VIP %+v, want 192.0.2.4/32 peer 198.51.100.1", a)
			}
		}},
		{"broadcast with a peer", inst("virtual_ipaddress {\n192.0.2.4 brd + peer 198.51.100.1\n}"), func(t *testing.T, c *Config) {
			if a := c.Instances[0].VirtualAddresses[1]; a.Broadcast != "" || !a.Peer.IsValid() {
				t.Fatalf("VIP %+v, want the peer without a broadcast", a)
			}
		}},
		{"computed broadcast of a /31", inst("virtual_ipaddress {\n192.0.2.4/31 brd +\n}"), func(t *testing.T, c *Config) {
			if a := c.Instances[0].VirtualAddresses[1]; a.Broadcast != "" {
				t.Fatalf("VIP %+v, want no broadcast", a)
			}
		}},
		{"weighted trackers of a sync group member", "vrrp_script w {\nscript /bin/true\nweight 10\n}\nvrrp_script z {\nscript /bin/true\n}\n" +
			"vrrp_track_file f1 {\nfile /tmp/f1\n}\nvrrp_track_file f5 {\nfile /tmp/f5\nweight 5\n}\nvrrp_track_process p {\nprocess sshd\nweight 7\n}\n" +
			inst("track_interface {\neth1 weight -20\neth2\n}\ntrack_script {\nw\nz\n}\ntrack_file {\nf1\nf5\n}\ntrack_process {\np\n}") +
			strings.Replace(strings.Replace(inst(""), "VI_1", "VI_2", 1), "51", "52", 1) + "vrrp_sync_group G {\ngroup {\nVI_1\nVI_2\n}\n}\n", func(t *testing.T, c *Config) {
			tr := c.Instances[0].Track
			var got []string
			for _, i := range tr.Interfaces {
				got = append(got, fmt.Sprintf("interface %s %d", i.Name, i.Weight))
			}
			for _, r := range tr.Scripts {
				got = append(got, fmt.Sprintf("script %s %d", r.Name, r.Weight))
			}
			for _, r := range tr.Files {
				got = append(got, fmt.Sprintf("file %s %d", r.Name, r.Weight))
			}
			for _, r := range tr.Processes {
				got = append(got, fmt.Sprintf("process %s %d", r.Name, r.Weight))
			}
			want := "interface eth1 -20,interface eth2 0,script z 0,file f1 0,process p 7"
			if strings.Join(got, ",") != want {
				t.Fatalf("trackers %s, want %s", strings.Join(got, ","), want)
			}
		}},
		{"unknown keyword", inst("priorty 120"), func(t *testing.T, c *Config) {
			if in := c.Instances[0]; in.Priority != 100 {
				t.Fatalf("priority %d, want the default 100", in.Priority)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, diags := parse(t, tc.src)
			if diags.HasErrors() {
				t.Fatalf("errors, want only warnings:\n%v", diags.Err())
			}
			if !hasDiag(diags, "as keepalived does") {
				t.Fatalf("no warning says what is dropped:\n%v", diags)
			}
			if len(c.Instances) == 0 {
				t.Fatal("the instance was dropped with the faulty part")
			}
			tc.check(t, c)
		})
	}
}

func TestStrict(t *testing.T) {
	_, diags := parse(t, inst("priorty 120\nadvert_int 1.5"))
	if diags.HasErrors() || len(diags) != 2 {
		t.Fatalf("want two warnings, got:\n%v", diags)
	}
	strict := diags.Strict()
	if len(strict) != len(diags) {
		t.Fatalf("Strict changed the number of diagnostics: %d, was %d", len(strict), len(diags))
	}
	for i, d := range strict {
		if d.Severity != Error || d.Msg != diags[i].Msg || d.Pos != diags[i].Pos {
			t.Errorf("strict %d = %v, want %v as an error", i, d, diags[i])
		}
	}
	if diags[0].Severity != Warning {
		t.Error("Strict modified its receiver")
	}
	_, clean := parse(t, inst(""))
	if clean.Strict().HasErrors() {
		t.Errorf("a clean config fails strict: %v", clean.Strict())
	}
}

func TestOneLineBlocks(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, c *Config)
	}{
		{"whole instance", "vrrp_instance X { interface eth0 virtual_router_id 51 priority 120 nopreempt virtual_ipaddress { 192.0.2.1 } }\n", func(t *testing.T, c *Config) {
			in := c.Instances[0]
			if in.Interface != "eth0" || in.VRID != 51 || in.Priority != 120 || !in.Nopreempt || len(in.VirtualAddresses) != 1 {
				t.Fatalf("got interface %q vrid %d priority %d nopreempt %v vips %v", in.Interface, in.VRID, in.Priority, in.Nopreempt, in.VirtualAddresses)
			}
		}},
		{"nested blocks and a quoted script", "global_defs { enable_script_security }\nvrrp_script s { script \"/bin/check priority 2\" weight 5 }\nvrrp_instance X { interface eth0 virtual_router_id 51 authentication { auth_type PASS auth_pass secret } track_script { s } virtual_ipaddress { 192.0.2.1 } notify_master \"/bin/notify state\" root }\n", func(t *testing.T, c *Config) {
			in := c.Instances[0]
			if len(c.Scripts) != 1 || c.Scripts[0].Command.Text != "/bin/check priority 2" || c.Scripts[0].Weight != 5 {
				t.Fatalf("scripts %+v", c.Scripts)
			}
			if in.Auth == nil || in.Auth.Password != "secret" || len(in.Track.Scripts) != 1 {
				t.Fatalf("auth %+v, tracked scripts %v", in.Auth, in.Track.Scripts)
			}
			if n := in.Notify.Master; n == nil || n.Text != "/bin/notify state" || n.User != "root" {
				t.Fatalf("notify_master %+v", n)
			}
		}},
		{"quoted keyword is a value", "global_defs { enable_script_security }\nvrrp_instance X { interface eth0 virtual_router_id 51 virtual_ipaddress { 192.0.2.1 } notify_master \"priority\" }\n", func(t *testing.T, c *Config) {
			in := c.Instances[0]
			if n := in.Notify.Master; n == nil || n.Text != "priority" || in.Priority != 100 {
				t.Fatalf("notify_master %+v, priority %d", n, in.Priority)
			}
		}},
		{"opening line only", "vrrp_instance X { interface eth0 virtual_router_id 51\npriority 90\nvirtual_ipaddress { 192.0.2.1 }\n}\n", func(t *testing.T, c *Config) {
			if in := c.Instances[0]; in.VRID != 51 || in.Priority != 90 {
				t.Fatalf("vrid %d priority %d", in.VRID, in.Priority)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, diags := parse(t, tc.src)
			if len(diags) != 0 {
				t.Fatalf("diagnostics:\n%v", diags)
			}
			if len(c.Instances) != 1 {
				t.Fatalf("%d instances, want 1", len(c.Instances))
			}
			tc.check(t, c)
			again, _ := ParseBytes("formatted.conf", Format(c), testOpts)
			if !c.Equal(again) {
				t.Fatalf("model changed through Format:\n%s", Format(c))
			}
		})
	}
	// Outside a line with a brace nothing is split: keepalived's reading.
	_, diags := parse(t, "vrrp_instance X {\ninterface eth0 priority 100\nvirtual_router_id 51\n}\n")
	if !diags.HasErrors() {
		t.Fatalf("a plain line with two keywords was accepted: %v", diags)
	}
}

// TestKeepalived23Keywords: owner_ignore_adverts and timer_expired_backup as keepalived 2.3 reads
// them (keepalived 2.2.7 does not know them).
func TestKeepalived23Keywords(t *testing.T) {
	tests := []struct {
		name         string
		src          string
		ignore       bool
		timerExpired uint8
	}{
		{"owner_ignore_adverts on the owner", inst("priority 255\nowner_ignore_adverts"), true, 0},
		{"owner_ignore_adverts false", inst("priority 255\nowner_ignore_adverts false"), false, 0},
		{"global vrrp_owner_ignore_adverts", "global_defs {\nvrrp_owner_ignore_adverts\n}\n" + inst("priority 255"), true, 0},
		{"global default ignored below 255, without a warning", "global_defs {\nvrrp_owner_ignore_adverts\n}\n" + inst("priority 200"), false, 0},
		{"vrrp_strict implies it for the owner", "global_defs {\nvrrp_strict\n}\n" + inst("priority 255"), true, 0},
		{"timer_expired_backup alone is 254", inst("nopreempt\ntimer_expired_backup"), false, 254},
		{"timer_expired_backup with a priority", inst("nopreempt\ntimer_expired_backup 150"), false, 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := parse(t, tt.src)
			if diags.HasErrors() || hasDiag(diags, "owner_ignore_adverts") || hasDiag(diags, "timer_expired_backup") {
				t.Fatalf("diagnostics:\n%v", diags)
			}
			in := c.Instances[0]
			if in.OwnerIgnoreAdverts != tt.ignore || in.TimerExpiredBackup != tt.timerExpired {
				t.Fatalf("owner_ignore_adverts %v, timer_expired_backup %d; want %v, %d", in.OwnerIgnoreAdverts, in.TimerExpiredBackup, tt.ignore, tt.timerExpired)
			}
			// The formatted config reads back the same.
			again, diags := parse(t, string(Format(c)))
			if diags.HasErrors() || again.Instances[0].OwnerIgnoreAdverts != tt.ignore || again.Instances[0].TimerExpiredBackup != tt.timerExpired {
				t.Fatalf("formatted and parsed again: %+v, %v", again.Instances[0], diags)
			}
		})
	}
	for _, bad := range []string{"timer_expired_backup 0", "timer_expired_backup 255", "timer_expired_backup x"} {
		if _, diags := parse(t, inst("nopreempt\n"+bad)); !diags.HasErrors() {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestSyncGroupTrackingWeightKeepsWeights: with sync_group_tracking_weight
// a member's weighted trackers stay as written, with no warning.
func TestSyncGroupTrackingWeightKeepsWeights(t *testing.T) {
	src := "vrrp_script w {\nscript /bin/true\nweight 10\n}\n" +
		inst("track_interface {\neth1 weight -20\n}\ntrack_script {\nw\n}") +
		strings.Replace(strings.Replace(inst(""), "VI_1", "VI_2", 1), "51", "52", 1) +
		"vrrp_sync_group G {\ngroup {\nVI_1\nVI_2\n}\nsync_group_tracking_weight\n}\n"
	c, diags := parse(t, src)
	if hasDiag(diags, "sync_group_tracking_weight") || diags.HasErrors() {
		t.Fatalf("diagnostics:\n%v", diags)
	}
	tr := c.Instances[0].Track
	if len(tr.Interfaces) != 1 || tr.Interfaces[0].Weight != -20 || len(tr.Scripts) != 1 || tr.Scripts[0].Weight != 10 {
		t.Fatalf("trackers %+v, want eth1 -20 and w 10", tr)
	}
}
