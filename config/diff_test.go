package config

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"

	"github.com/havip/havip/test/lab"
)

// keepalivedDiffers lists corpus files where keepalived 2.2.7 -t and havip
// check disagree on pass/fail, with the reason. keepalived 2.2.7 exits 5
// ("script security", in practice: any reported config problem) even for
// problems it corrects itself and would run with; havip reports those as
// warnings and passes.
var keepalivedDiffers = map[string]string{
	"pass-auth-pass-truncated.conf":  "keepalived reports 'Truncating auth_pass to 8 characters' and exits 5; havip warns",
	"pass-v2-advert-rounded.conf":    "keepalived reports 'advertisement interval 1.5s must be an integer. rounding' and exits 5; havip warns",
	"fail-strict-unicast.conf":       "keepalived 2.2.7 accepts unicast_peer with vrrp_strict; current keepalived (reference §2.1, issue #2645) rejects it when the interface supports multicast, as havip does",
	"pass-ipv6-version2-forced.conf": "keepalived reports 'vrrp_version 2 conflicts with configured or deduced version' and exits 5; havip warns and uses version 3",
	"pass-nopreempt-master.conf":     "keepalived reports 'nopreempt is incompatible with priority 255. resetting nopreempt' and exits 5; havip warns",
	"fail-auth-ah.conf":              "keepalived 2.2.7 runs IPsec-AH authentication (deprecated, removed from VRRP by RFC 3768); havip refuses it with an error rather than run without the authentication its peers expect",
	"pass-routes-rules.conf":         "keepalived exits 5 for 'cannot track route ... with no interface specified' on a blackhole route; havip does not track routes",
}

// formattedDiffers lists corpus files whose Format output keepalived 2.2.7
// -t does not pass, with the reason.
var formattedDiffers = map[string]string{
	"pass-routes-rules.conf": "the blackhole route has no interface, which keepalived reports (exit 5) however it is written",
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

// TestDifferentialKeepalived runs real keepalived -t over the corpus in a
// namespace that has eth0 and eth1, and compares pass/fail with ParseBytes.
// File names say the expected outcome: pass-*.conf or fail-*.conf.
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
			wantPass := strings.HasPrefix(name, "pass-")
			if !wantPass && !strings.HasPrefix(name, "fail-") {
				t.Fatalf("corpus file %s must start with pass- or fail-", name)
			}
			abs, _ := filepath.Abs(f)
			code, out := keepalivedTest(t, host, abs)
			keepalivedPass := code == 0
			cfg, diags := Load(f, Options{ConfigID: "node1"})
			havipPass := !diags.HasErrors()
			if havipPass != wantPass {
				t.Errorf("havip pass=%v, file name says %v:\n%v", havipPass, wantPass, diags)
			}
			reason, differs := keepalivedDiffers[name]
			switch {
			case differs && keepalivedPass == havipPass:
				t.Errorf("listed as differing (%s) but keepalived now agrees (exit %d)", reason, code)
			case !differs && keepalivedPass != havipPass:
				t.Errorf("keepalived -t exit %d (pass=%v), havip pass=%v\nkeepalived:\n%s\nhavip:\n%v", code, keepalivedPass, havipPass, out, diags)
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
