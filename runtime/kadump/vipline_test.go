package kadump

import (
	"bufio"
	"net/netip"
	"strings"
	"testing"

	"github.com/havip/havip/config"
)

// TestVIPLine checks address lines against what keepalived 2.2.7 wrote to
// keepalived.data for the same virtual_ipaddress(_excluded) entries, each
// installed ("set").
func TestVIPLine(t *testing.T) {
	for _, tc := range []struct{ entry, want string }{
		{"192.0.2.100", "192.0.2.100 dev eth0 scope global set"},
		{"192.0.2.101/24 brd +", "192.0.2.101/24 brd 192.0.2.255 dev eth0 scope global set"},
		{"192.0.2.102/25 brd -", "192.0.2.102/25 brd 192.0.2.0 dev eth0 scope global set"},
		{"192.0.2.103/24 brd 192.0.2.7 label eth0:x", "192.0.2.103/24 brd 192.0.2.7 dev eth0 scope global label eth0:x set"},
		{"192.0.2.104 peer 198.51.100.1", "192.0.2.104 dev eth0 scope global peer 198.51.100.1/32 set"},
		{"192.0.2.105/32 brd +", "192.0.2.105 dev eth0 scope global set"},
		{"192.0.2.106/24 home -nodad mngtmpaddr noprefixroute no_track", "192.0.2.106/24 dev eth0 scope global home -nodad mngtmpaddr noprefixroute no_track set"},
		{"192.0.2.107/24 peer 198.51.100.2", "192.0.2.107 dev eth0 scope global peer 198.51.100.2/32 set"},
		{"192.0.2.108 brd + peer 198.51.100.3", "192.0.2.108 dev eth0 scope global peer 198.51.100.3/32 set"},
		{"2001:db8::100/128", "2001:db8::100 dev eth0 scope global deprecated set"},
		{"2001:db8::101/64", "2001:db8::101/64 dev eth0 scope global preferred_lft forever set"},
		{"2001:db8::102/64 preferred_lft 300", "2001:db8::102/64 dev eth0 scope global preferred_lft 300 set"},
		{"2001:db8::103/128 preferred_lft forever", "2001:db8::103 dev eth0 scope global preferred_lft forever set"},
		{"2001:db8::104/64 preferred_lft 0", "2001:db8::104/64 dev eth0 scope global deprecated set"},
		{"2001:db8::105/64 scope link label foo", "2001:db8::105/64 dev eth0 scope global preferred_lft forever set"},
	} {
		src := "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 192.0.2.1\n }\n virtual_ipaddress_excluded {\n " + tc.entry + "\n }\n}\n"
		cfg, diags := config.ParseBytes("/t/keepalived.conf", []byte(src), config.Options{})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tc.entry, diags.Err())
		}
		ev := cfg.Instances[0].ExcludedAddresses
		if len(ev) != 1 {
			t.Fatalf("%s: %d eVIPs", tc.entry, len(ev))
		}
		if got := vipLine(ev[0], "eth0", "", true); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.entry, got, tc.want)
		}
	}
	if got := vipLine(config.VirtualAddress{Prefix: netip.MustParsePrefix("192.0.2.9/24")}, "eth0", "", false); strings.HasSuffix(got, " set") {
		t.Errorf("an address not installed is printed %q", got)
	}
}

// TestGlobalVMACPrefixes checks the global lines keepalived 2.2.7 writes
// for vmac_prefix and vmac_addr_prefix, and that none is written without.
func TestGlobalVMACPrefixes(t *testing.T) {
	for _, tc := range []struct{ globals, want string }{
		{"vmac_prefix vx\n vmac_addr_prefix va", " Script security disabled\n VMAC prefix = vx\n VMAC address prefix = va\n"},
		{"vmac_addr_prefix va", " Script security disabled\n VMAC address prefix = va\n"},
		{"router_id r1", " Script security disabled\n"},
	} {
		src := "global_defs {\n " + tc.globals + "\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 192.0.2.1\n }\n}\n"
		cfg, diags := config.ParseBytes("/t/keepalived.conf", []byte(src), config.Options{})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tc.globals, diags.Err())
		}
		var out strings.Builder
		w := bufio.NewWriter(&out)
		writeGlobal(w, cfg)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(out.String(), tc.want) {
			t.Errorf("%s: the global section ends\n%s\nwant it to end\n%s", tc.globals, out.String(), tc.want)
		}
	}
}
