package iproute2

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/sys/unix"
)

// UnsupportedError is an ip-route or ip-rule option (or route type) havip recognises but cannot
// install.
type UnsupportedError struct {
	What string // e.g. `option "pref"` or "type nat"
	Why  string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s is not supported: %s", e.What, e.Why)
}

// unsupportedOption is the UnsupportedError of option name.
func unsupportedOption(name, why string) error {
	return &UnsupportedError{What: "option " + strconv.Quote(name), Why: why}
}

// routeTypes maps ip-route type names to rtnetlink RTN_* values, in the order errors list them.
var routeTypes = []struct {
	name string
	id   uint8
}{
	{"unicast", unix.RTN_UNICAST}, {"local", unix.RTN_LOCAL}, {"broadcast", unix.RTN_BROADCAST},
	{"anycast", unix.RTN_ANYCAST}, {"multicast", unix.RTN_MULTICAST}, {"blackhole", unix.RTN_BLACKHOLE},
	{"unreachable", unix.RTN_UNREACHABLE}, {"prohibit", unix.RTN_PROHIBIT}, {"throw", unix.RTN_THROW},
}

// RouteType resolves an ip-route type name to its RTN_* value. Type nat is refused with an
// UnsupportedError: Linux no longer implements route NAT.
func RouteType(s string) (uint8, error) {
	if s == "nat" {
		return 0, &UnsupportedError{What: "type nat", Why: "Linux no longer implements route NAT"}
	}
	for _, t := range routeTypes {
		if t.name == s {
			return t.id, nil
		}
	}
	return 0, fmt.Errorf("unknown type %q (want unicast, local, broadcast, anycast, multicast, blackhole, unreachable, prohibit or throw)", s)
}

// RouteTypeName returns the ip-route name of an RTN_* value; 0 is unicast.
func RouteTypeName(id uint8) string {
	if id == 0 {
		return "unicast"
	}
	for _, t := range routeTypes {
		if t.id == id {
			return t.name
		}
	}
	return strconv.Itoa(int(id))
}

// DefaultScope is the scope of a route of type typ (RTN_*, 0 = unicast) without "scope":
// keepalived's global, or the narrowest scope the kernel accepts for the type, as iproute2
// chooses it.
func DefaultScope(typ uint8) uint8 {
	switch typ {
	case unix.RTN_LOCAL:
		return unix.RT_SCOPE_HOST
	case unix.RTN_BROADCAST, unix.RTN_ANYCAST:
		return unix.RT_SCOPE_LINK
	}
	return unix.RT_SCOPE_UNIVERSE
}

// RouteOptions are the further ip-route options of a route, as the kernel takes them. A metric
// of 0 is the kernel's default, which netlink expresses by leaving it out.
type RouteOptions struct {
	TOS    uint8  // "tos" / "dsfield"
	Realms uint32 // "realms": source realm << 16 | destination realm
	// Metrics.
	MTU, AdvMSS, Reordering, Window, Cwnd, Ssthresh, InitCwnd, InitRwnd uint32
	Hoplimit                                                            uint8
	QuickACK, FastOpenNoCookie                                          bool
	// RTT is in 1/8 ms, RTTVar in 1/4 ms and RTOMin in ms, the kernel's units.
	RTT, RTTVar, RTOMin uint32
	ECN                 bool   // "features ecn"
	Congctl             string // "congctl": the congestion control algorithm
	OnLink              bool   // "onlink": the gateway is on the link even without a matching prefix
}

// RouteFlags are the ip-route options without a value.
var RouteFlags = []string{"onlink", "pervasive"}

// RouteValueOptions are the ip-route options followed by one value.
var RouteValueOptions = []string{"tos", "dsfield", "realms", "mtu", "advmss", "rtt", "rttvar", "reordering", "window", "cwnd",
	"ssthresh", "initcwnd", "initrwnd", "features", "quickack", "congctl", "rto_min", "pref", "encap", "expires",
	"fastopen_no_cookie", "ttl-propagate", "nexthop", "hoplimit"}

// unsupportedRouteOptions are ip-route options havip recognises but cannot install, with why.
var unsupportedRouteOptions = map[string]string{
	"pref":          "the netlink library cannot send the IPv6 router preference (RTA_PREF)",
	"expires":       "the netlink library cannot send route expiry (RTA_EXPIRES)",
	"encap":         "lightweight tunnel encapsulation is not implemented",
	"nexthop":       `nexthop lists are not implemented; "via A or B" installs a two-gateway multipath route`,
	"ttl-propagate": "MPLS routes are not implemented",
	"pervasive":     "the obsolete pervasive nexthop flag is not implemented",
}

// SetFlag sets an ip-route option without a value (one of RouteFlags).
func (o *RouteOptions) SetFlag(name string) error {
	if why, ok := unsupportedRouteOptions[name]; ok {
		return unsupportedOption(name, why)
	}
	if name != "onlink" {
		return fmt.Errorf("unknown ip-route flag %q", name)
	}
	o.OnLink = true
	return nil
}

// Set sets one valued ip-route option (one of RouteValueOptions); an error names the value and
// what is valid.
func (o *RouteOptions) Set(name, value string) error {
	if why, ok := unsupportedRouteOptions[name]; ok {
		return unsupportedOption(name, why)
	}
	var err error
	switch name {
	case "tos", "dsfield":
		o.TOS, err = DSField(value)
	case "realms":
		o.Realms, err = Realms(value)
	case "mtu":
		o.MTU, err = parseUint32(value)
	case "advmss":
		o.AdvMSS, err = parseUint32(value)
	case "reordering":
		o.Reordering, err = parseUint32(value)
	case "window":
		o.Window, err = parseUint32(value)
	case "cwnd":
		o.Cwnd, err = parseUint32(value)
	case "ssthresh":
		o.Ssthresh, err = parseUint32(value)
	case "initcwnd":
		o.InitCwnd, err = parseUint32(value)
	case "initrwnd":
		o.InitRwnd, err = parseUint32(value)
	case "hoplimit":
		var n uint64
		n, err = parseUint(value, math.MaxUint8)
		o.Hoplimit = uint8(n)
	case "quickack":
		o.QuickACK, err = parseBit(value)
	case "fastopen_no_cookie":
		o.FastOpenNoCookie, err = parseBit(value)
	case "rtt":
		o.RTT, err = parseRTT(value, 8) // the kernel keeps rtt in 1/8 ms
	case "rttvar":
		o.RTTVar, err = parseRTT(value, 4) // and rttvar in 1/4 ms
	case "rto_min":
		o.RTOMin, err = parseRTT(value, 1)
	case "features":
		if value != "ecn" {
			return fmt.Errorf("features %s: the only feature is \"ecn\"", value)
		}
		o.ECN = true
	case "congctl":
		o.Congctl = value
	default:
		return fmt.Errorf("unknown ip-route option %q", name)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", name, value, err)
	}
	return nil
}

// Words formats the options in ip-route syntax, each value a number in the kernel's units (a
// bare rtt is in those units), e.g. "mtu 1400 onlink".
func (o RouteOptions) Words() []string {
	var w []string
	num := func(name string, v uint32) {
		if v != 0 {
			w = append(w, name, strconv.FormatUint(uint64(v), 10))
		}
	}
	num("tos", uint32(o.TOS))
	num("realms", o.Realms)
	num("mtu", o.MTU)
	num("advmss", o.AdvMSS)
	num("reordering", o.Reordering)
	num("window", o.Window)
	num("cwnd", o.Cwnd)
	num("ssthresh", o.Ssthresh)
	num("initcwnd", o.InitCwnd)
	num("initrwnd", o.InitRwnd)
	num("hoplimit", uint32(o.Hoplimit))
	num("quickack", b2u(o.QuickACK))
	num("fastopen_no_cookie", b2u(o.FastOpenNoCookie))
	num("rtt", o.RTT)
	num("rttvar", o.RTTVar)
	num("rto_min", o.RTOMin)
	if o.ECN {
		w = append(w, "features", "ecn")
	}
	if o.Congctl != "" {
		w = append(w, "congctl", o.Congctl)
	}
	if o.OnLink {
		w = append(w, "onlink")
	}
	return w
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// parseUint parses a decimal, 0x hex or 0 octal number up to limit, as iproute2 does.
func parseUint(s string, limit uint64) (uint64, error) {
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil || n > limit {
		return 0, fmt.Errorf("want a whole number from 0 to %d", limit)
	}
	return n, nil
}

func parseUint32(s string) (uint32, error) {
	n, err := parseUint(s, math.MaxUint32)
	return uint32(n), err
}

// parseBit parses 0 or 1.
func parseBit(s string) (bool, error) {
	n, err := parseUint(s, 1)
	return n == 1, err
}

// parseRTT parses an ip-route time: a bare number is in the kernel's units and used as is, one
// with a unit (s, sec, secs, ms, msec, msecs) is converted to milliseconds times perMs.
func parseRTT(s string, perMs uint64) (uint32, error) {
	num := strings.TrimRightFunc(s, unicode.IsLetter)
	n, err := strconv.ParseUint(num, 10, 32)
	if err != nil {
		return 0, errors.New("want a whole number with an optional unit s or ms")
	}
	switch strings.ToLower(s[len(num):]) {
	case "":
		return uint32(n), nil
	case "s", "sec", "secs":
		n *= 1000
	case "ms", "msec", "msecs":
	default:
		return 0, fmt.Errorf("unknown unit %q (want s or ms)", s[len(num):])
	}
	if n *= perMs; n > math.MaxUint32 {
		return 0, errors.New("too large")
	}
	return uint32(n), nil
}
