package engine

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havip/havip/config"
)

// refusals runs a loaded config through both paths: what `havip check`
// reports (config diagnostics, then Check) and what `havip run` does
// (config diagnostics, then New, here on a fake host where every interface
// exists).
func refusals(t *testing.T, cfg *config.Config, diags config.Diagnostics) (check, run error) {
	t.Helper()
	if diags.HasErrors() {
		return diags.Err(), diags.Err()
	}
	if d := Check(cfg); d.HasErrors() {
		check = d.Err()
	}
	e, err := NewWithOptions(cfg, Options{Log: slog.New(slog.DiscardHandler), Host: newFakeHost(), Clock: newFakeClock()})
	if err == nil {
		e.close()
		closeNotifier(e.notifier, nil)
	}
	return check, err
}

// TestCheckAgreesWithRun: every config of config/testdata is refused by
// both `havip check` and `havip run`, or by neither, and every config
// havip check passes, havip run starts.
func TestCheckAgreesWithRun(t *testing.T) {
	files, err := filepath.Glob("../../config/testdata/diff/*.conf")
	if err != nil || len(files) < 20 {
		t.Fatalf("config corpus: %d files, %v", len(files), err)
	}
	files = append(files, "../../config/testdata/include/main.conf")
	refused := 0
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, diags := config.Load(f, config.Options{ConfigID: "test"})
			check, run := refusals(t, cfg, diags)
			if (check == nil) != (run == nil) {
				t.Fatalf("check and run disagree:\ncheck: %v\nrun:   %v", check, run)
			}
			// pass- configs and drop- configs (keepalived and havip run them
			// without a faulty part) are what havip check passes: havip run
			// must start them.
			if name := filepath.Base(f); (strings.HasPrefix(name, "pass-") || strings.HasPrefix(name, "drop-")) && run != nil {
				t.Fatalf("havip check passes %s, havip run refuses it: %v", name, run)
			}
			if run != nil {
				refused++
			}
		})
	}
	if refused == 0 || refused == len(files) {
		t.Fatalf("%d of %d configs refused: the corpus does not exercise both outcomes", refused, len(files))
	}
}

// TestCheckAgreesWithRunOnVRIDs: keepalived runs one VRID twice on an
// interface when the multicast groups differ or the unicast peers are
// disjoint; check and run both accept exactly those.
func TestCheckAgreesWithRunOnVRIDs(t *testing.T) {
	instance := func(name, body string) string {
		return "vrrp_instance " + name + " {\n  interface lo\n  virtual_router_id 51\n  priority 100\n" + body +
			"  virtual_ipaddress {\n    192.0.2.10" + name[len(name)-1:] + "\n  }\n}\n"
	}
	peers := func(addrs ...string) string {
		return "  unicast_peer {\n    " + strings.Join(addrs, "\n    ") + "\n  }\n"
	}
	for _, tc := range []struct {
		name string
		text string
		ok   bool
	}{
		{"one multicast group", instance("VI_1", "") + instance("VI_2", ""), false},
		{"two multicast groups", instance("VI_1", "") + instance("VI_2", "  mcast_dst_ip 224.0.0.19\n"), true},
		{"multicast and unicast", instance("VI_1", "") + instance("VI_2", peers("192.0.2.2")), true},
		{"disjoint unicast peers", instance("VI_1", peers("192.0.2.2")) + instance("VI_2", peers("192.0.2.3")), true},
		{"overlapping unicast peers", instance("VI_1", peers("192.0.2.2", "192.0.2.4")) + instance("VI_2", peers("192.0.2.3", "192.0.2.4")), false},
		{"other address family", instance("VI_1", "") + strings.Replace(instance("VI_2", ""), "192.0.2.102", "2001:db8::102", 1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags := config.ParseBytes("test.conf", []byte(tc.text), config.Options{ConfigID: "test"})
			check, run := refusals(t, cfg, diags)
			if (check == nil) != (run == nil) {
				t.Fatalf("check and run disagree:\ncheck: %v\nrun:   %v", check, run)
			}
			if (run == nil) != tc.ok {
				t.Fatalf("accepted=%v, want %v (%v)", run == nil, tc.ok, run)
			}
		})
	}
}

func TestCheckNamesThePosition(t *testing.T) {
	// The engine's own refusals, which config validation does not make.
	cfg, diags := config.ParseBytes("test.conf", []byte(vi("VI_1", 51, 100, "192.0.2.100")), config.Options{ConfigID: "test"})
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	cfg.Instances[0].Interface = ""
	d := Check(cfg)
	if len(d) != 1 || d[0].Pos.Line != 1 || !strings.Contains(d[0].Msg, "havip needs an interface") {
		t.Fatalf("Check = %v", d)
	}
	cfg.Instances = nil
	if d := Check(cfg); len(d) != 1 || d[0].Severity != config.Warning || !strings.Contains(d[0].Msg, "no vrrp_instance") {
		t.Fatalf("Check of a config without instances = %v", d)
	}
	lvsOnly, diags := config.ParseBytes("lvs.conf", []byte("virtual_server 192.0.2.10 80 {\n  protocol TCP\n  real_server 192.0.2.20 80 {\n  }\n}\n"), config.Options{ConfigID: "test"})
	if diags.HasErrors() || len(lvsOnly.VirtualServers) != 1 {
		t.Fatalf("LVS-only config: %v", diags)
	}
	if d := Check(lvsOnly); len(d) != 0 {
		t.Fatalf("Check of a config with virtual servers and no instances = %v, want nothing", d)
	}
}
