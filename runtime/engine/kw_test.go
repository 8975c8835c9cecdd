package engine

import (
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
