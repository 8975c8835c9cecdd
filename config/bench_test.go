package config

import (
	"fmt"
	"strings"
	"testing"
)

// config255 returns a config with 255 instances, each with VIPs, a
// tracked script and unicast peers.
func config255() []byte {
	var b strings.Builder
	b.WriteString("global_defs {\n    router_id bench\n    enable_script_security\n    script_user root\n}\n")
	b.WriteString("vrrp_script chk {\n    script \"/bin/true\"\n    interval 1\n    weight -10\n}\n")
	for i := 1; i <= 255; i++ {
		fmt.Fprintf(&b, `vrrp_instance VI_%d {
    state BACKUP
    interface eth0
    virtual_router_id %d
    priority %d
    advert_int 1
    unicast_src_ip 192.0.2.1
    unicast_peer {
        192.0.2.2
        192.0.2.3
    }
    virtual_ipaddress {
        198.51.100.%d/24 dev eth0
        203.0.113.%d/32
    }
    track_script {
        chk
    }
    notify "/usr/local/bin/notify.sh VI_%d"
}
`, i, i, 1+i%254, i, i, i)
	}
	return []byte(b.String())
}

func BenchmarkParse255(b *testing.B) {
	src := config255()
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		cfg, diags := ParseBytes("bench.conf", src, Options{ConfigID: "bench"})
		if diags.HasErrors() || len(cfg.Instances) != 255 {
			b.Fatalf("%d instances, errors: %v", len(cfg.Instances), diags.Err())
		}
	}
}

func BenchmarkFormat255(b *testing.B) {
	cfg, _ := ParseBytes("bench.conf", config255(), Options{ConfigID: "bench"})
	b.ReportAllocs()
	for b.Loop() {
		Format(cfg)
	}
}
