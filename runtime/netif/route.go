package netif

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Route is one virtual_routes / static_routes entry as keepalived installs it: the words of an
// "ip route add" command, resolved to numbers when the route is added or deleted. The zero value
// of every optional field is keepalived's default.
type Route struct {
	// Type is "" (unicast) or unicast, local, broadcast, anycast, multicast, blackhole,
	// unreachable, prohibit or throw.
	Type string
	Dst  netip.Prefix // destination; 0.0.0.0/0 or ::/0 for the default route
	Src  netip.Addr   // "src": preferred source address; zero = none
	Via  netip.Addr   // "via": gateway; zero = none
	// Or is keepalived's alternative gateway ("via A or B"), which keepalived installs as a
	// multipath route with the nexthops Via and Or, each on Dev; zero = none.
	Or  netip.Addr
	Dev string // "dev": output interface, resolved to its index when the route is added or deleted
	// Table is a number or a name: main, local, default or one from iproute2's rt_tables; "" = main.
	Table  string
	Metric uint32 // "metric" (also "preference", "priority"); 0 = the kernel's default
	// Scope is global, site, link, host, nowhere, a number or a name from iproute2's rt_scopes.
	// "" = global like keepalived, except for local routes (host) and broadcast and anycast routes
	// (link), where the kernel accepts nothing wider.
	Scope string
	// Protocol is a number or a name: kernel, boot, static, keepalived, ... or one from iproute2's
	// rt_protos. "" = keepalived (RTPROT_KEEPALIVED, 18): keepalived installs every route with that
	// protocol unless the configuration names another.
	Protocol string
	// Options are further ip-route options as written: the flag "onlink" and name/value pairs such
	// as "mtu 1400". An option that cannot be honoured is an error, never dropped.
	Options []string
}

// String formats the route in ip-route syntax, e.g. "198.51.100.0/24 via 192.0.2.254 dev eth0".
func (r Route) String() string {
	var w []string
	if r.Type != "" && r.Type != "unicast" {
		w = append(w, r.Type)
	}
	if r.Dst.IsValid() && r.Dst.Bits() == 0 {
		w = append(w, "default")
	} else {
		w = append(w, r.Dst.String())
	}
	w = appendWord(w, "via", r.Via.IsValid(), r.Via.String())
	w = appendWord(w, "or", r.Or.IsValid(), r.Or.String())
	w = appendWord(w, "dev", r.Dev != "", r.Dev)
	w = appendWord(w, "src", r.Src.IsValid(), r.Src.String())
	w = appendWord(w, "table", r.Table != "", r.Table)
	w = appendWord(w, "metric", r.Metric != 0, strconv.FormatUint(uint64(r.Metric), 10))
	w = appendWord(w, "scope", r.Scope != "", r.Scope)
	w = appendWord(w, "proto", r.Protocol != "", r.Protocol)
	return strings.Join(append(w, r.Options...), " ")
}

// Equal reports whether r and o are the same route as written; nil and empty Options are the same.
func (r Route) Equal(o Route) bool {
	return r.Type == o.Type && r.Dst == o.Dst && r.Src == o.Src && r.Via == o.Via && r.Or == o.Or && r.Dev == o.Dev &&
		r.Table == o.Table && r.Metric == o.Metric && r.Scope == o.Scope && r.Protocol == o.Protocol &&
		slices.Equal(r.Options, o.Options)
}

// appendWord appends the keyword and its value when present.
func appendWord(w []string, keyword string, present bool, value string) []string {
	if !present {
		return w
	}
	return append(w, keyword, value)
}

// routeTypes maps ip-route type names to rtnetlink RTN_* values.
var routeTypes = map[string]int{
	"":            unix.RTN_UNICAST,
	"unicast":     unix.RTN_UNICAST,
	"local":       unix.RTN_LOCAL,
	"broadcast":   unix.RTN_BROADCAST,
	"anycast":     unix.RTN_ANYCAST,
	"multicast":   unix.RTN_MULTICAST,
	"blackhole":   unix.RTN_BLACKHOLE,
	"unreachable": unix.RTN_UNREACHABLE,
	"prohibit":    unix.RTN_PROHIBIT,
	"throw":       unix.RTN_THROW,
}

// rejectRoute reports whether routes of type t discard packets or defer the lookup, and so take
// no gateway or interface.
func rejectRoute(t int) bool {
	return t == unix.RTN_BLACKHOLE || t == unix.RTN_UNREACHABLE || t == unix.RTN_PROHIBIT || t == unix.RTN_THROW
}

// defaultScope is the scope of a route of type t without "scope": keepalived's global, or the
// narrowest scope the kernel accepts for the type, as iproute2 chooses it.
func defaultScope(t int) uint8 {
	switch t {
	case unix.RTN_LOCAL:
		return ScopeHost
	case unix.RTN_BROADCAST, unix.RTN_ANYCAST:
		return ScopeLink
	}
	return ScopeGlobal
}

// netlinkRoute maps the route to the netlink request that installs it with keepalived's
// semantics. The interface is left for AddRoute and DelRoute to resolve.
func (r Route) netlinkRoute() (*netlink.Route, error) {
	typ, err := r.check()
	if err != nil {
		return nil, fmt.Errorf("route %v: %w", r, err)
	}
	nr := &netlink.Route{
		Family:   netlinkFamily(addrFamily(r.Dst.Addr())),
		Dst:      prefixIPNet(r.Dst),
		Type:     typ,
		Priority: int(r.Metric),
	}
	if r.Src.IsValid() {
		nr.Src = ipOf(r.Src)
	}
	if r.Or.IsValid() {
		nr.MultiPath = []*netlink.NexthopInfo{{Gw: ipOf(r.Via)}, {Gw: ipOf(r.Or)}}
	} else if r.Via.IsValid() {
		nr.Gw = ipOf(r.Via)
	}
	if err := r.resolveNames(nr); err != nil {
		return nil, fmt.Errorf("route %v: %w", r, err)
	}
	if err := applyRouteOptions(nr, r.Options); err != nil {
		return nil, fmt.Errorf("route %v: %w", r, err)
	}
	return nr, nil
}

// check validates the route's destination, type and addresses and returns its RTN_* type.
func (r Route) check() (int, error) {
	if !r.Dst.IsValid() {
		return 0, errors.New("no destination (want e.g. 198.51.100.0/24, or 0.0.0.0/0 for the default route)")
	}
	if r.Dst != r.Dst.Masked() {
		return 0, fmt.Errorf("destination %v has host bits set; did you mean %v?", r.Dst, r.Dst.Masked())
	}
	typ, ok := routeTypes[r.Type]
	switch {
	case r.Type == "nat":
		return 0, errors.New("type nat is not supported: Linux no longer implements route NAT")
	case !ok:
		return 0, fmt.Errorf("unknown type %q (want unicast, local, broadcast, anycast, multicast, blackhole, unreachable, prohibit or throw)", r.Type)
	}
	family := addrFamily(r.Dst.Addr())
	for _, a := range []struct {
		keyword string
		addr    netip.Addr
	}{{"src", r.Src}, {"via", r.Via}, {"or", r.Or}} {
		if a.addr.IsValid() && addrFamily(a.addr) != family {
			return 0, fmt.Errorf("%s %v is not an IPv%d address", a.keyword, a.addr, family)
		}
	}
	if r.Or.IsValid() && !r.Via.IsValid() {
		return 0, fmt.Errorf(`"or %v" needs a "via" gateway to be the alternative of`, r.Or)
	}
	if rejectRoute(typ) && (r.Via.IsValid() || r.Dev != "") {
		return 0, fmt.Errorf("%s routes take no via, or, or dev", r.Type)
	}
	return typ, nil
}

// resolveNames sets the route's table, scope and protocol, given as numbers or names, on nr.
func (r Route) resolveNames(nr *netlink.Route) error {
	table, err := routingTable(r.Table)
	if err != nil {
		return err
	}
	scope := uint32(defaultScope(nr.Type))
	if r.Scope != "" {
		if scope, err = iproute2ID("rt_scopes", r.Scope, routeScopes, math.MaxUint8); err != nil {
			return fmt.Errorf("scope %q: %w", r.Scope, err)
		}
	}
	// keepalived installs every route with RTPROT_KEEPALIVED (18) unless configured otherwise.
	protocol := uint32(unix.RTPROT_KEEPALIVED)
	if r.Protocol != "" {
		if protocol, err = iproute2ID("rt_protos", r.Protocol, routeProtocols, math.MaxUint8); err != nil {
			return fmt.Errorf("protocol %q: %w", r.Protocol, err)
		}
	}
	nr.Table, nr.Scope, nr.Protocol = int(table), netlink.Scope(scope), netlink.RouteProtocol(protocol)
	return nil
}

// netlinkFamily returns the netlink family of IP version 4 or 6.
func netlinkFamily(family int) int {
	if family == 6 {
		return netlink.FAMILY_V6
	}
	return netlink.FAMILY_V4
}

// ipOf converts an address to a net.IP of its natural length.
func ipOf(a netip.Addr) net.IP {
	return a.Unmap().AsSlice()
}

// unsupportedRouteOptions are ip-route options havip recognises but cannot install, with why.
var unsupportedRouteOptions = map[string]string{
	"pref":          "the netlink library cannot send the IPv6 router preference (RTA_PREF)",
	"expires":       "the netlink library cannot send route expiry (RTA_EXPIRES)",
	"encap":         "lightweight tunnel encapsulation is not implemented",
	"nexthop":       `nexthop lists are not implemented; "via A or B" installs a two-gateway multipath route`,
	"ttl-propagate": "MPLS routes are not implemented",
	"pervasive":     "the obsolete pervasive nexthop flag is not implemented",
}

// applyRouteOptions sets ip-route options, the flag "onlink" and name/value pairs, on nr.
func applyRouteOptions(nr *netlink.Route, opts []string) error {
	onlink := false
	for i := 0; i < len(opts); i++ {
		name := opts[i]
		if why, ok := unsupportedRouteOptions[name]; ok {
			return fmt.Errorf("option %q is not supported: %s", name, why)
		}
		if name == "onlink" {
			onlink = true
			continue
		}
		if i+1 == len(opts) {
			return fmt.Errorf("option %q needs a value", name)
		}
		i++
		if err := setRouteOption(nr, name, opts[i]); err != nil {
			return fmt.Errorf("%s %s: %w", name, opts[i], err)
		}
	}
	switch {
	case onlink && len(nr.MultiPath) > 0:
		// A multipath route takes nexthop flags from each nexthop, not from the route.
		for _, nh := range nr.MultiPath {
			nh.Flags |= unix.RTNH_F_ONLINK
		}
	case onlink:
		nr.Flags |= unix.RTNH_F_ONLINK
	}
	return nil
}

// setRouteOption sets one valued ip-route option on nr. Metrics of 0 are the kernel's default,
// which netlink expresses by leaving them out.
func setRouteOption(nr *netlink.Route, name, value string) error {
	var err error
	switch name {
	case "tos", "dsfield":
		var tos uint32
		tos, err = iproute2ID("rt_dsfield", value, nil, math.MaxUint8)
		nr.Tos = int(tos)
	case "realms":
		var realms uint32
		realms, err = parseRealms(value)
		nr.Realm = int(realms)
	case "mtu":
		nr.MTU, err = parseUint(value, math.MaxUint32)
	case "advmss":
		nr.AdvMSS, err = parseUint(value, math.MaxUint32)
	case "reordering":
		nr.Reordering, err = parseUint(value, math.MaxUint32)
	case "window":
		nr.Window, err = parseUint(value, math.MaxUint32)
	case "cwnd":
		nr.Cwnd, err = parseUint(value, math.MaxUint32)
	case "ssthresh":
		nr.Ssthresh, err = parseUint(value, math.MaxUint32)
	case "initcwnd":
		nr.InitCwnd, err = parseUint(value, math.MaxUint32)
	case "initrwnd":
		nr.InitRwnd, err = parseUint(value, math.MaxUint32)
	case "hoplimit":
		nr.Hoplimit, err = parseUint(value, math.MaxUint8)
	case "quickack":
		nr.QuickACK, err = parseUint(value, 1)
	case "fastopen_no_cookie":
		nr.FastOpenNoCookie, err = parseUint(value, 1)
	case "rtt":
		nr.Rtt, err = parseRTT(value, 8) // the kernel keeps rtt in 1/8 ms
	case "rttvar":
		nr.RttVar, err = parseRTT(value, 4) // and rttvar in 1/4 ms
	case "rto_min":
		nr.RtoMin, err = parseRTT(value, 1)
	case "features":
		if value != "ecn" {
			return errors.New(`the only feature is "ecn"`)
		}
		nr.Features = unix.RTAX_FEATURE_ECN
	case "congctl":
		nr.Congctl = value
	default:
		return errors.New("unknown ip-route option")
	}
	return err
}

// parseUint parses a decimal, 0x hex or 0 octal number up to limit, as iproute2 does.
func parseUint(s string, limit uint64) (int, error) {
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil || n > limit {
		return 0, fmt.Errorf("want a whole number from 0 to %d", limit)
	}
	return int(n), nil
}

// parseRTT parses an ip-route time: a bare number is in the kernel's units and used as is, one
// with a unit (s, sec, secs, ms, msec, msecs) is converted to milliseconds times perMs.
func parseRTT(s string, perMs uint64) (int, error) {
	num := strings.TrimRightFunc(s, unicode.IsLetter)
	n, err := strconv.ParseUint(num, 10, 32)
	if err != nil {
		return 0, errors.New("want a whole number with an optional unit s or ms")
	}
	switch strings.ToLower(s[len(num):]) {
	case "":
		return int(n), nil
	case "s", "sec", "secs":
		n *= 1000
	case "ms", "msec", "msecs":
	default:
		return 0, fmt.Errorf("unknown unit %q (want s or ms)", s[len(num):])
	}
	if n *= perMs; n > math.MaxUint32 {
		return 0, errors.New("too large")
	}
	return int(n), nil
}

// parseRealms parses iproute2 realms: a raw 32-bit number, or [FROM/]TO with each realm a
// number up to 255 or a name from rt_realms.
func parseRealms(s string) (uint32, error) {
	if n, err := strconv.ParseUint(s, 0, 32); err == nil {
		return uint32(n), nil
	}
	from, to, hasFrom := strings.Cut(s, "/")
	if !hasFrom {
		from, to = "", s
	}
	var realms uint32
	for _, part := range []string{from, to} {
		realms <<= 16
		if part == "" {
			continue
		}
		id, err := iproute2ID("rt_realms", part, realmNames, math.MaxUint8)
		if err != nil {
			return 0, fmt.Errorf("realm %q: %w", part, err)
		}
		realms |= id
	}
	return realms, nil
}

// setLink resolves the route's interface, which a multipath route gives each nexthop.
func (r Route) setLink(nr *netlink.Route) error {
	if r.Dev == "" {
		return nil
	}
	link, err := linkByName(r.Dev)
	if err != nil {
		return err
	}
	if len(nr.MultiPath) == 0 {
		nr.LinkIndex = link.Attrs().Index
	}
	for _, nh := range nr.MultiPath {
		nh.LinkIndex = link.Attrs().Index
	}
	return nil
}

// Check reports whether the route can be installed as written, naming what cannot (an unknown
// table name, an option the kernel interface does not take) without touching the system; only
// the interface is left for AddRoute to find.
func (r Route) Check() error {
	_, err := r.netlinkRoute()
	return err
}

// AddRoute installs the route, replacing one with the same destination, table, tos and metric,
// such as the route itself left behind by a crashed run. A missing interface is an error wrapping
// ErrNoInterface.
func AddRoute(r Route) error {
	nr, err := r.netlinkRoute()
	if err != nil {
		return err
	}
	if err := r.setLink(nr); err != nil {
		return fmt.Errorf("add route %v: %w", r, err)
	}
	if err := netlink.RouteReplace(nr); err != nil {
		return fmt.Errorf("add route %v: %w", r, err)
	}
	return nil
}

// DelRoute removes the route; a route already absent, or installed by another protocol, counts
// as success. A missing interface is an error wrapping ErrNoInterface, so configuration mistakes
// stay visible.
func DelRoute(r Route) error {
	nr, err := r.netlinkRoute()
	if err != nil {
		return err
	}
	if err := r.setLink(nr); err != nil {
		return fmt.Errorf("delete route %v: %w", r, err)
	}
	if err := netlink.RouteDel(nr); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("delete route %v: %w", r, err)
	}
	return nil
}
