package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havip/havip/internal/testenv"
)

const samplesDir = "/usr/share/doc/keepalived/samples"

// vrrpOnlySamples are the Debian keepalived samples with only VRRP
// sections; the value is the config id they need (conditional_conf selects
// its lines with @high/@low) and the diagnostics keepalived itself also
// reports for them.
var vrrpOnlySamples = map[string][]string{
	"keepalived.conf.conditional_conf":      {"not supported by havip: the config will run in the current network namespace", "enable_script_security is not set"},
	"keepalived.conf.track_interface":       {"has no interface (dev), so its removal is not tracked"},
	"keepalived.conf.vrrp.localcheck":       {"enable_script_security is not set"},
	"keepalived.conf.vrrp.routes":           {"has no interface (dev), so its removal is not tracked"},
	"keepalived.conf.vrrp.scripts":          {"enable_script_security is not set"},
	"keepalived.conf.vrrp.static_ipaddress": {"has no interface (dev), so its removal is not tracked"},
	"keepalived.conf.vrrp.sync":             {"enable_script_security is not set"},
	// keepalived 2.2.7 reports these and runs without the faulty part, as
	// havip does: "192.168.100./24" is not an address (the rule is
	// dropped), and vrrp.lvs_syncd lists sync group members without
	// group { } (unknown keywords, the empty group is dropped).
	"keepalived.conf.vrrp.rules":     {`"192.168.100./24" is not an address with an optional /length; the rule is ignored`, `"192.168.200./24" is not an address with an optional /length; the rule is ignored`},
	"keepalived.conf.vrrp.lvs_syncd": {"unknown keyword 'VI_2' in vrrp_sync_group VG1 is ignored", "unknown keyword 'VI_3' in vrrp_sync_group VG1 is ignored", "vrrp_sync_group VG1 has no members (add group { INSTANCE ... }); the vrrp_sync_group is ignored", "lvs_sync_daemon_interface is deprecated"},
}

// lvsSamples have LVS sections, which havip runs; they may produce only the
// listed diagnostics and "no email alerts are sent" warnings.
var lvsSamples = map[string][]string{
	"keepalived.conf.HTTP_GET.port": nil,
	"keepalived.conf.IPv6":          nil,
	"keepalived.conf.PING_CHECK":    nil,
	"keepalived.conf.SMTP_CHECK":    nil,
	// IPsec-AH with state MASTER: keepalived starts it as BACKUP too.
	"keepalived.conf.SSL_GET":              {"initial state MASTER is incompatible with AH authentication"},
	"keepalived.conf.UDP_CHECK":            nil,
	"keepalived.conf.fwmark":               {"protocol TCP ignored"}, // keepalived warns too
	"keepalived.conf.inhibit":              nil,
	"keepalived.conf.misc_check":           {"enable_script_security is not set"},
	"keepalived.conf.misc_check_arg":       {"enable_script_security is not set"},
	"keepalived.conf.quorum":               {"enable_script_security is not set"},
	"keepalived.conf.sample":               nil,
	"keepalived.conf.status_code":          nil,
	"keepalived.conf.virtual_server_group": nil,
	"keepalived.conf.virtualhost":          nil,
	"keepalived.conf.vrrp":                 nil,
}

func TestDebianSamples(t *testing.T) {
	testenv.RequireFile(t, samplesDir, "apt-get install keepalived, with /usr/share/doc not excluded by dpkg")
	files, _ := filepath.Glob(filepath.Join(samplesDir, "keepalived.conf.*"))
	if len(files) != len(vrrpOnlySamples)+len(lvsSamples) {
		t.Errorf("%d samples on disk, %d in the tables; update the tables", len(files), len(vrrpOnlySamples)+len(lvsSamples))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			allowed, vrrpOnly := vrrpOnlySamples[name]
			if !vrrpOnly {
				var ok bool
				if allowed, ok = lvsSamples[name]; !ok {
					t.Fatalf("sample %s is in neither table", name)
				}
			}
			opts := Options{ConfigID: "high"}
			cfg, diags := Load(f, opts)
			if cfg == nil {
				t.Fatal("nil config")
			}
			// keepalived 2.2.7 runs every sample; havip too.
			if diags.HasErrors() {
				t.Errorf("errors:\n%v", diags)
			}
			if strict := diags.Strict().HasErrors(); strict != (len(diags) > 0) {
				t.Errorf("--strict fails: %v, with %d diagnostics", strict, len(diags))
			}
			for _, d := range diags {
				if !vrrpOnly && d.Severity == Warning && strings.Contains(d.Msg, "is not supported by havip: no email alerts are sent") {
					continue
				}
				if !matchesAny(d.Msg, allowed) {
					t.Errorf("unexpected diagnostic: %v", d)
				}
			}
			for _, want := range allowed {
				if !hasDiag(diags, want) {
					t.Errorf("expected diagnostic containing %q, got %v", want, diags)
				}
			}
			if src, _ := os.ReadFile(f); bytes.Contains(src, []byte("\nvirtual_server ")) && len(cfg.VirtualServers) == 0 {
				t.Errorf("LVS sample without a virtual server in the model")
			}
		})
	}
}

// TestConditionalSampleNoMatch loads the conditional_conf sample with a
// config id none of its @ lines select (keepalived's default, the host
// name): its vrrp_script has no script, and keepalived 2.2.7 drops it and
// the reference to it (checked with keepalived -t and a run: exit 5, VI_0
// runs).
func TestConditionalSampleNoMatch(t *testing.T) {
	f := filepath.Join(samplesDir, "keepalived.conf.conditional_conf")
	testenv.RequireFile(t, f, "apt-get install keepalived, with /usr/share/doc not excluded by dpkg")
	cfg, diags := Load(f, Options{ConfigID: "neither"})
	if diags.HasErrors() {
		t.Fatalf("errors:\n%v", diags.Err())
	}
	for _, want := range []string{
		"vrrp_script check_VI_0 has no script (add a 'script' line); the vrrp_script is ignored, as keepalived does",
		"vrrp_instance VI_0: vrrp_script check_VI_0 is not defined; the reference is ignored, as keepalived does",
	} {
		if !hasDiag(diags, want) {
			t.Errorf("no diagnostic %q in:\n%v", want, diags)
		}
	}
	if len(cfg.Instances) != 1 || len(cfg.Instances[0].Track.Scripts) != 0 {
		t.Fatalf("want VI_0 without tracked scripts, got %+v", cfg.Instances)
	}
}

func matchesAny(msg string, subs []string) bool {
	for _, s := range subs {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func hasDiag(diags Diagnostics, sub string) bool {
	for _, d := range diags {
		if strings.Contains(d.Msg, sub) {
			return true
		}
	}
	return false
}

// corpus returns every config file the round-trip test runs over.
func corpus(t *testing.T) []string {
	files, _ := filepath.Glob("testdata/diff/*.conf")
	inc, _ := filepath.Glob("testdata/include/*.conf")
	samples, _ := filepath.Glob(filepath.Join(samplesDir, "keepalived.conf.*"))
	files = append(append(files, inc...), samples...)
	if len(files) < 30 {
		t.Fatalf("corpus has only %d files", len(files))
	}
	return files
}

func TestFormatRoundTrip(t *testing.T) {
	for _, f := range corpus(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			opts := Options{ConfigID: "high"}
			first, firstDiags := Load(f, opts)
			text := Format(first)
			second, diags := ParseBytes("formatted.conf", text, opts)
			if diags.HasErrors() && !firstDiags.HasErrors() {
				t.Fatalf("formatted config has errors:\n%v\n%s", diags.Err(), text)
			}
			if !first.Equal(second) {
				t.Fatalf("model changed through Format:\n%s", text)
			}
			if again := Format(second); string(again) != string(text) {
				t.Fatalf("Format is not stable:\n%s\n---\n%s", text, again)
			}
		})
	}
}

func TestEqualIgnoresPositions(t *testing.T) {
	a, _ := parse(t, inst(""))
	b, _ := parse(t, "\n\n"+inst(""))
	if !a.Instances[0].Equal(b.Instances[0]) || !a.Equal(b) {
		t.Fatal("same instance at other lines is not Equal")
	}
	if a.Instances[0].Pos == b.Instances[0].Pos {
		t.Fatal("positions should differ")
	}
	c, _ := parse(t, inst("priority 101"))
	if a.Instances[0].Equal(c.Instances[0]) {
		t.Fatal("different priority is Equal")
	}
	if a.Instances[0].Key() != c.Instances[0].Key() {
		t.Fatal("priority change altered the reload key")
	}
	d, _ := parse(t, strings.Replace(inst(""), "51", "52", 1))
	if a.Instances[0].Key() == d.Instances[0].Key() {
		t.Fatal("VRID change kept the reload key")
	}
}
