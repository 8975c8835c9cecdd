package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"
)

// nsPrefix starts every namespace name the lab creates: "hv<pid>-<counter>-<role>".
const nsPrefix = "hv"

// commandTimeout bounds every short external command (ip, sysctl, tshark -r).
const commandTimeout = 30 * time.Second

// rootCheck caches the result of the root/iproute2 probe.
var rootCheck = sync.OnceValue(func() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("euid is %d, not 0", os.Geteuid())
	}
	if out, err := runCommand("ip", "netns", "list"); err != nil {
		return fmt.Errorf("`ip netns list` failed: %v: %s", err, out)
	}
	return nil
})

// RequireRoot skips the test unless it runs as root with a working iproute2.
func RequireRoot(t testing.TB) {
	t.Helper()
	if err := rootCheck(); err != nil {
		testenv.Missing(t, "lab: needs root and iproute2 (network namespaces, veth, bridge): %v", err)
	}
}

// runCommand runs name args with commandTimeout and returns its combined output.
func runCommand(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("%s %s: timed out after %v", name, strings.Join(args, " "), commandTimeout)
	}
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return string(out), nil
}

// runStdout runs name args with commandTimeout and returns its standard output
// alone, for output that is parsed; standard error is added to the error.
func runStdout(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("%s %s: timed out after %v", name, strings.Join(args, " "), commandTimeout)
	}
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// mustRun runs a command and fails the test, showing its output, if it fails.
func mustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := runCommand(name, args...)
	if err != nil {
		t.Fatalf("lab: %v\n%s", err, out)
	}
	return out
}

// mustIP runs `ip args...`.
func mustIP(t testing.TB, args ...string) string {
	t.Helper()
	return mustRun(t, "ip", args...)
}

// killNamespaceProcesses SIGKILLs every process whose network namespace is ns and
// waits (bounded) until none is left.
func killNamespaceProcesses(ns string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := runStdout("ip", "netns", "pids", ns)
		if err != nil {
			return fmt.Errorf("listing processes of namespace %s: %v", ns, err)
		}
		// This process is listed while one of its threads is inside ns (see
		// captureMarker.send); that thread leaves on its own.
		pids := slices.DeleteFunc(strings.Fields(out), func(p string) bool { return p == strconv.Itoa(os.Getpid()) })
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("namespace %s still has processes %v after SIGKILL", ns, pids)
		}
		for _, p := range pids {
			pid, err := strconv.Atoi(p)
			if err != nil {
				return fmt.Errorf("`ip netns pids %s` printed %q, not a pid", ns, p)
			}
			// ESRCH: it exited meanwhile; anything else shows up on the next round.
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// removeNamespaces kills the processes in each namespace, then deletes it. Errors
// are reported with t.Errorf so that every namespace is still attempted.
func removeNamespaces(t testing.TB, names []string) {
	t.Helper()
	for _, ns := range names {
		if err := killNamespaceProcesses(ns); err != nil {
			t.Errorf("lab cleanup: %v", err)
		}
	}
	for _, ns := range names {
		if out, err := runCommand("ip", "netns", "del", ns); err != nil {
			t.Errorf("lab cleanup: %v: %s", err, out)
		}
	}
}

// staleName matches namespaces created by this package: hv<pid>-<counter>-<role>.
var staleName = regexp.MustCompile(`^` + nsPrefix + `([0-9]+)-[0-9]+-[a-z0-9]+$`)

// reapStaleNamespaces runs reapStale once per test binary.
var reapStaleNamespaces = sync.OnceFunc(reapStale)

// reapStale deletes the lab namespaces left behind by test binaries that died
// without running their cleanups (for example on a `go test -timeout` panic). A
// namespace is stale when the pid in its name no longer exists; namespaces of live
// processes are never touched. It is best effort: failures leave the namespace.
func reapStale() {
	out, err := runStdout("ip", "netns", "list")
	if err != nil {
		return
	}
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		m := staleName.FindStringSubmatch(fields[0])
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
			continue
		}
		if killNamespaceProcesses(fields[0]) == nil {
			_, _ = runCommand("ip", "netns", "del", fields[0])
		}
	}
}

// ipAddrInfo is the part of `ip -j addr show` output the lab reads.
type ipAddrInfo struct {
	IfName   string `json:"ifname"`
	Address  string `json:"address"`
	AddrInfo []struct {
		Family    string `json:"family"`
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
		Scope     string `json:"scope"`
		Tentative bool   `json:"tentative"`
		DADFailed bool   `json:"dadfailed"`
	} `json:"addr_info"`
}

// addrs returns `ip -j addr show [dev iface]` in n's namespace.
func (n *Node) addrs(iface string) ([]ipAddrInfo, error) {
	args := []string{"-n", n.NS, "-j", "addr", "show"}
	if iface != "" {
		args = append(args, "dev", iface)
	}
	out, err := runCommand("ip", args...)
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	var links []ipAddrInfo
	if err := json.Unmarshal([]byte(out), &links); err != nil {
		return nil, fmt.Errorf("decoding `ip %s`: %v", strings.Join(args, " "), err)
	}
	return links, nil
}

// waitDAD waits until no IPv6 address in n is tentative, and fails on dadfailed.
func (n *Node) waitDAD(t testing.TB, timeout time.Duration) {
	t.Helper()
	var last string
	ok := Poll(timeout, pollEvery, func() bool {
		links, err := n.addrs("")
		if err != nil {
			t.Fatalf("lab: namespace %s: %v", n.NS, err)
		}
		// A link that is up but has no link-local yet has not started DAD.
		last = ""
		for _, l := range links {
			for _, a := range l.AddrInfo {
				if a.DADFailed {
					t.Fatalf("lab: namespace %s: %s %s/%d failed duplicate address detection", n.NS, l.IfName, a.Local, a.PrefixLen)
				}
				if a.Tentative {
					last = fmt.Sprintf("%s %s/%d", l.IfName, a.Local, a.PrefixLen)
					return false
				}
			}
		}
		return true
	})
	if !ok {
		t.Fatalf("lab: namespace %s: %s still tentative after %v", n.NS, last, timeout)
	}
}

// linkLocal returns iface's fe80::/10 address, polling briefly because the kernel
// adds it only once the link is up.
func (n *Node) linkLocal(t testing.TB, iface string) netip.Addr {
	t.Helper()
	var found netip.Addr
	ok := Poll(5*time.Second, pollEvery, func() bool {
		links, err := n.addrs(iface)
		if err != nil {
			t.Fatalf("lab: namespace %s: %v", n.NS, err)
		}
		for _, l := range links {
			for _, a := range l.AddrInfo {
				if a.Family != "inet6" || a.Scope != "link" {
					continue
				}
				if addr, err := netip.ParseAddr(a.Local); err == nil && addr.IsLinkLocalUnicast() {
					found = addr
					return true
				}
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("lab: namespace %s: %s has no IPv6 link-local address", n.NS, iface)
	}
	return found
}

// pollEvery is how often the lab's own waits call their condition.
const pollEvery = 10 * time.Millisecond

// Poll calls cond every interval until it returns true or timeout passes; it
// reports whether cond returned true.
func Poll(timeout, every time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(every)
	}
}

// Eventually polls cond every 10 ms and fails the test if it has not returned true
// within timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, pollEvery, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}
