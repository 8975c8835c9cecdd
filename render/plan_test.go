package render

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func addrs(t testing.TB, ss ...string) []netip.Addr {
	t.Helper()
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// seqAddrs returns n IPv4 (or IPv6) addresses counting up from 198.51.100.0 (2001:db8::).
func seqAddrs(n int, v6 bool) []netip.Addr {
	a := netip.MustParseAddr("198.51.100.0")
	if v6 {
		a = netip.MustParseAddr("2001:db8::")
	}
	out := make([]netip.Addr, n)
	for i := range out {
		a = a.Next()
		out[i] = a
	}
	return out
}

func groupSizes(groups [][]netip.Addr) []int {
	sizes := make([]int, len(groups))
	for i, g := range groups {
		sizes[i] = len(g)
	}
	return sizes
}

func TestGroupVIPs(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		groups int
		want   []int
	}{
		{"7 VIPs in 3 groups", 7, 3, []int{3, 2, 2}},
		{"6 VIPs in 3 groups", 6, 3, []int{2, 2, 2}},
		{"8 VIPs in 3 groups", 8, 3, []int{3, 3, 2}},
		{"no groups: one per VIP", 3, 0, []int{1, 1, 1}},
		{"negative groups: one per VIP", 2, -1, []int{1, 1}},
		{"more groups than VIPs", 2, 5, []int{1, 1}},
		{"one group", 4, 1, []int{4}},
		{"no VIPs", 0, 3, []int{}},
		{"300 VIPs in 2 groups", 300, 2, []int{150, 150}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vips := seqAddrs(tt.n, false)
			got := GroupVIPs(vips, tt.groups)
			if !slices.Equal(groupSizes(got), tt.want) {
				t.Fatalf("GroupVIPs(%d VIPs, %d) sizes = %v, want %v", tt.n, tt.groups, groupSizes(got), tt.want)
			}
			if flat := slices.Concat(got...); !slices.Equal(flat, vips) {
				t.Fatalf("groups do not keep the VIPs in order: %v", flat)
			}
		})
	}
}

func TestAssignVRIDs(t *testing.T) {
	tests := []struct {
		name     string
		count    int
		offset   int
		excluded []int
		want     []int
		wantErr  string
	}{
		{"default offset", 3, 10, nil, []int{11, 12, 13}, ""},
		{"offset 0 starts at 1", 2, 0, nil, []int{1, 2}, ""},
		{"an exclusion shifts this and later groups", 4, 20, []int{21, 23}, []int{22, 24, 25, 26}, ""},
		{"consecutive exclusions", 2, 10, []int{11, 12, 13}, []int{14, 15}, ""},
		{"exclusions outside the range change nothing", 2, 10, []int{5, 200}, []int{11, 12}, ""},
		{"exactly up to 255", 255, 0, nil, nil, ""},
		{"256 groups do not fit", 256, 0, nil, nil, "VIP group 256 of 256 would need VRID 256, past 255"},
		{"offset pushes past 255", 3, 253, nil, nil, "only 2 groups fit"},
		{"exclusion pushes past 255", 2, 253, []int{255}, nil, "VIP group 2 of 2 would need VRID 256"},
		{"offset out of range", 1, 255, nil, nil, "VRID offset 255 is out of range"},
		{"negative offset", 1, -1, nil, nil, "VRID offset -1 is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AssignVRIDs(tt.count, tt.offset, tt.excluded)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("AssignVRIDs error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("AssignVRIDs: %v", err)
			}
			if len(got) != tt.count {
				t.Fatalf("got %d VRIDs, want %d", len(got), tt.count)
			}
			if tt.want != nil && !slices.Equal(got, tt.want) {
				t.Fatalf("AssignVRIDs = %v, want %v", got, tt.want)
			}
			for i, id := range got {
				if id < 1 || id > MaxVRID || slices.Contains(tt.excluded, id) || (i > 0 && id <= got[i-1]) {
					t.Fatalf("VRID %d at %d is invalid, excluded or not increasing: %v", id, i, got)
				}
			}
		})
	}
}

func TestParseVRIDList(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr []string
	}{
		{"", nil, nil},
		{"20", []int{20}, nil},
		{"23 21,22  21", []int{21, 22, 23}, nil},
		{"1,255", []int{1, 255}, nil},
		{"0 256 x 12", nil, []string{`"0"`, `"256"`, `"x"`}},
		{"-3", nil, []string{`"-3"`}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseVRIDList(tt.in)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("ParseVRIDList(%q) = %v, want an error", tt.in, got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not report %s", err, w)
					}
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ParseVRIDList(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestSplitFamilies(t *testing.T) {
	tests := []struct {
		name    string
		in      []netip.Addr
		want    string
		wantErr string
	}{
		{"IPv4 only", addrs(t, "192.0.2.1", "192.0.2.2"), "4:[192.0.2.1 192.0.2.2]", ""},
		{"IPv6 only", addrs(t, "2001:db8::1"), "6:[2001:db8::1]", ""},
		{"mixed keeps order within a family", addrs(t, "2001:db8::2", "192.0.2.9", "2001:db8::1", "192.0.2.1"),
			"4:[192.0.2.9 192.0.2.1] 6:[2001:db8::2 2001:db8::1]", ""},
		{"empty", nil, "", ""},
		{"255 IPv4 fit", seqAddrs(255, false), "4:255", ""},
		{"256 IPv4 do not", seqAddrs(256, false), "", "256 IPv4 addresses in one VRRP instance"},
		{"83 IPv6 fit", seqAddrs(83, true), "6:83", ""},
		{"84 IPv6 do not", seqAddrs(84, true), "", "84 IPv6 addresses in one VRRP instance"},
		{"duplicate", addrs(t, "192.0.2.1", "192.0.2.1"), "", "192.0.2.1 is listed more than once"},
		{"zone", addrs(t, "fe80::1%eth0"), "", "has a zone"},
		{"IPv4-mapped", addrs(t, "::ffff:192.0.2.1"), "", "write it as 192.0.2.1"},
		{"invalid", []netip.Addr{{}}, "", "an empty address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitFamilies(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SplitFamilies error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("SplitFamilies: %v", err)
			}
			var parts []string
			for _, f := range got {
				if f.IsIPv6() != (f.Family == 6) {
					t.Fatalf("IsIPv6 disagrees with Family %d", f.Family)
				}
				if len(f.Addrs) > 5 {
					parts = append(parts, fmt.Sprintf("%d:%d", f.Family, len(f.Addrs)))
				} else {
					parts = append(parts, fmt.Sprintf("%d:%v", f.Family, f.Addrs))
				}
			}
			if s := strings.Join(parts, " "); s != tt.want {
				t.Fatalf("SplitFamilies = %s, want %s", s, tt.want)
			}
		})
	}
}

func TestNodePriority(t *testing.T) {
	tests := []struct {
		name    string
		self    string
		peers   []string
		want    int
		wantErr bool
	}{
		{"no peers: 100 + last byte mod 128", "192.0.2.7", nil, 107, false},
		{"no peers, last byte above 127", "192.0.2.200", nil, 172, false},
		{"IPv6 last byte", "2001:db8::1f", nil, 131, false},
		{"lowest of three", "192.0.2.1", []string{"192.0.2.2", "192.0.2.3"}, 100, false},
		{"highest of three", "192.0.2.3", []string{"192.0.2.1", "192.0.2.2"}, 102, false},
		{"self listed among the peers", "192.0.2.2", []string{"192.0.2.3", "192.0.2.2", "192.0.2.1"}, 101, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NodePriority(netip.MustParseAddr(tt.self), addrs(t, tt.peers...))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("NodePriority = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
	t.Run("too many peers", func(t *testing.T) {
		peers := seqAddrs(156, false)
		if _, err := NodePriority(peers[155], peers); err == nil || !strings.Contains(err.Error(), "156 nodes") {
			t.Fatalf("NodePriority with 156 nodes: error = %v", err)
		}
		if p, err := NodePriority(peers[154], peers[:155]); err != nil || p != MaxPriority {
			t.Fatalf("NodePriority with 155 nodes, highest = %d, %v; want %d", p, err, MaxPriority)
		}
	})
	t.Run("host name fallback is stable and in range", func(t *testing.T) {
		a, b := HostnamePriority("node-a"), HostnamePriority("node-a")
		if a != b || a < basePriority || a >= basePriority+slotCount {
			t.Fatalf("HostnamePriority = %d, %d", a, b)
		}
	})
}

func TestFailoverPriority(t *testing.T) {
	tests := []struct {
		slot, group, replicas int
		want                  int
	}{
		{5, 0, 1, 254},
		{5, 3, 1, 254},
		{0, 0, 2, 254}, // preferred group 0
		{0, 1, 2, 190},
		{1, 0, 2, 190}, // preferred group 1
		{1, 1, 2, 254},
		{1, 2, 2, 190},
		{2, 0, 3, 212}, // preferred 2: distance (0-2) mod 3 = 1, spacing 128/3 = 42
		{2, 2, 3, 254},
		{2, 1, 3, 170}, // distance (1-2) mod 3 = 2
		{127, 0, 128, 254 - 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("slot%d_group%d_of%d", tt.slot, tt.group, tt.replicas), func(t *testing.T) {
			got, err := FailoverPriority(tt.slot, tt.group, tt.replicas)
			if err != nil {
				t.Fatal(err)
			}
			preferred := tt.slot % tt.replicas
			distance := ((tt.group-preferred)%tt.replicas + tt.replicas) % tt.replicas
			if want := 254 - distance*(128/tt.replicas); got != want || got != tt.want {
				t.Fatalf("FailoverPriority(%d, %d, %d) = %d, want %d (table %d)", tt.slot, tt.group, tt.replicas, got, want, tt.want)
			}
		})
	}
	// Every group has exactly one preferred (254) slot per replica set.
	for replicas := 1; replicas <= 5; replicas++ {
		for group := range 10 {
			top := 0
			for slot := range replicas {
				if p, _ := FailoverPriority(slot, group, replicas); p == MaxPriority {
					top++
				}
			}
			if top != 1 {
				t.Fatalf("replicas %d group %d: %d slots at priority 254, want 1", replicas, group, top)
			}
		}
	}
	for _, bad := range []int{0, -1, 129} {
		if _, err := FailoverPriority(0, 0, bad); err == nil {
			t.Errorf("FailoverPriority with %d replicas: no error", bad)
		}
	}
}

func TestPeersFor(t *testing.T) {
	peers := addrs(t, "192.0.2.1", "2001:db8::1", "192.0.2.2", "192.0.2.1", "2001:db8::2")
	own := addrs(t, "192.0.2.2", "2001:db8::2")
	if got := PeersFor(4, peers, own); !slices.Equal(got, addrs(t, "192.0.2.1")) {
		t.Errorf("PeersFor(4) = %v", got)
	}
	if got := PeersFor(6, peers, own); !slices.Equal(got, addrs(t, "2001:db8::1")) {
		t.Errorf("PeersFor(6) = %v", got)
	}
	if got := PeersFor(4, peers, nil); !slices.Equal(got, addrs(t, "192.0.2.1", "192.0.2.2")) {
		t.Errorf("PeersFor(4, no own) = %v", got)
	}
	if got := PeersFor(6, addrs(t, "fe80::1", "fe80::2"), addrs(t, "fe80::1%eth0")); !slices.Equal(got, addrs(t, "fe80::2")) {
		t.Errorf("PeersFor(6) with a zoned own address = %v", got)
	}
	if got := PeersFor(6, nil, own); got != nil {
		t.Errorf("PeersFor(6, no peers) = %v", got)
	}
}

func TestParsePreemption(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"nopreempt", "nopreempt", true},
		{" preempt ", "", true},
		{"preempt_delay 300", "preempt_delay 300", true},
		{"preempt_delay   0", "preempt_delay 0", true},
		{"preempt_delay 1000", "preempt_delay 1000", true},
		{"preempt_delay 1001", "", false},
		{"preempt_delay -1", "", false},
		{"preempt_delay", "", false},
		{"nopreempt\nvrrp_instance x {", "", false},
		{"nopreempt extra", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePreemption(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("ParsePreemption(%q) = %q, %v", tt.in, got, err)
			}
			if err != nil && !strings.Contains(err.Error(), "nopreempt, preempt, preempt_delay N") {
				t.Fatalf("error %q does not say what is valid", err)
			}
		})
	}
}

func TestScrubName(t *testing.T) {
	tests := map[string]string{
		"OpenShift-IPFailover": "OpenShift_IPFailover",
		"a.b c{d}":             "abcd",
		"__x__":                "__x__",
		"":                     "havip",
		"{}#":                  "havip",
	}
	for in, want := range tests {
		if got := ScrubName(in); got != want {
			t.Errorf("ScrubName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTCPProbeCommand(t *testing.T) {
	tests := []struct {
		probe, host string
		port        int64
		want        string
		wantErr     string
	}{
		{"/usr/local/bin/havip", "127.0.0.1", 80, "/usr/local/bin/havip probe tcp 127.0.0.1:80", ""},
		{"/bin/true", "2001:db8::1", 8080, "/bin/true probe tcp [2001:db8::1]:8080", ""},
		{"/x", "fe80::1%eth0", 1, "/x probe tcp [fe80::1]:1", ""},
		{"havip", "127.0.0.1", 80, "", "absolute path"},
		{"/usr/local/my bin/havip", "127.0.0.1", 80, "", "without spaces"},
		{"/x\"y", "127.0.0.1", 80, "", "could change the config's structure"},
		{"/x", "127.0.0.1", 0, "", "0 disables the check"},
		{"/x", "127.0.0.1", 65536, "", "1..65535"},
		{"/x", "", 80, "", "no host address"},
	}
	for _, tt := range tests {
		t.Run(tt.want+tt.wantErr, func(t *testing.T) {
			var host netip.Addr
			if tt.host != "" {
				host = netip.MustParseAddr(tt.host)
			}
			got, err := TCPProbeCommand(tt.probe, host, tt.port)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("TCPProbeCommand = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestFactsPrimary(t *testing.T) {
	f := Facts{Addresses: addrs(t, "fe80::1%eth0", "192.0.2.5", "2001:db8::5", "198.51.100.1")}
	if got := f.Primary(4); got != netip.MustParseAddr("192.0.2.5") {
		t.Errorf("Primary(4) = %v", got)
	}
	if got := f.Primary(6); got != netip.MustParseAddr("2001:db8::5") {
		t.Errorf("Primary(6) = %v, want the global address before the link-local one", got)
	}
	ll := Facts{Addresses: addrs(t, "fe80::1%eth0")}
	if got := ll.Primary(6); got != netip.MustParseAddr("fe80::1") {
		t.Errorf("Primary(6) of a link-local-only node = %v, want fe80::1 without zone", got)
	}
	if got := ll.Primary(4); got.IsValid() {
		t.Errorf("Primary(4) of an IPv6-only node = %v, want none", got)
	}
}

func TestLocalFactsMissingInterface(t *testing.T) {
	f, err := LocalFacts("hvnoexist0")
	if err != nil {
		t.Fatalf("LocalFacts of a missing interface: %v", err)
	}
	if f.Hostname == "" || len(f.Addresses) != 0 {
		t.Fatalf("LocalFacts = %+v, want the host name and no addresses", f)
	}
	lo, err := LocalFacts("lo")
	if err != nil || !slices.Contains(lo.Addresses, netip.MustParseAddr("127.0.0.1")) {
		t.Fatalf("LocalFacts(lo) = %+v, %v; want 127.0.0.1 among the addresses", lo, err)
	}
}
