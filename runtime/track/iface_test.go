package track

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/havip/havip/internal/testenv"
)

var netnsCounter atomic.Int64

// newNetNS creates a named network namespace (ip netns add) removed when the test ends.
func newNetNS(t *testing.T) string {
	t.Helper()
	testenv.RequireRoot(t, "creating a network namespace")
	testenv.RequireCommand(t, "ip", "iproute2")
	name := fmt.Sprintf("hvtr%d_%d", os.Getpid(), netnsCounter.Add(1))
	if len(name) > 15 {
		name = name[:15]
	}
	ipCmd(t, "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	return name
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestInterfaceTrackerInNamespace(t *testing.T) {
	ns := newNetNS(t)
	ipCmd(t, "-n", ns, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
	ipCmd(t, "-n", ns, "link", "set", "veth1", "up")
	r := start(t, NewInterface(InterfaceSpec{Name: "veth0", NetNS: "/run/netns/" + ns}, nil))
	r.expect(t, false, "veth0 admin down")
	ipCmd(t, "-n", ns, "link", "set", "veth0", "up")
	r.expect(t, true, "veth0 up with peer up")
	ipCmd(t, "-n", ns, "link", "set", "veth1", "down")
	if res := r.expect(t, false, "peer down: carrier lost"); !strings.Contains(res.Detail, "carrier absent") {
		t.Fatalf("detail %q should mention carrier", res.Detail)
	}
	ipCmd(t, "-n", ns, "link", "set", "veth1", "up")
	r.expect(t, true, "carrier back")
	ipCmd(t, "-n", ns, "link", "del", "veth0")
	r.expect(t, false, "deleted")
	ipCmd(t, "-n", ns, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
	ipCmd(t, "-n", ns, "link", "set", "veth0", "up")
	ipCmd(t, "-n", ns, "link", "set", "veth1", "up")
	r.expect(t, true, "recreated")
}

func TestInterfaceTrackerMissingInterface(t *testing.T) {
	ns := newNetNS(t)
	r := start(t, NewInterface(InterfaceSpec{Name: "nosuch0", NetNS: "/run/netns/" + ns}, nil))
	if res := r.expect(t, false, "missing interface"); !strings.Contains(res.Detail, "nosuch0") {
		t.Fatalf("detail %q should name the interface", res.Detail)
	}
}
