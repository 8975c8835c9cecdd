package iproute2

import (
	"slices"
	"strings"
	"testing"
)

// setWords sets name/value option words (flags alone) with set and flag, stopping at the first
// error.
func setWords(words []string, set func(name, value string) error, flag func(name string) error) error {
	for i := 0; i < len(words); i++ {
		if flag != nil && slices.Contains(RouteFlags, words[i]) {
			if err := flag(words[i]); err != nil {
				return err
			}
			continue
		}
		if i+1 == len(words) {
			return set(words[i], "")
		}
		if err := set(words[i], words[i+1]); err != nil {
			return err
		}
		i++
	}
	return nil
}

// FuzzOptions feeds RouteOptions and RuleOptions arbitrary option words, as a config could write
// them: they must answer, never panic, and options accepted must print (Words) as words that
// parse back to the same options.
func FuzzOptions(f *testing.F) {
	for _, seed := range []string{
		"mtu 1400", "onlink", "realms 1/2", "rtt 10ms", "rttvar 3s", "rto_min 200msec", "features ecn",
		"congctl cubic", "tos 0x10", "hoplimit 300", "quickack 1", "initcwnd 0x10", "fastopen_no_cookie 1",
		"uidrange 1000-2000", "sport 80-90", "dport 443", "ipproto tcp", "suppress_prefixlength 0",
		"suppress_ifgroup default", "goto 100", "type blackhole", "protocol 4", "pref 1", "l3mdev 1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		words := strings.Fields(text)
		if len(words) > 16 {
			words = words[:16]
		}
		var route RouteOptions
		if setWords(words, route.Set, route.SetFlag) == nil {
			var again RouteOptions
			if err := setWords(route.Words(), again.Set, again.SetFlag); err != nil || again != route {
				t.Fatalf("route options %q print as %q, which parse to %+v, %v; want %+v", words, route.Words(), again, err, route)
			}
		}
		var rule RuleOptions
		if setWords(words, rule.Set, nil) == nil {
			var again RuleOptions
			if err := setWords(rule.Words(), again.Set, nil); err != nil || again != rule {
				t.Fatalf("rule options %q print as %q, which parse to %+v, %v; want %+v", words, rule.Words(), again, err, rule)
			}
		}
	})
}

// FuzzFwmark parses arbitrary fwmarks: an accepted one keeps its spelling and parses again alike.
func FuzzFwmark(f *testing.F) {
	for _, seed := range []string{"0x10/0xff", "7", "1/0", "0x", "/1", "4294967296"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fw, err := ParseFwmark(s)
		if err != nil {
			return
		}
		if fw.Word != s {
			t.Fatalf("ParseFwmark(%q) keeps %q", s, fw.Word)
		}
		if !strings.Contains(s, "/") && fw.Mask != 0xffffffff {
			t.Fatalf("ParseFwmark(%q): mask %#x without a mask", s, fw.Mask)
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
