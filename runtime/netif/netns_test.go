package netif

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"

	"github.com/vishvananda/netns"
)

// testNode is one network namespace with a veth end called eth0.
type testNode struct {
	ns     string // namespace name (ip netns)
	handle netns.NsHandle
	ipv4   netip.Addr // primary IPv4 address of eth0
}

var nsCounter atomic.Int32

// requireRoot skips privileged tests when not root.
func requireRoot(t testing.TB) {
	t.Helper()
	testenv.RequireRoot(t, "creating network namespaces and raw sockets (CAP_NET_ADMIN, CAP_NET_RAW)")
}

// run executes a command with a deadline and fails the test on error.
func run(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

// newNS creates a namespace named id+suffix, deleted in t.Cleanup.
func newNS(t testing.TB, id, suffix string) *testNode {
	t.Helper()
	name := id + suffix
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("delete namespace %s: %v\n%s", name, err, out)
		}
	})
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("open namespace %s: %v", name, err)
	}
	t.Cleanup(func() { h.Close() })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return &testNode{ns: name, handle: h}
}

// newID returns a prefix unique to this process and call for namespace names.
func newID() string {
	return fmt.Sprintf("nif%d-%d", os.Getpid(), nsCounter.Add(1))
}

// newPair creates two namespaces joined by a veth pair (eth0 in each), with 192.0.2.1/24 and
// 192.0.2.2/24 (plus the secondary 192.0.2.11/24 on a), IPv6 DAD disabled so link-locals are
// usable at once, links up. Everything is deleted in t.Cleanup.
func newPair(t testing.TB) (a, b *testNode) {
	t.Helper()
	requireRoot(t)
	id := newID()
	a, b = newNS(t, id, "a"), newNS(t, id, "b")
	a.ipv4, b.ipv4 = netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	run(t, "ip", "link", "add", "eth0", "netns", a.ns, "type", "veth", "peer", "name", "eth0", "netns", b.ns)
	for _, n := range []*testNode{a, b} {
		run(t, "ip", "netns", "exec", n.ns, "sysctl", "-qw", "net.ipv6.conf.eth0.accept_dad=0")
		run(t, "ip", "-n", n.ns, "addr", "add", n.ipv4.String()+"/24", "dev", "eth0")
		run(t, "ip", "-n", n.ns, "link", "set", "eth0", "up")
	}
	run(t, "ip", "-n", a.ns, "addr", "add", "192.0.2.11/24", "dev", "eth0")
	a.linkLocal(t)
	b.linkLocal(t)
	return a, b
}

// do runs f with the calling goroutine's OS thread inside the node's namespace, so sockets and
// netlink requests made by f act there.
func (n *testNode) do(t testing.TB, f func()) {
	t.Helper()
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("get current namespace: %v", err)
	}
	defer orig.Close()
	if err := netns.Set(n.handle); err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("enter namespace %s: %v", n.ns, err)
	}
	defer func() {
		if err := netns.Set(orig); err != nil {
			// Leave the thread locked: the runtime discards it when the goroutine exits.
			t.Errorf("return from namespace %s: %v", n.ns, err)
			return
		}
		runtime.UnlockOSThread()
	}()
	f()
}

// linkLocal waits (bounded) for eth0's IPv6 link-local to be usable and returns it.
func (n *testNode) linkLocal(t testing.TB) netip.Addr {
	t.Helper()
	var ll netip.Addr
	waitFor(t, 10*time.Second, "IPv6 link-local on "+n.ns, func() bool {
		var err error
		n.do(t, func() { ll, err = PrimaryAddr("eth0", 6) })
		return err == nil
	})
	return ll
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// capture starts tshark on eth0 of the node with a capture filter, stopping after count packets
// (or 20 s). It returns once tshark is capturing; the returned func waits for it and gives the
// pcap path.
func (n *testNode) capture(t testing.TB, filter string, count int) func() string {
	t.Helper()
	testenv.RequireCommand(t, "tshark", "tshark")
	path := filepath.Join(t.TempDir(), "cap.pcapng")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", n.ns, "tshark", "-i", "eth0", "-f", filter,
		"-c", fmt.Sprint(count), "-a", "duration:20", "-w", path, "-q")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start tshark: %v", err)
	}
	started := make(chan struct{})
	var log strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			// "Capturing on 'eth0'" comes before dumpcap is ready; "Capture started" after.
			if !once && strings.Contains(sc.Text(), "Capture started") {
				once = true
				close(started)
			}
		}
	}()
	select {
	case <-started:
	case <-done:
		t.Fatalf("tshark exited before capturing:\n%s", log.String())
	case <-time.After(20 * time.Second):
		t.Fatal("tshark did not start capturing within 20s")
	}
	return func() string {
		t.Helper()
		<-done
		if err := cmd.Wait(); err != nil {
			t.Fatalf("tshark: %v\n%s", err, log.String())
		}
		return path
	}
}

// tsharkFields decodes a capture with a display filter and returns one "|"-joined line per packet.
func tsharkFields(t testing.TB, pcap, display string, fields ...string) []string {
	t.Helper()
	args := []string{"tshark", "-r", pcap, "-Y", display, "-T", "fields", "-E", "separator=|"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out := strings.TrimSpace(run(t, args...))
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}
