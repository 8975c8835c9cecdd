package engine

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/runtime/vrrp"
)

// TestEngineOldUnicastChecksum: old_unicast_checksum sends unicast VRRPv3
// IPv4 adverts with keepalived <1.3.6's checksum (the pseudo-header names
// 224.0.0.18); "never", multicast and v3_checksum_as_v2 keep their form. A
// reload that changes the keyword changes the form of the next advert.
func TestEngineOldUnicastChecksum(t *testing.T) {
	unicast := []string{"version 3", "unicast_src_ip 192.0.2.1", "unicast_peer {\n    " + peer + "\n  }"}
	tests := []struct {
		name   string
		global string
		body   []string
		want   vrrp.ChecksumForm
	}{
		{"unicast default", "", unicast, vrrp.ChecksumRFC5798},
		{"unicast old_unicast_checksum", "", append([]string{"old_unicast_checksum"}, unicast...), vrrp.ChecksumLegacyUnicast},
		{"unicast never", "", append([]string{"old_unicast_checksum never"}, unicast...), vrrp.ChecksumRFC5798},
		{"multicast", "", []string{"version 3", "old_unicast_checksum"}, vrrp.ChecksumRFC5798},
		{"v3_checksum_as_v2", "global_defs {\n  v3_checksum_as_v2\n}\n", append([]string{"old_unicast_checksum"}, unicast...), vrrp.ChecksumRFC9568},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.global+vi("VI_1", 51, 100, "192.0.2.100", tt.body...)).start()
			r.advance(5 * time.Second)
			if got := r.states(); got != "VI_1=MASTER" {
				t.Fatalf("state %s", got)
			}
			sent := r.host.takeSent()
			if len(sent) == 0 {
				t.Fatal("no advert sent")
			}
			for _, a := range sent {
				if a.checksum != tt.want {
					t.Fatalf("advert to %s has checksum %v, want %v", a.dst, a.checksum, tt.want)
				}
			}
			r.stop()
		})
	}
	t.Run("reload", func(t *testing.T) {
		plain := vi("VI_1", 51, 100, "192.0.2.100", unicast...)
		old := vi("VI_1", 51, 100, "192.0.2.100", append([]string{"old_unicast_checksum"}, unicast...)...)
		r := newRig(t, plain).start()
		for i, step := range []struct {
			conf string
			want vrrp.ChecksumForm
		}{{"", vrrp.ChecksumRFC5798}, {old, vrrp.ChecksumLegacyUnicast}, {plain, vrrp.ChecksumRFC5798}} {
			if step.conf != "" {
				if err := r.apply(step.conf); err != nil {
					t.Fatal(err)
				}
			}
			r.host.takeSent()
			r.advance(5 * time.Second)
			sent := r.host.takeSent()
			if len(sent) == 0 || sent[len(sent)-1].checksum != step.want {
				t.Fatalf("step %d: adverts %+v, want the last with checksum %v", i, sent, step.want)
			}
		}
		r.stop()
	})
}

// TestEngineGARPExtraIf: a MASTER with garp_extra_if announces, every
// period after it became MASTER, the first VIP on each interface that
// keepalived 2.2.7's vrrp_send_vmac_update picks: another instance's VMAC,
// or with "all" any other interface; never its own interface without
// vmac_xmit_base. It stops when it leaves MASTER.
func TestEngineGARPExtraIf(t *testing.T) {
	garp := []string{"garp_master_repeat 1", "garp_master_delay 0"}
	vips := "192.0.2.100,192.0.2.101 dev eth1,192.0.2.102 dev eth1,198.51.100.1 dev eth2"
	tests := []struct {
		name   string
		conf   string
		each   string // announcements every period, joined by ", "
		period time.Duration
	}{
		{"off", vi("VI_1", 51, 100, vips, garp...), "", 10 * time.Second},
		{"global all", "global_defs {\n  vrrp_garp_extra_if all 10\n}\n" + vi("VI_1", 51, 100, vips, garp...),
			"eth1 192.0.2.101, eth2 198.51.100.1", 10 * time.Second},
		{"instance all", vi("VI_1", 51, 100, vips, append([]string{"garp_extra_if all 7"}, garp...)...),
			"eth1 192.0.2.101, eth2 198.51.100.1", 7 * time.Second},
		{"no VMAC, no all: nothing", vi("VI_1", 51, 100, vips, append([]string{"garp_extra_if 7"}, garp...)...), "", 7 * time.Second},
		{"instance 0 turns the global one off", "global_defs {\n  vrrp_garp_extra_if all 10\n}\n" +
			vi("VI_1", 51, 100, vips, append([]string{"garp_extra_if 0"}, garp...)...), "", 10 * time.Second},
		{"own interface only: nothing", vi("VI_1", 51, 100, "192.0.2.100,192.0.2.101", append([]string{"garp_extra_if all 5"}, garp...)...), "", 5 * time.Second},
		{"another instance's VMAC without all", vi("VI_1", 51, 100, "192.0.2.100,192.0.2.110 dev vrrp.52,192.0.2.111 dev eth1",
			append([]string{"garp_extra_if 5"}, garp...)...) + vi("VI_2", 52, 100, "203.0.113.1", append([]string{"use_vmac"}, garp...)...),
			"vrrp.52 192.0.2.110", 5 * time.Second},
		{"own VMAC with vmac_xmit_base", vi("VI_1", 51, 100, "192.0.2.100,192.0.2.101,198.51.100.1 dev vrrp.52",
			append([]string{"use_vmac vrrp.51", "vmac_xmit_base", "garp_extra_if 5"}, garp...)...) +
			vi("VI_2", 52, 100, "203.0.113.1", append([]string{"use_vmac"}, garp...)...),
			"vrrp.51 192.0.2.100, vrrp.52 198.51.100.1", 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.conf).start()
			r.advance(5 * time.Second) // Master_Down_Interval at priority 100: 3.61 s
			if got := r.states(); !strings.HasPrefix(got, "VI_1=MASTER") {
				t.Fatalf("states %s", got)
			}
			var vi1 []string
			for _, a := range r.host.takeAnnounced() {
				if !strings.Contains(a, "203.0.113.") {
					vi1 = append(vi1, a)
				}
			}
			if len(vi1) != len(r.e.instances[0].vips) {
				t.Fatalf("master entry announced %v, want each VIP once", vi1)
			}
			entered := r.e.snapshot().Instances[0].Since
			for i := range 3 {
				r.advance(entered.Add(time.Duration(i+1)*tt.period - time.Millisecond).Sub(r.clock.Now()))
				if got := onlyVI1(r.host.takeAnnounced()); got != "" {
					t.Fatalf("period %d: announced %q before the period ended", i, got)
				}
				r.advance(time.Millisecond)
				if got := onlyVI1(r.host.takeAnnounced()); got != tt.each {
					t.Fatalf("period %d: announced %q, want %q", i, got, tt.each)
				}
			}
			if r.e.instances[0].vmac == nil { // a higher priority on eth0 makes it BACKUP
				var addrs []string
				for _, a := range r.e.instances[0].vcfg.Addrs {
					addrs = append(addrs, a.String())
				}
				for range 3 * tt.period / time.Second {
					r.advert("eth0", ip(peer), group4, 51, 200, addrs...)
					if got := r.states(); !strings.HasPrefix(got, "VI_1=BACKUP") {
						t.Fatalf("states %s after a higher priority advert", got)
					}
					r.advance(time.Second)
				}
				if got := onlyVI1(r.host.takeAnnounced()); got != "" {
					t.Fatalf("a BACKUP announced %q", got)
				}
			}
			r.stop()
		})
	}
}

// onlyVI1 joins the announcements that are not VI_2's (203.0.113.0/24).
func onlyVI1(announced []string) string {
	var out []string
	for _, a := range announced {
		if !strings.Contains(a, "203.0.113.") {
			out = append(out, a)
		}
	}
	return strings.Join(out, ", ")
}

// TestEngineGARPExtraIfReload: a reload that changes a MASTER's
// garp_extra_if starts the new period at the reload; one that turns it off
// stops it.
func TestEngineGARPExtraIfReload(t *testing.T) {
	conf := func(extra string) string {
		return vi("VI_1", 51, 100, "192.0.2.100,192.0.2.101 dev eth1", "garp_master_repeat 1", "garp_master_delay 0", extra)
	}
	r := newRig(t, conf("garp_extra_if all 10")).start()
	r.advance(5 * time.Second)
	r.host.takeAnnounced()
	if err := r.apply(conf("garp_extra_if all 4")); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		r.advance(4*time.Second - time.Millisecond)
		if got := onlyVI1(r.host.takeAnnounced()); got != "" {
			t.Fatalf("period %d after the reload: %q before its end", i, got)
		}
		r.advance(time.Millisecond)
		if got := onlyVI1(r.host.takeAnnounced()); got != "eth1 192.0.2.101" {
			t.Fatalf("period %d after the reload: announced %q", i, got)
		}
	}
	if err := r.apply(conf("garp_extra_if 0")); err != nil {
		t.Fatal(err)
	}
	r.advance(20 * time.Second)
	if got := onlyVI1(r.host.takeAnnounced()); got != "" {
		t.Fatalf("announced %q with garp_extra_if 0", got)
	}
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("states %s", got)
	}
	r.stop()
}

// TestEngineFIFOWriteStatesOnReload: with fifo_write_vrrp_states_on_reload a
// reload writes to the notify FIFO, as keepalived 2.2.7 does, a line for each
// sync group and each BACKUP or FAULT instance whose state it kept; a MASTER
// gets none, nor does anything without the keyword.
func TestEngineFIFOWriteStatesOnReload(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	conf := func(keyword bool, group bool) string {
		g := "global_defs {\n  notify_fifo " + fifo + "\n"
		if keyword {
			g += "  fifo_write_vrrp_states_on_reload\n"
		}
		g += "}\n"
		if group {
			g += "vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}\n"
		}
		return g + vi("VI_1", 51, 100, "192.0.2.100") + vi("VI_2", 52, 90, "192.0.2.101", "unicast_fault_no_peer")
	}
	r := newRig(t, conf(true, true)).start()
	// A raw non-blocking descriptor: an os.File would wait for data.
	fd, err := syscall.Open(fifo, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	read := func() string {
		buf := make([]byte, 4096)
		n, _ := syscall.Read(fd, buf) // EAGAIN when empty
		return string(buf[:max(n, 0)])
	}
	r.advance(5 * time.Second)
	if got := r.states(); got != "VI_1=MASTER VI_2=FAULT" {
		t.Fatalf("states %s", got)
	}
	read()
	for _, step := range []struct {
		name string
		conf string
		want string
	}{
		{"same config", conf(true, true), "GROUP \"G\" MASTER 0\nINSTANCE \"VI_2\" FAULT 90\n"},
		{"without the keyword", conf(false, true), ""},
		{"the group removed: VI_1 changed, still MASTER", conf(true, false), "INSTANCE \"VI_2\" FAULT 90\n"},
	} {
		if err := r.e.reload(parseConfig(t, step.conf)); err != nil {
			t.Fatal(err)
		}
		if got := read(); got != step.want {
			t.Fatalf("%s: FIFO got %q, want %q", step.name, got, step.want)
		}
	}
	r.stop()
}
