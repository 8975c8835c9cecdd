package config

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// parseTimer parses a keepalived TIMER: decimal seconds with microsecond
// resolution.
func parseTimer(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(s, "xXpP_") {
		return 0, fmt.Errorf("%q is not a number of seconds", s)
	}
	if f < 0 || f > 1e9 {
		return 0, fmt.Errorf("%q is out of range (0 to 1e9 seconds)", s)
	}
	return time.Duration(math.Round(f*1e6)) * time.Microsecond, nil
}

// formatTimer prints a duration as decimal seconds.
func formatTimer(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	sec, frac := int64(d/time.Second), int64(d%time.Second)
	if frac == 0 {
		return sign + strconv.FormatInt(sec, 10)
	}
	// Exact decimals from the nanoseconds: float seconds print 1.498047 as 1.4980470000000001.
	return sign + strconv.FormatInt(sec, 10) + "." + strings.TrimRight(fmt.Sprintf("%09d", frac), "0")
}

// parseAddr parses an IP address, rejecting zones.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 or IPv6 address", s)
	}
	return a.Unmap(), nil
}

// parsePrefix parses ADDR[/LEN]; without a length the prefix is a host
// prefix (/32 or /128). The address bits are kept (not masked).
func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := parseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an address with an optional /length", s)
	}
	return p, nil
}

// formatPrefix prints host prefixes without their length.
func formatPrefix(p netip.Prefix) string {
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.String()
}

func familyOf(a netip.Addr) Family {
	if a.Is4() {
		return IPv4
	}
	return IPv6
}

// nearest returns the candidate closest to word by edit distance, or ""
// when none is close enough to be a likely misspelling.
func nearest(word string, candidates []string) string {
	best, bestDist := "", len(word)/2+2
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestDist || d == bestDist && best != "" && c < best {
			best, bestDist = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt32
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
