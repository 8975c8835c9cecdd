package firewall

import (
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/nftables"

	"github.com/havip/havip/internal/testenv"
	"github.com/havip/havip/test/lab"
)

// newNamespace returns a lone namespace and options selecting it for Open.
func newNamespace(t *testing.T) (*lab.Node, nftables.ConnOption) {
	t.Helper()
	testenv.RequireRoot(t, "nftables in a network namespace")
	testenv.RequireCommand(t, "nft", "nftables")
	host := lab.NewHost(t, "eth0")
	ns, err := os.Open("/var/run/netns/" + host.NS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return host, nftables.WithNetNSFd(int(ns.Fd()))
}

// squeeze collapses the blanks of nft's output, for comparisons.
func squeeze(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func TestTableLifecycle(t *testing.T) {
	host, inNS := newNamespace(t)
	fw, err := Open(inNS)
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Drop(netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("192.0.2.11"), netip.MustParseAddr("2001:db8::10")); err != nil {
		t.Fatal(err)
	}
	got := squeeze(host.Exec(t, "nft", "list", "table", "inet", "havip"))
	for _, want := range []string{
		"set vips4 { type ipv4_addr elements = { 192.0.2.10, 192.0.2.11 } }",
		"set vips6 { type ipv6_addr elements = { 2001:db8::10 } }",
		"chain in { type filter hook input priority filter - 1; policy accept; icmpv6 type 135-136 accept ip6 daddr fe80::/10 accept ip daddr @vips4 drop ip6 daddr @vips6 drop }",
		"chain out { type filter hook output priority filter - 1; policy accept; icmpv6 type 135-136 accept ip6 saddr fe80::/10 accept ip saddr @vips4 drop ip6 saddr @vips6 drop }",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("nft list table inet havip lacks\n%s\nin\n%s", want, got)
		}
	}

	// Dropped twice, allowed once: still dropped; allowed again: gone.
	a := netip.MustParseAddr("192.0.2.11")
	if err := fw.Drop(a); err != nil {
		t.Fatal(err)
	}
	if err := fw.Allow(a, netip.MustParseAddr("2001:db8::10"), netip.MustParseAddr("192.0.2.99")); err != nil {
		t.Fatal(err)
	}
	got = squeeze(host.Exec(t, "nft", "list", "set", "inet", "havip", "vips4"))
	if !strings.Contains(got, "elements = { 192.0.2.10, 192.0.2.11 }") {
		t.Errorf("after one Allow of an address dropped twice: %s", got)
	}
	if err := fw.Allow(a); err != nil {
		t.Fatal(err)
	}
	got = squeeze(host.Exec(t, "nft", "list", "table", "inet", "havip"))
	if !strings.Contains(got, "set vips4 { type ipv4_addr elements = { 192.0.2.10 } }") || !strings.Contains(got, "set vips6 { type ipv6_addr }") {
		t.Errorf("after Allow: %s", got)
	}

	// A havip that crashed leaves its table: the next Open replaces it.
	again, err := Open(inNS)
	if err != nil {
		t.Fatalf("Open over a stale table: %v", err)
	}
	got = squeeze(host.Exec(t, "nft", "list", "table", "inet", "havip"))
	if strings.Contains(got, "192.0.2.10") || strings.Count(got, "chain ") != 2 {
		t.Errorf("the stale table was not replaced: %s", got)
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
	if tables := host.Exec(t, "nft", "list", "tables"); strings.Contains(tables, "havip") {
		t.Errorf("table left after Close: %s", tables)
	}

	// RemoveStale on a namespace with a stale table, then without one.
	if _, err := Open(inNS); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := RemoveStale(inNS); err != nil {
			t.Fatal(err)
		}
	}
	if tables := host.Exec(t, "nft", "list", "tables"); strings.Contains(tables, "havip") {
		t.Errorf("table left after RemoveStale: %s", tables)
	}
}

func TestAcceptVRRP(t *testing.T) {
	host, inNS := newNamespace(t)
	// The host's firewall, as iptables-nft makes it: table ip filter, chain INPUT, policy drop.
	host.Exec(t, "nft", "add table ip filter")
	host.Exec(t, "nft", "add chain ip filter INPUT { type filter hook input priority filter; policy drop; }")
	host.Exec(t, "nft", "add rule ip filter INPUT tcp dport 22 accept")
	fw, err := Open(inNS)
	if err != nil {
		t.Fatal(err)
	}
	rule := regexp.MustCompile(`meta l4proto vrrp accept comment "havip: accept VRRP"`)
	for range 2 { // a second call (a restart) replaces the first rule
		if err := fw.AcceptVRRP(Chain{Family: nftables.TableFamilyIPv4, Table: "filter", Name: "INPUT"}, false); err != nil {
			t.Fatal(err)
		}
	}
	got := squeeze(host.Exec(t, "nft", "list", "chain", "ip", "filter", "INPUT"))
	if n := len(rule.FindAllString(got, -1)); n != 1 {
		t.Fatalf("%d VRRP accept rules, want 1:\n%s", n, got)
	}
	if !strings.Contains(got, "policy drop; meta l4proto vrrp accept") {
		t.Errorf("the VRRP accept rule is not first:\n%s", got)
	}
	// Another havip run finds the rule its predecessor left and replaces it.
	next, err := Open(inNS)
	if err != nil {
		t.Fatal(err)
	}
	if err := next.AcceptVRRP(Chain{Family: nftables.TableFamilyIPv4, Table: "filter", Name: "INPUT"}, false); err != nil {
		t.Fatal(err)
	}
	if n := len(rule.FindAllString(host.Exec(t, "nft", "list", "chain", "ip", "filter", "INPUT"), -1)); n != 1 {
		t.Fatalf("%d VRRP accept rules after a restart, want 1", n)
	}
	// With AH instances, IPsec-AH is accepted too; without them again, only VRRP.
	ahRule := regexp.MustCompile(`meta l4proto ah accept comment "havip: accept VRRP"`)
	for _, ah := range []bool{true, false} {
		if err := next.AcceptVRRP(Chain{Family: nftables.TableFamilyIPv4, Table: "filter", Name: "INPUT"}, ah); err != nil {
			t.Fatal(err)
		}
		got := host.Exec(t, "nft", "list", "chain", "ip", "filter", "INPUT")
		want := 0
		if ah {
			want = 1
		}
		if n, m := len(rule.FindAllString(got, -1)), len(ahRule.FindAllString(got, -1)); n != 1 || m != want {
			t.Fatalf("ah=%v: %d VRRP and %d AH accept rules, want 1 and %d:\n%s", ah, n, m, want, got)
		}
	}
	if err := next.Close(); err != nil {
		t.Fatal(err)
	}
	got = squeeze(host.Exec(t, "nft", "list", "chain", "ip", "filter", "INPUT"))
	if rule.MatchString(got) || !strings.Contains(got, "tcp dport 22 accept") {
		t.Errorf("after Close, want the host's chain as it was:\n%s", got)
	}
	if err := fw.AcceptVRRP(Chain{Family: nftables.TableFamilyIPv4, Table: "filter", Name: "NOSUCH"}, false); err == nil || !strings.Contains(err.Error(), "chain ip filter NOSUCH") {
		t.Errorf("AcceptVRRP on a missing chain: %v", err)
	}
}

func TestParseChain(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"INPUT", "ip filter INPUT", ""},
		{"inet filter input", "inet filter input", ""},
		{" ip6  filter  INPUT ", "ip6 filter INPUT", ""},
		{"arp filter input", "", `family "arp" must be ip, ip6 or inet`},
		{"filter INPUT", "", "want CHAIN (of iptables' filter table) or FAMILY TABLE CHAIN"},
		{"", "", "want CHAIN"},
	}
	for _, tc := range tests {
		c, err := ParseChain(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseChain(%q) error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || c.String() != tc.want):
			t.Errorf("ParseChain(%q) = %v, %v; want %s", tc.in, c, err, tc.want)
		}
	}
}
