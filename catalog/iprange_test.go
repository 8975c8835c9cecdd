package catalog

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseIPRanges(t *testing.T) {
	tests := []struct {
		in   string
		want string // addresses joined by ","
		err  string // exact error otherwise
	}{
		{"192.0.2.9", "192.0.2.9", ""},
		{"192.0.2.4-6,192.0.2.9", "192.0.2.4,192.0.2.5,192.0.2.6,192.0.2.9", ""},
		{"192.0.2.4-192.0.2.6", "192.0.2.4,192.0.2.5,192.0.2.6", ""},
		{"10.1.1.100-100", "10.1.1.100", ""},
		{" 192.0.2.1 , 192.0.2.3\t192.0.2.2 ", "192.0.2.1,192.0.2.3,192.0.2.2", ""},
		{"192.0.2.254-255", "192.0.2.254,192.0.2.255", ""},
		{"2001:db8::1f39-1f3b", "2001:db8::1f39,2001:db8::1f3a,2001:db8::1f3b", ""},
		{"2001:DB8:1ABC::1F39-1F3B", "2001:db8:1abc::1f39,2001:db8:1abc::1f3a,2001:db8:1abc::1f3b", ""},
		{"2001:db8::fffe-2001:db8::ffff", "2001:db8::fffe,2001:db8::ffff", ""},
		{"192.0.2.1,2001:db8::1", "192.0.2.1,2001:db8::1", ""},
		{"", "", "no addresses given: write addresses or ranges such as 192.0.2.4-6,192.0.2.9"},
		{" , ", "", "no addresses given: write addresses or ranges such as 192.0.2.4-6,192.0.2.9"},
		{"192.0.2.6-4", "", `"192.0.2.6-4": the range ends below its start`},
		{"192.0.2.300,192.0.2.1-x", "", `"192.0.2.300": "192.0.2.300" is not an IP address` + "\n" +
			`"192.0.2.1-x": range end "x" is not a last octet 0-255 or an IPv4 address`},
		{"192.0.2.1-256", "", `"192.0.2.1-256": range end "256" is not a last octet 0-255 or an IPv4 address`},
		{"192.0.2.1-", "", `"192.0.2.1-": range end "" is not a last octet 0-255 or an IPv4 address`},
		{"-5", "", `"-5": "" is not an IP address`},
		{"192.0.2.250-192.0.3.1", "", `"192.0.2.250-192.0.3.1": only the last octet may vary in a range: write it like 192.0.2.4-6`},
		{"2001:db8::1-2001:db9::2", "", `"2001:db8::1-2001:db9::2": only the last hextet may vary in a range: write it like 2001:db8::1f39-1f3b`},
		{"192.0.2.1-2001:db8::2", "", `"192.0.2.1-2001:db8::2": the range mixes IPv4 and IPv6`},
		{"2001:db8::1-10000", "", `"2001:db8::1-10000": range end "10000" is not a last hextet 0-ffff or an IPv6 address`},
		{"2001:db8::1-g", "", `"2001:db8::1-g": range end "g" is not a last hextet 0-ffff or an IPv6 address`},
		{"2001:db8::0-ffff", "", `"2001:db8::0-ffff": the range holds 65536 addresses, more than 1024`},
		{"fe80::1%eth0", "", `"fe80::1%eth0": zones (%eth0) are not allowed`},
		{"fe80::1-fe80::2%eth0", "", `"fe80::1-fe80::2%eth0": zones (%eth0) are not allowed`},
		{"192.0.2.4-6,192.0.2.5", "", `"192.0.2.5": address 192.0.2.5 is already listed by "192.0.2.4-6"`},
		{"192.0.2.1-2-3", "", `"192.0.2.1-2-3": range end "2-3" is not a last octet 0-255 or an IPv4 address`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseIPRanges(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error = %v\nwant    %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, a := range got {
				s = append(s, a.String())
			}
			if strings.Join(s, ",") != tt.want {
				t.Errorf("got %s, want %s", strings.Join(s, ","), tt.want)
			}
		})
	}
}

func TestParseIPRangesLimit(t *testing.T) {
	var entries []string
	for third := 0; third < 5; third++ {
		entries = append(entries, netip.AddrFrom4([4]byte{10, 0, byte(third), 0}).String()+"-255")
	}
	_, err := ParseIPRanges(strings.Join(entries, ","))
	if err == nil || !strings.Contains(err.Error(), "the list expands to more than 1024 addresses") {
		t.Fatalf("error = %v, want the expansion limit", err)
	}
	got, err := ParseIPRanges(strings.Join(entries[:4], ","))
	if err != nil || len(got) != 1024 {
		t.Fatalf("4 × 256 addresses: %d, %v", len(got), err)
	}
}
