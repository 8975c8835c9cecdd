package iproute2

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRouteOptionsSet(t *testing.T) {
	testDatabases(t)
	tests := []struct {
		name, value string
		want        RouteOptions
	}{
		{"tos", "0x10", RouteOptions{TOS: 0x10}},
		{"dsfield", "AF11", RouteOptions{TOS: 0x28}},
		{"realms", "3/4", RouteOptions{Realms: 3<<16 | 4}},
		{"realms", "cosmos/edge", RouteOptions{Realms: 7}},
		{"mtu", "1400", RouteOptions{MTU: 1400}},
		{"advmss", "1360", RouteOptions{AdvMSS: 1360}},
		{"reordering", "3", RouteOptions{Reordering: 3}},
		{"window", "65535", RouteOptions{Window: 65535}},
		{"cwnd", "10", RouteOptions{Cwnd: 10}},
		{"ssthresh", "20", RouteOptions{Ssthresh: 20}},
		{"initcwnd", "0x10", RouteOptions{InitCwnd: 16}},
		{"initrwnd", "40", RouteOptions{InitRwnd: 40}},
		{"hoplimit", "64", RouteOptions{Hoplimit: 64}},
		{"quickack", "1", RouteOptions{QuickACK: true}},
		{"quickack", "0", RouteOptions{}},
		{"fastopen_no_cookie", "1", RouteOptions{FastOpenNoCookie: true}},
		{"rtt", "80ms", RouteOptions{RTT: 640}}, // 1/8 ms
		{"rtt", "100", RouteOptions{RTT: 100}},  // a bare number is in the kernel's units
		{"rttvar", "1s", RouteOptions{RTTVar: 4000}},
		{"rttvar", "2secs", RouteOptions{RTTVar: 8000}},
		{"rto_min", "200msec", RouteOptions{RTOMin: 200}},
		{"features", "ecn", RouteOptions{ECN: true}},
		{"congctl", "cubic", RouteOptions{Congctl: "cubic"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.value, func(t *testing.T) {
			var got RouteOptions
			if err := got.Set(tt.name, tt.value); err != nil || got != tt.want {
				t.Fatalf("Set(%s, %s) = %+v, %v; want %+v", tt.name, tt.value, got, err, tt.want)
			}
		})
	}
	var flag RouteOptions
	if err := flag.SetFlag("onlink"); err != nil || flag != (RouteOptions{OnLink: true}) {
		t.Errorf("SetFlag(onlink) = %+v, %v", flag, err)
	}
}

func TestRouteOptionsErrors(t *testing.T) {
	testDatabases(t)
	tests := []struct {
		name, value string
		unsupported bool
		wantErr     string
	}{
		{"pref", "high", true, `option "pref" is not supported: the netlink library cannot send the IPv6 router preference`},
		{"expires", "60", true, `option "expires" is not supported`},
		{"encap", "mpls", true, `option "encap" is not supported: lightweight tunnel encapsulation is not implemented`},
		{"nexthop", "via", true, `option "nexthop" is not supported: nexthop lists are not implemented`},
		{"ttl-propagate", "enabled", true, `option "ttl-propagate" is not supported: MPLS routes`},
		{"bogus", "1", false, `unknown ip-route option "bogus"`},
		{"mtu", "big", false, "mtu big: want a whole number from 0 to 4294967295"},
		{"mtu", "4294967296", false, "mtu 4294967296: want a whole number from 0 to 4294967295"},
		{"hoplimit", "256", false, "hoplimit 256: want a whole number from 0 to 255"},
		{"quickack", "2", false, "quickack 2: want a whole number from 0 to 1"},
		{"fastopen_no_cookie", "yes", false, "fastopen_no_cookie yes: want a whole number from 0 to 1"},
		{"features", "sack", false, `features sack: the only feature is "ecn"`},
		{"rtt", "3min", false, `rtt 3min: unknown unit "min" (want s or ms)`},
		{"rttvar", "ms", false, "rttvar ms: want a whole number with an optional unit s or ms"},
		{"rtt", "1000000s", false, "rtt 1000000s: too large"},
		{"realms", "nowhere/edge", false, `realms nowhere/edge: realm "nowhere": neither`},
		{"realms", "300/1", false, `realms 300/1: realm "300": 300 is out of range (0-255)`},
		{"tos", "fast", false, "tos fast: neither a number nor a name known to iproute2 (rt_dsfield"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.value, func(t *testing.T) {
			var o RouteOptions
			err := o.Set(tt.name, tt.value)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Set(%s, %s) error = %v, want one containing %q", tt.name, tt.value, err, tt.wantErr)
			}
			var unsupported *UnsupportedError
			if errors.As(err, &unsupported) != tt.unsupported {
				t.Errorf("Set(%s, %s) error %v: unsupported %v, want %v", tt.name, tt.value, err, !tt.unsupported, tt.unsupported)
			}
		})
	}
	var o RouteOptions
	var unsupported *UnsupportedError
	if err := o.SetFlag("pervasive"); !errors.As(err, &unsupported) || !strings.Contains(err.Error(), "pervasive nexthop flag") {
		t.Errorf("SetFlag(pervasive) = %v, want it unsupported", err)
	}
	if err := o.SetFlag("mtu"); err == nil || errors.As(err, &unsupported) {
		t.Errorf("SetFlag(mtu) = %v, want an unknown flag", err)
	}
}

func TestRouteType(t *testing.T) {
	tests := []struct {
		name string
		want uint8
	}{
		{"unicast", unix.RTN_UNICAST}, {"local", unix.RTN_LOCAL}, {"broadcast", unix.RTN_BROADCAST},
		{"anycast", unix.RTN_ANYCAST}, {"multicast", unix.RTN_MULTICAST}, {"blackhole", unix.RTN_BLACKHOLE},
		{"unreachable", unix.RTN_UNREACHABLE}, {"prohibit", unix.RTN_PROHIBIT}, {"throw", unix.RTN_THROW},
	}
	for _, tt := range tests {
		got, err := RouteType(tt.name)
		if err != nil || got != tt.want {
			t.Errorf("RouteType(%s) = %d, %v; want %d", tt.name, got, err, tt.want)
		}
		if name := RouteTypeName(got); name != tt.name {
			t.Errorf("RouteTypeName(%d) = %s, want %s", got, name, tt.name)
		}
	}
	var unsupported *UnsupportedError
	if _, err := RouteType("nat"); !errors.As(err, &unsupported) || !strings.Contains(err.Error(), "Linux no longer implements route NAT") {
		t.Errorf("RouteType(nat) = %v, want it unsupported", err)
	}
	if _, err := RouteType("bogus"); err == nil || !strings.Contains(err.Error(), `unknown type "bogus" (want unicast, local,`) {
		t.Errorf("RouteType(bogus) = %v", err)
	}
	if RouteTypeName(0) != "unicast" || RouteTypeName(200) != "200" {
		t.Errorf("RouteTypeName(0), (200) = %s, %s", RouteTypeName(0), RouteTypeName(200))
	}
}

func TestDefaultScope(t *testing.T) {
	tests := []struct{ typ, want uint8 }{
		{0, unix.RT_SCOPE_UNIVERSE}, {unix.RTN_UNICAST, unix.RT_SCOPE_UNIVERSE}, {unix.RTN_BLACKHOLE, unix.RT_SCOPE_UNIVERSE},
		{unix.RTN_LOCAL, unix.RT_SCOPE_HOST}, {unix.RTN_BROADCAST, unix.RT_SCOPE_LINK}, {unix.RTN_ANYCAST, unix.RT_SCOPE_LINK},
	}
	for _, tt := range tests {
		if got := DefaultScope(tt.typ); got != tt.want {
			t.Errorf("DefaultScope(%d) = %d, want %d", tt.typ, got, tt.want)
		}
	}
}

func TestRouteOptionsWords(t *testing.T) {
	o := RouteOptions{TOS: 0x10, Realms: 7, MTU: 1400, Hoplimit: 64, QuickACK: true, RTT: 640, ECN: true, Congctl: "cubic", OnLink: true}
	want := "tos 16 realms 7 mtu 1400 hoplimit 64 quickack 1 rtt 640 features ecn congctl cubic onlink"
	if got := strings.Join(o.Words(), " "); got != want {
		t.Errorf("Words() = %q, want %q", got, want)
	}
	if w := (RouteOptions{}).Words(); len(w) != 0 {
		t.Errorf("no options print as %q", w)
	}
}
