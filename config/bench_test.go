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

// config1000 returns a config with 1000 instances, 250 on each of 4
// interfaces, each with three VIPs, a tracked script and notify lines.
func config1000() []byte {
	var b strings.Builder
	b.WriteString("global_defs {\n    router_id bench\n    enable_script_security\n    script_user root\n}\n")
	b.WriteString("vrrp_script chk {\n    script \"/bin/true\"\n    interval 1\n    weight -10\n}\n")
	n := 0
	for ifc := range 4 {
		for vrid := 1; vrid <= 250; vrid++ {
			n++
			fmt.Fprintf(&b, `vrrp_instance VI_%d {
    state BACKUP
    interface eth%d
    virtual_router_id %d
    priority %d
    advert_int 1
    virtual_ipaddress {
        198.51.100.%d/32 dev eth%d
        203.0.113.%d/32
        192.0.2.%d/32 dev eth%d label eth%d:vip
    }
    track_script {
        chk
    }
    notify_master "/usr/local/bin/notify.sh master VI_%d"
    notify_backup "/usr/local/bin/notify.sh backup VI_%d"
    notify "/usr/local/bin/notify.sh VI_%d"
}
`, n, ifc, vrid, 1+n%254, vrid, ifc, vrid, vrid, ifc, ifc, n, n, n)
		}
	}
	return []byte(b.String())
}

func BenchmarkParse1000(b *testing.B) {
	src := config1000()
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		cfg, diags := ParseBytes("bench.conf", src, Options{ConfigID: "bench"})
		if len(diags) != 0 || len(cfg.Instances) != 1000 {
			b.Fatalf("%d instances, diagnostics: %v", len(cfg.Instances), diags)
		}
	}
}
