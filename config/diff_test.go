package config

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"

	"github.com/havip/havip/test/lab"
)

// strictDiffers lists corpus files where havip check --strict and
// keepalived 2.2.7 -t disagree on pass/fail, with the reason. keepalived -t
// exits 5 for any problem it reports, including the ones it corrects or
// drops and runs without; havip's strict mode fails on every warning.
var strictDiffers = map[string]string{
	"fail-strict-unicast.conf": "keepalived 2.2.7 accepts unicast_peer with vrrp_strict; current keepalived (reference §2.1, issue #2645) rejects it when the interface supports multicast, as havip does",
	"pass-one-line-block.conf": "keepalived 2.2.7 mis-parses a whole block on one line (beyondKeepalived)",
}

// beyondKeepalived lists pass-*.conf files havip runs as written and
// keepalived 2.2.7 does not, with why.
var beyondKeepalived = map[string]string{
	"pass-one-line-block.conf": "keepalived 2.2.7 reads a whole block on one line as one statement ('interface eth0 virtual_router_id 61 ...') and refuses the instance without a VRID; havip splits the line at the section's keywords",
}

// havipRefuses lists fail-*.conf files keepalived 2.2.7 still runs (it
// drops or corrects the faulty part), with why havip refuses them instead.
// docs/compatibility.md has the same table.
var havipRefuses = map[string]string{
	"fail-extra-brace.conf":         "an unbalanced brace changes which block the next lines belong to",
	"fail-missing-brace.conf":       "an unbalanced brace changes which block the next lines belong to",
	"fail-script-weight-range.conf": "what keepalived runs instead (no weight, or no script) is not checked yet",
	"fail-strict-unicast.conf":      "current keepalived refuses unicast with vrrp_strict too (issue #2645)",
	"fail-unicast-ttl-order.conf":   "keepalived runs it but discards every advert from the peer; the engine refuses a peer it could never hear",
}

// formattedDiffers lists corpus files whose Format output keepalived 2.2.7
// -t does not pass, with the reason.
var formattedDiffers = map[string]string{
	"drop-sync-group-tracker-weights.conf": "the track_interface weight stays, as keepalived applies it, so keepalived reports it again",
	"drop-sync-group-unknown-member.conf":  "what is left is a sync group with one member, which keepalived reports (exit 5) however it is written",
}

// keepalivedTest runs keepalived -t on path inside host and returns its
// exit code and output. A run that times out (seen when the machine is
// overloaded) is retried once.
func keepalivedTest(t *testing.T, host *lab.Node, path string) (int, []byte) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := host.Command(ctx, "keepalived", "--config-test", "--use-file", path, "--log-console", "--dont-fork").CombinedOutput()
		timedOut := ctx.Err() != nil
		cancel()
		var exitErr *exec.ExitError
		switch {
		case timedOut && attempt == 1:
			t.Logf("keepalived -t on %s timed out; retrying once", path)
			continue
		case timedOut:
			t.Fatalf("keepalived -t on %s timed out twice", path)
		case errors.As(err, &exitErr):
			return exitErr.ExitCode(), out
		case err != nil:
			t.Fatalf("running keepalived -t on %s: %v\n%s", path, err, out)
		}
		return 0, out
	}
}

// TestDifferentialKeepalived runs real keepalived over the corpus in a
// namespace that has eth0 and eth1, and compares with ParseBytes. File
// names say havip's outcome: pass-*.conf passes, drop-*.conf passes with a
// warning for each part dropped as keepalived drops it, fail-*.conf fails.
// havip check --strict passes exactly where keepalived -t exits 0 (but for
// strictDiffers); keepalived runs every pass and drop file, with the
// instances havip runs, and refuses every fail file but those in
// havipRefuses.
func TestDifferentialKeepalived(t *testing.T) {
	lab.RequireRoot(t)
	testenv.RequireCommand(t, "keepalived", "keepalived")
	files, err := filepath.Glob("testdata/diff/*.conf")
	if err != nil || len(files) < 30 {
		t.Fatalf("want at least 30 corpus files in testdata/diff, have %d (%v)", len(files), err)
	}
	host := lab.NewHost(t, "eth0", "eth1")
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			wantPass := strings.HasPrefix(name, "pass-") || strings.HasPrefix(name, "drop-")
			if !wantPass && !strings.HasPrefix(name, "fail-") {
				t.Fatalf("corpus file %s must start with pass-, drop- or fail-", name)
			}
			abs, _ := filepath.Abs(f)
			code, out := keepalivedTest(t, host, abs)
			keepalivedPass := code == 0
			cfg, diags := Load(f, Options{ConfigID: "node1"})
			havipPass := !diags.HasErrors()
			strictPass := !diags.Strict().HasErrors()
			if havipPass != wantPass {
				t.Errorf("havip pass=%v, file name says %v:\n%v", havipPass, wantPass, diags)
			}
			if strings.HasPrefix(name, "drop-") && !hasDiag(diags, "as keepalived does") {
				t.Errorf("drop file without a warning for what is dropped:\n%v", diags)
			}
			reason, differs := strictDiffers[name]
			switch {
			case differs && keepalivedPass == strictPass:
				t.Errorf("listed as differing (%s) but keepalived now agrees with --strict (exit %d)", reason, code)
			case !differs && keepalivedPass != strictPass:
				t.Errorf("keepalived -t exit %d (pass=%v), havip --strict pass=%v\nkeepalived:\n%s\nhavip:\n%v", code, keepalivedPass, strictPass, out, diags)
			}
			if !keepalivedPass {
				_, refused := havipRefuses[name]
				_, beyond := beyondKeepalived[name]
				runs, log := keepalivedRuns(t, host, abs, cfg)
				switch {
				case havipPass && beyond && runs:
					t.Errorf("listed as beyond keepalived (%s) but keepalived runs it:\n%s", beyondKeepalived[name], log)
				case havipPass && !beyond && !runs:
					t.Errorf("havip runs it but keepalived does not run it with the same instances:\n%s", log)
				case !havipPass && refused && !runs:
					t.Errorf("listed as refused by havip only (%s) but keepalived refuses it too:\n%s", havipRefuses[name], log)
				case !havipPass && !refused && runs:
					t.Errorf("keepalived runs it but havip refuses it; drop what keepalived drops or list it in havipRefuses:\n%s", log)
				}
			}
			if !havipPass {
				return
			}
			// The canonical text must be a keepalived.conf keepalived accepts.
			formatted := filepath.Join(t.TempDir(), "formatted.conf")
			if err := os.WriteFile(formatted, Format(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out = keepalivedTest(t, host, formatted)
			reason, differs = formattedDiffers[name]
			switch {
			case differs && code == 0:
				t.Errorf("formatted config listed as rejected (%s) but keepalived now accepts it", reason)
			case !differs && code != 0:
				t.Errorf("keepalived -t exit %d on the formatted config:\n%s\nformatted:\n%s", code, out, Format(cfg))
			}
		})
	}
}

// keepalivedRuns runs keepalived on path in host and reports whether it
// starts and runs the instances of cfg (and no other), with its log. A
// config with no instances runs when keepalived says it has nothing to
// run.
func keepalivedRuns(t *testing.T, host *lab.Node, path string, cfg *Config) (bool, string) {
	t.Helper()
	dir := t.TempDir()
	p := host.Start(t, "keepalived-"+filepath.Base(path), "keepalived", "-n", "-l", "-D", "--vrrp",
		"-f", path, "-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"))
	defer func() {
		p.Signal(syscall.SIGTERM)
		// A refused config has already made keepalived exit with an
		// error status; only a keepalived still running is a failure.
		if err := p.Wait(30 * time.Second); err != nil && strings.Contains(err.Error(), "still running") {
			t.Errorf("keepalived on %s did not stop: %v", path, err)
		}
	}()
	started := func(log string) bool {
		for _, in := range cfg.Instances {
			if !strings.Contains(log, "("+in.Name+") Entering") && !strings.Contains(log, "("+in.Name+") entering") {
				return false
			}
		}
		return len(cfg.Instances) > 0 || strings.Contains(log, "no configuration to run")
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		log := p.Output()
		if strings.Contains(log, "exited with permanent error") || strings.Contains(log, "Stopped Keepalived") {
			return false, log
		}
		if started(log) {
			for _, m := range keepalivedInstance.FindAllStringSubmatch(log, -1) {
				if cfg.Instance(m[1]) == nil {
					return false, log
				}
			}
			return true, log
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false, p.Output()
}

// keepalivedInstance matches keepalived's state log lines, naming the
// instance.
var keepalivedInstance = regexp.MustCompile(`\(([^()\s]+)\) [Ee]ntering [A-Z]+ [Ss][Tt][Aa][Tt][Ee]`)

// TestDroppedSamplesRunInKeepalived runs keepalived 2.2.7 on the Debian
// samples havip passes only by dropping a part, as keepalived does: it
// runs each of them with the instances havip runs.
func TestDroppedSamplesRunInKeepalived(t *testing.T) {
	lab.RequireRoot(t)
	testenv.RequireCommand(t, "keepalived", "keepalived")
	testenv.RequireFile(t, samplesDir, "apt-get install keepalived, with /usr/share/doc not excluded by dpkg")
	host := lab.NewHost(t, "eth0", "eth1", "eth2", "eth3")
	for _, name := range []string{"keepalived.conf.conditional_conf", "keepalived.conf.vrrp.lvs_syncd", "keepalived.conf.vrrp.rules"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(samplesDir, name)
			if name == "keepalived.conf.vrrp.lvs_syncd" {
				path = withoutIPVS(t, path)
			}
			// keepalived's config id is the host name, which none of
			// conditional_conf's @high/@low lines select.
			cfg, diags := Load(path, Options{ConfigID: "neither"})
			if diags.HasErrors() || !hasDiag(diags, "as keepalived does") {
				t.Fatalf("want warnings for dropped parts and no error:\n%v", diags)
			}
			if runs, log := keepalivedRuns(t, host, path, cfg); !runs {
				t.Errorf("keepalived does not run it with havip's instances %v:\n%s", len(cfg.Instances), log)
			}
		})
	}
}

// withoutIPVS copies the sample at path leaving out its
// lvs_sync_daemon_interface line: with it keepalived's VRRP process
// initialises IPVS, which the test kernel may lack (havip logs the sync
// daemon's failure and runs the instances).
func withoutIPVS(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.Contains(l, "lvs_sync_daemon_interface") {
			kept = append(kept, l)
		}
	}
	out := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(out, []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
