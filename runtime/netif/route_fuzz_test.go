package netif

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzRouteCheck feeds Route.Check and Rule.Check arbitrary option words
// and values, as a config could write them: they must answer, never panic,
// and an accepted route or rule must print (String) without panicking and
// be accepted again when checked twice.
func FuzzRouteCheck(f *testing.F) {
	for _, seed := range []string{
		"mtu 1400", "onlink", "table 100", "table main", "realms 1/2", "rtt 10ms", "rttvar 3s",
		"features ecn", "congctl cubic", "tos 0x10", "hoplimit 300", "quickack 2", "initcwnd 0x10",
		"fwmark 0x10/0xff", "uidrange 1000-2000", "sport 80-90", "dport 443", "ipproto tcp",
		"suppress_prefixlength 0", "goto 100", "type blackhole", "protocol 4", "pref 1", "l3mdev 1",
	} {
		f.Add(seed, "192.0.2.0/24")
	}
	f.Add("via", "2001:db8::/64")
	f.Fuzz(func(t *testing.T, words, dst string) {
		fields := strings.Fields(words)
		if len(fields) > 16 {
			fields = fields[:16]
		}
		prefix, err := netip.ParsePrefix(dst)
		if err != nil {
			prefix = netip.MustParsePrefix("192.0.2.0/24")
		}
		route := Route{Dst: prefix.Masked(), Options: fields}
		if len(fields) >= 2 && fields[0] == "table" {
			route.Table, route.Options = fields[1], fields[2:]
		}
		if route.Check() == nil {
			_ = route.String()
			if err := route.Check(); err != nil {
				t.Fatalf("route %+v accepted once, refused again: %v", route, err)
			}
		}
		if len(fields)%2 == 1 {
			fields = fields[:len(fields)-1]
		}
		rule := Rule{From: prefix.Masked(), Table: "100", Options: fields}
		if rule.Check() == nil {
			_ = rule.String()
		}
	})
}

// FuzzLookupName reads arbitrary iproute2 database files: scanName must
// answer, and a name it finds must be in the file.
func FuzzLookupName(f *testing.F) {
	f.Add("255\tlocal\n254\tmain\n# comment\n0x64 web\n", "web")
	f.Add("1 a b\n\n#x\n2", "a")
	f.Fuzz(func(t *testing.T, data, name string) {
		if name == "" || strings.ContainsAny(name, " \t\r\n#") {
			return
		}
		id, found, err := scanName(strings.NewReader(data), "rt_tables", name)
		if err != nil || !found {
			return
		}
		if !strings.Contains(data, name) {
			t.Fatalf("found %q (id %d) in a file that does not contain it", name, id)
		}
	})
}
