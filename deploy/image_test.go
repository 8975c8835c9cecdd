package deploy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"
)

// imageConf is a keepalived.conf whose checks need the default image's BusyBox: a plain command
// (killall, found by PATH search as keepalived would), /usr/bin/pidof as the haproxy template
// writes it, and a shell script.
const imageConf = `global_defs {
    enable_script_security
    script_user root
}
vrrp_script chk_killall {
    script "killall -0 havip"
}
vrrp_script chk_pidof {
    script "/usr/bin/pidof havip"
}
vrrp_script chk_shell {
    script "/etc/havip/check.sh"
}
vrrp_instance VI_1 {
    state BACKUP
    interface lo
    virtual_router_id 51
    priority 100
    track_script {
        chk_killall
        chk_pidof
        chk_shell
    }
    virtual_ipaddress {
        192.0.2.10/24
    }
}
`

// checkScript is a shell check script: it needs sh and the applets scripts use most.
const checkScript = `#!/bin/sh
set -e
for tool in sh killall pidof nc wget ip; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 1; }
done
pidof sh >/dev/null
echo "check.sh ok: $(busybox | head -n 1)"
`

// buildah runs buildah with args and returns its combined output; it fails the test on error
// unless allowFail.
func buildah(t *testing.T, allowFail bool, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "buildah", args...).CombinedOutput()
	if err != nil && !allowFail {
		t.Fatalf("buildah %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), err
}

// buildImage runs deploy/image/build.sh (what `make image` runs) and returns the image name;
// the image is removed at cleanup.
func buildImage(t *testing.T, extra ...string) string {
	t.Helper()
	tag := fmt.Sprintf("localhost/havip-imagetest-%d:%s", os.Getpid(), strings.TrimPrefix(strings.Join(extra, ""), "--"))
	if len(extra) == 0 {
		tag += "default"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "image/build.sh", append(extra, tag)...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("image/build.sh %v: %v\n%s", extra, err, out)
	}
	t.Logf("built %s in %v", tag, time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() { buildah(t, true, "rmi", "-f", tag) })
	return tag
}

// container creates a working container of image with the files of imageConf copied in.
func container(t *testing.T, image string) string {
	t.Helper()
	out, _ := buildah(t, false, "from", "--pull-never", "--quiet", image)
	ctr := strings.TrimSpace(out)
	t.Cleanup(func() { buildah(t, true, "rm", ctr) })
	dir := t.TempDir()
	for name, text := range map[string]string{"keepalived.conf": imageConf, "check.sh": checkScript} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	buildah(t, false, "copy", "--chmod", "0644", ctr, filepath.Join(dir, "keepalived.conf"), "/etc/havip/keepalived.conf")
	buildah(t, false, "copy", "--chmod", "0755", ctr, filepath.Join(dir, "check.sh"), "/etc/havip/check.sh")
	return ctr
}

func run(t *testing.T, ctr string, argv ...string) (string, error) {
	t.Helper()
	return buildah(t, true, append([]string{"run", "--isolation", "chroot", ctr, "--"}, argv...)...)
}

// TestImage builds both image variants with buildah exactly as `make image` and
// `make image-minimal` do, and runs havip check and a shell check script inside them.
func TestImage(t *testing.T) {
	testenv.RequireRoot(t, "building and running an image with buildah")
	testenv.RequireCommand(t, "buildah", "buildah")
	testenv.RequireCommand(t, "go", "golang (or Go from go.dev on the PATH)")
	testenv.RequireFile(t, "/bin/busybox", "apt-get install busybox-static")
	version := readVersion(t)

	image := buildImage(t)
	labels, _ := buildah(t, false, "inspect", "--type", "image", "--format",
		`{{index .OCIv1.Config.Labels "org.opencontainers.image.version"}} {{index .OCIv1.Config.Labels "io.havip.image.variant"}} {{index .OCIv1.Config.Labels "org.opencontainers.image.revision"}}`, image)
	revision := "unknown" // outside a git checkout
	if out, err := exec.Command("git", "-C", "..", "describe", "--always", "--dirty").Output(); err == nil {
		revision = strings.TrimSpace(string(out))
	}
	if f := strings.Fields(labels); len(f) != 3 || f[0] != version || f[1] != "busybox" || f[2] != revision {
		t.Errorf("labels version, variant, revision = %q, want %s busybox %s", labels, version, revision)
	}
	ctr := container(t, image)
	if out, err := run(t, ctr, "havip", "check", "-f", "/etc/havip/keepalived.conf"); err != nil || strings.Contains(out, "error:") {
		t.Errorf("havip check in the image: %v\n%s", err, out)
	}
	if out, err := run(t, ctr, "keepalived", "-v"); err != nil || !strings.Contains(out, "(havip "+version) {
		t.Errorf("keepalived -v (the symlink to havip) in the image: %v\n%s", err, out)
	}
	out, err := run(t, ctr, "/etc/havip/check.sh")
	if err != nil || !strings.Contains(out, "check.sh ok: BusyBox v") {
		t.Errorf("check.sh in the image: %v\n%s", err, out)
	}
	for _, p := range []string{"/bin/sh", "/usr/bin/pidof", "/usr/bin/killall", "/sbin/ip", "/usr/sbin/ip", "/usr/local/bin/havip"} {
		if out, err := run(t, ctr, "/usr/bin/test", "-x", p); err != nil {
			t.Errorf("%s is not executable in the image: %v\n%s", p, err, out)
		}
	}

	minimal := buildImage(t, "--minimal")
	ctr = container(t, minimal)
	if out, err := run(t, ctr, "/bin/sh", "-c", "true"); err == nil {
		t.Errorf("the minimal image has a shell:\n%s", out)
	}
	// Without BusyBox the commands are missing and check.sh has no /bin/sh: havip check warns
	// about each at its line (keepalived runs such a config with the scripts disabled), and
	// havip check --strict fails on them.
	out, err = run(t, ctr, "havip", "check", "--strict", "-f", "/etc/havip/keepalived.conf")
	if err == nil {
		t.Errorf("havip check --strict passes in the minimal image although no script can run:\n%s", out)
	}
	for _, want := range []string{"keepalived.conf:5:", "keepalived.conf:8:", "keepalived.conf:11:"} {
		if !strings.Contains(out, want) {
			t.Errorf("havip check in the minimal image does not report %s (%v):\n%s", want, err, out)
		}
	}
}

func readVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	v := string(bytes.TrimSpace(data))
	if v == "" || strings.ContainsAny(v, " \n/:") {
		t.Fatalf("../VERSION = %q is not a version", v)
	}
	return v
}
