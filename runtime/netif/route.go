package netif

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
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

// routingTable resolves a table number or name; "" is main.
func routingTable(s string) (uint32, error) {
	if s == "" {
		return unix.RT_TABLE_MAIN, nil
	}
	id, err := iproute2ID("rt_tables", s, tableNames, math.MaxUint32)
	if err != nil {
		return 0, fmt.Errorf("table %q: %w", s, err)
	}
	if id == unix.RT_TABLE_UNSPEC {
		return 0, fmt.Errorf("table %q: table 0 (unspec) is not a routing table", s)
	}
	return id, nil
}

// Names iproute2 knows without its database files.
var (
	tableNames  = map[string]uint32{"main": unix.RT_TABLE_MAIN, "local": unix.RT_TABLE_LOCAL, "default": unix.RT_TABLE_DEFAULT}
	routeScopes = map[string]uint32{"global": uint32(ScopeGlobal), "site": uint32(ScopeSite), "link": uint32(ScopeLink),
		"host": uint32(ScopeHost), "nowhere": uint32(ScopeNowhere)}
	routeProtocols = map[string]uint32{
		"redirect": unix.RTPROT_REDIRECT, "kernel": unix.RTPROT_KERNEL, "boot": unix.RTPROT_BOOT,
		"static": unix.RTPROT_STATIC, "gated": unix.RTPROT_GATED, "ra": unix.RTPROT_RA, "mrt": unix.RTPROT_MRT,
		"zebra": unix.RTPROT_ZEBRA, "bird": unix.RTPROT_BIRD, "dnrouted": unix.RTPROT_DNROUTED,
		"xorp": unix.RTPROT_XORP, "ntk": unix.RTPROT_NTK, "dhcp": unix.RTPROT_DHCP,
		"keepalived": unix.RTPROT_KEEPALIVED, "babel": unix.RTPROT_BABEL, "openr": unix.RTPROT_OPENR,
		"bgp": unix.RTPROT_BGP, "isis": unix.RTPROT_ISIS, "ospf": unix.RTPROT_OSPF, "rip": unix.RTPROT_RIP,
		"eigrp": unix.RTPROT_EIGRP,
	}
	realmNames = map[string]uint32{"unknown": 0}
	groupNames = map[string]uint32{"default": 0}
)

// iproute2Dirs are the directories holding iproute2's name databases (rt_tables, rt_protos, ...),
// searched in order; the first definition of a name wins. Tests point them elsewhere.
var iproute2Dirs = []string{"/etc/iproute2", "/usr/share/iproute2"}

// iproute2ID resolves s the way iproute2 resolves a value from its database db (e.g. "rt_tables"):
// a number (decimal, 0x hex or 0 octal) up to limit, a built-in name, or a name defined in db or
// db.d/*.conf in one of iproute2Dirs.
func iproute2ID(db, s string, builtin map[string]uint32, limit uint32) (uint32, error) {
	if n, err := strconv.ParseUint(s, 0, 32); err == nil {
		if n > uint64(limit) {
			return 0, fmt.Errorf("%d is out of range (0-%d)", n, limit)
		}
		return uint32(n), nil
	}
	if id, ok := builtin[s]; ok {
		return id, nil
	}
	for _, dir := range iproute2Dirs {
		confs, err := filepath.Glob(filepath.Join(dir, db+".d", "*.conf"))
		if err != nil {
			return 0, err
		}
		for _, path := range append([]string{filepath.Join(dir, db)}, confs...) {
			id, found, err := lookupName(path, s)
			switch {
			case err != nil:
				return 0, err
			case found && id > limit:
				return 0, fmt.Errorf("%s defines it as %d, out of range (0-%d)", path, id, limit)
			case found:
				return id, nil
			}
		}
	}
	return 0, fmt.Errorf("neither a number nor a name known to iproute2 (%s in %s)", db, strings.Join(iproute2Dirs, ", "))
}

// lookupName finds name in an iproute2 database file of "NUMBER NAME" lines with # comments. A
// missing file defines nothing.
func lookupName(path, name string) (id uint32, found bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	return scanName(f, path, name)
}

// scanName finds name in r, an iproute2 database read from path (named in errors).
func scanName(r io.Reader, path, name string) (id uint32, found bool, err error) {
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) < 2 || fields[1] != name {
			continue
		}
		num, base := fields[0], 10
		if hex, ok := strings.CutPrefix(num, "0x"); ok {
			num, base = hex, 16
		}
		n, err := strconv.ParseUint(num, base, 32)
		if err != nil {
			return 0, false, fmt.Errorf("%s:%d: %q is not a number", path, line, fields[0])
		}
		return uint32(n), true, nil
	}
	if err := sc.Err(); err != nil {
		return 0, false, fmt.Errorf("read %s: %w", path, err)
	}
	return 0, false, nil
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

// Rule is one virtual_rules / static_rules entry: the words of an "ip rule add" command, resolved
// to numbers when the rule is added or deleted. The zero value of every optional field is ip
// rule's default.
type Rule struct {
	Family int          // 4 or 6; 0 = the family of From and To, else 4
	Not    bool         // "not": the rule applies to packets its selectors do not match
	From   netip.Prefix // "from"; the zero or a /0 prefix matches all sources
	To     netip.Prefix // "to"; the zero or a /0 prefix matches all destinations
	// Table is the table to look up, a number or a name as for Route.Table; "" = none, for rules
	// whose action is a "goto" or "type" option.
	Table string
	// Preference orders the rules; 0 = unset: the kernel numbers the rule just below the first
	// rule after preference 0.
	Preference uint32
	Fwmark     string // "fwmark": VALUE[/MASK], decimal or 0x hex; "" = any mark
	// Iif and Oif are the "iif" and "oif" interface names; a rule naming an absent interface stays
	// inactive until the interface appears.
	Iif, Oif string
	// Options are further ip-rule options as name/value pairs: tos (dsfield), realms, goto,
	// suppress_prefixlength, suppress_ifgroup, uidrange, sport, dport, ipproto, protocol and type.
	// An option that cannot be honoured is an error, never dropped.
	Options []string
}

// String formats the rule in ip-rule syntax, e.g. "from 192.0.2.0/24 table 100 preference 100".
func (r Rule) String() string {
	var w []string
	if r.Family == 6 && matchesAll(r.From) && matchesAll(r.To) {
		w = append(w, "inet6")
	}
	if r.Not {
		w = append(w, "not")
	}
	if matchesAll(r.From) {
		w = append(w, "from", "all")
	} else {
		w = append(w, "from", r.From.String())
	}
	w = appendWord(w, "to", !matchesAll(r.To), r.To.String())
	w = appendWord(w, "fwmark", r.Fwmark != "", r.Fwmark)
	w = appendWord(w, "iif", r.Iif != "", r.Iif)
	w = appendWord(w, "oif", r.Oif != "", r.Oif)
	w = append(w, r.Options...)
	w = appendWord(w, "table", r.Table != "", r.Table)
	w = appendWord(w, "preference", r.Preference != 0, strconv.FormatUint(uint64(r.Preference), 10))
	return strings.Join(w, " ")
}

// matchesAll reports whether a rule selector matches every address.
func matchesAll(p netip.Prefix) bool {
	return !p.IsValid() || p.Bits() == 0
}

// ruleTypes maps ip-rule types to FR_ACT_* actions.
var ruleTypes = map[string]uint8{
	"unicast":     unix.FR_ACT_TO_TBL,
	"blackhole":   unix.FR_ACT_BLACKHOLE,
	"unreachable": unix.FR_ACT_UNREACHABLE,
	"prohibit":    unix.FR_ACT_PROHIBIT,
	"nop":         unix.FR_ACT_NOP,
}

// netlinkRule maps the rule to the netlink request that installs it.
func (r Rule) netlinkRule() (*netlink.Rule, error) {
	family, err := r.AddressFamily()
	if err != nil {
		return nil, err
	}
	nr := netlink.NewRule()
	nr.Family = netlinkFamily(family)
	nr.Invert = r.Not
	nr.Src, nr.Dst = selectorIPNet(r.From), selectorIPNet(r.To)
	nr.IifName, nr.OifName = r.Iif, r.Oif
	if r.Table != "" {
		table, err := routingTable(r.Table)
		if err != nil {
			return nil, fmt.Errorf("rule %v: %w", r, err)
		}
		nr.Table = int(table)
	}
	if r.Preference != 0 {
		nr.Priority = int(r.Preference)
	}
	if r.Fwmark != "" {
		if nr.Mark, nr.Mask, err = parseFwmark(r.Fwmark); err != nil {
			return nil, fmt.Errorf("rule %v: fwmark %q: %w", r, r.Fwmark, err)
		}
	}
	if err := applyRuleOptions(nr, r.Options); err != nil {
		return nil, fmt.Errorf("rule %v: %w", r, err)
	}
	if nr.Table == unix.RT_TABLE_UNSPEC && nr.Goto < 0 && nr.Type == 0 {
		return nil, fmt.Errorf("rule %v: no action: give a table, a goto or a type", r)
	}
	if (nr.SuppressPrefixlen >= 0 || nr.SuppressIfgroup >= 0) && (nr.Table == unix.RT_TABLE_UNSPEC || nr.Table > math.MaxUint8) {
		// netlink sends the suppressors only along with a table numbered in the rule header.
		return nil, fmt.Errorf("rule %v: suppress_prefixlength and suppress_ifgroup need a table from 1 to 255", r)
	}
	return nr, nil
}

// AddressFamily returns the rule's address family, 4 or 6: Family when set, else that of
// From and To (a /0 prefix matches both families), else 4.
func (r Rule) AddressFamily() (int, error) {
	family := r.Family
	if family != 0 {
		if err := checkFamily(family); err != nil {
			return 0, fmt.Errorf("rule %v: %w", r, err)
		}
	}
	for _, p := range []netip.Prefix{r.From, r.To} {
		if matchesAll(p) {
			continue
		}
		if f := addrFamily(p.Addr()); family == 0 {
			family = f
		} else if f != family {
			return 0, fmt.Errorf("rule %v: %v is not an IPv%d prefix", r, p, family)
		}
	}
	if family == 0 {
		return 4, nil
	}
	return family, nil
}

// selectorIPNet is the netlink form of a rule selector: nil for all addresses.
func selectorIPNet(p netip.Prefix) *net.IPNet {
	if matchesAll(p) {
		return nil
	}
	return prefixIPNet(p.Masked())
}

// parseFwmark parses VALUE[/MASK]; without a mask the kernel compares all 32 bits.
func parseFwmark(s string) (mark uint32, mask *uint32, err error) {
	value, maskText, hasMask := strings.Cut(s, "/")
	n, err := strconv.ParseUint(value, 0, 32)
	if err != nil {
		return 0, nil, errors.New("want VALUE[/MASK], each a 32-bit number")
	}
	if !hasMask {
		return uint32(n), nil, nil
	}
	m, err := strconv.ParseUint(maskText, 0, 32)
	if err != nil {
		return 0, nil, errors.New("want VALUE[/MASK], each a 32-bit number")
	}
	m32 := uint32(m)
	return uint32(n), &m32, nil
}

// unsupportedRuleOptions are ip-rule options havip recognises but cannot install, with why.
var unsupportedRuleOptions = map[string]string{
	"l3mdev": "the netlink library cannot send FRA_L3MDEV",
	"tun_id": "the netlink library sends FRA_TUN_ID with the wrong size",
}

// applyRuleOptions sets ip-rule name/value options on nr.
func applyRuleOptions(nr *netlink.Rule, opts []string) error {
	for i := 0; i < len(opts); i += 2 {
		name := opts[i]
		if why, ok := unsupportedRuleOptions[name]; ok {
			return fmt.Errorf("option %q is not supported: %s", name, why)
		}
		if i+1 == len(opts) {
			return fmt.Errorf("option %q needs a value", name)
		}
		if err := setRuleOption(nr, name, opts[i+1]); err != nil {
			return fmt.Errorf("%s %s: %w", name, opts[i+1], err)
		}
	}
	return nil
}

// setRuleOption sets one ip-rule option on nr.
func setRuleOption(nr *netlink.Rule, name, value string) error {
	var err error
	var id uint32
	switch name {
	case "tos", "dsfield":
		id, err = iproute2ID("rt_dsfield", value, nil, math.MaxUint8)
		nr.Tos = uint(id)
	case "realms":
		if id, err = parseRealms(value); id != 0 { // realm 0 is none, which the kernel does not list
			nr.Flow = int(id)
		}
	case "goto":
		nr.Goto, err = parseUint(value, math.MaxUint32)
	case "suppress_prefixlength":
		nr.SuppressPrefixlen, err = parseUint(value, math.MaxInt32)
	case "suppress_ifgroup":
		id, err = iproute2ID("group", value, groupNames, math.MaxInt32)
		nr.SuppressIfgroup = int(id)
	case "uidrange":
		var start, end uint32
		if start, end, err = parseRange(value, math.MaxUint32, false); err == nil {
			nr.UIDRange = netlink.NewRuleUIDRange(start, end)
		}
	case "sport", "dport":
		var start, end uint32
		if start, end, err = parseRange(value, math.MaxUint16, true); err == nil {
			ports := netlink.NewRulePortRange(uint16(start), uint16(end))
			if name == "sport" {
				nr.Sport = ports
			} else {
				nr.Dport = ports
			}
		}
	case "ipproto":
		nr.IPProto, err = parseIPProto(value)
	case "protocol":
		id, err = iproute2ID("rt_protos", value, routeProtocols, math.MaxUint8)
		nr.Protocol = uint8(id)
	case "type":
		action, ok := ruleTypes[value]
		if !ok {
			return errors.New("want unicast, blackhole, unreachable, prohibit or nop")
		}
		nr.Type = action
	default:
		return errors.New("unknown ip-rule option")
	}
	return err
}

// parseRange parses START-END, or a single number when single is allowed, each up to limit.
func parseRange(s string, limit uint64, single bool) (start, end uint32, err error) {
	first, last, isRange := strings.Cut(s, "-")
	if !isRange && single {
		last = first
	}
	a, errA := strconv.ParseUint(first, 10, 64)
	b, errB := strconv.ParseUint(last, 10, 64)
	if errA != nil || errB != nil || a > limit || b > limit || a > b {
		if single {
			return 0, 0, fmt.Errorf("want N or START-END, numbers from 0 to %d with START <= END", limit)
		}
		return 0, 0, fmt.Errorf("want START-END, numbers from 0 to %d with START <= END", limit)
	}
	return uint32(a), uint32(b), nil
}

// ipProtocols are the IP protocol names of /etc/protocols that rules commonly match on.
var ipProtocols = map[string]int{
	"icmp": unix.IPPROTO_ICMP, "igmp": unix.IPPROTO_IGMP, "tcp": unix.IPPROTO_TCP, "udp": unix.IPPROTO_UDP,
	"gre": unix.IPPROTO_GRE, "esp": unix.IPPROTO_ESP, "ah": unix.IPPROTO_AH, "ipv6-icmp": unix.IPPROTO_ICMPV6,
	"sctp": unix.IPPROTO_SCTP, "udplite": unix.IPPROTO_UDPLITE,
}

// parseIPProto parses an IP protocol number or name.
func parseIPProto(s string) (int, error) {
	if n, ok := ipProtocols[s]; ok {
		return n, nil
	}
	n, err := parseUint(s, math.MaxUint8)
	if err != nil {
		return 0, errors.New("want a number from 0 to 255 or one of icmp, igmp, tcp, udp, gre, esp, ah, ipv6-icmp, sctp, udplite")
	}
	return n, nil
}

// Check reports whether the rule can be installed as written, without touching the system.
func (r Rule) Check() error {
	_, err := r.netlinkRule()
	return err
}

// AddRule installs the rule unless an identical one is installed already.
func AddRule(r Rule) error {
	nr, err := r.netlinkRule()
	if err != nil {
		return err
	}
	// With a preference the kernel refuses a duplicate itself (EEXIST); without one it would number
	// each copy afresh, so look for one first.
	if nr.Priority < 0 {
		installed, err := ruleInstalled(nr)
		if err != nil {
			return fmt.Errorf("add rule %v: %w", r, err)
		}
		if installed {
			return nil
		}
	}
	if err := netlink.RuleAdd(nr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add rule %v: %w", r, err)
	}
	return nil
}

// DelRule removes the rule; a rule already absent counts as success.
func DelRule(r Rule) error {
	nr, err := r.netlinkRule()
	if err != nil {
		return err
	}
	if err := netlink.RuleDel(nr); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("delete rule %v: %w", r, err)
	}
	return nil
}

// ruleInstalled reports whether a rule like want, at any preference, is installed.
func ruleInstalled(want *netlink.Rule) (bool, error) {
	rules, err := netlink.RuleList(want.Family)
	for attempt := 1; errors.Is(err, netlink.ErrDumpInterrupted) && attempt < 3; attempt++ {
		rules, err = netlink.RuleList(want.Family) // the rules changed during the dump
	}
	if err != nil {
		return false, fmt.Errorf("list rules: %w", err)
	}
	for _, have := range rules {
		if sameRule(have, *want) {
			return true, nil
		}
	}
	return false, nil
}

// sameRule reports whether have, as the kernel lists it, is the rule want adds, at any
// preference. The listing leaves out the action type, so rules differing only in it (say
// blackhole and prohibit) compare equal.
func sameRule(have, want netlink.Rule) bool {
	mask := want.Mask
	if mask == nil && want.Mark != 0 {
		all := uint32(math.MaxUint32) // what the kernel sets for a mark without a mask
		mask = &all
	}
	return have.Family == want.Family && have.Invert == want.Invert && have.Table == want.Table &&
		have.Src.String() == want.Src.String() && have.Dst.String() == want.Dst.String() &&
		have.Mark == want.Mark && equalPtr(have.Mask, mask) && have.Tos == want.Tos && have.Flow == want.Flow &&
		have.IifName == want.IifName && have.OifName == want.OifName && have.Goto == want.Goto &&
		have.SuppressPrefixlen == want.SuppressPrefixlen && have.SuppressIfgroup == want.SuppressIfgroup &&
		have.IPProto == want.IPProto && equalPtr(have.Sport, want.Sport) && equalPtr(have.Dport, want.Dport) &&
		equalPtr(have.UIDRange, want.UIDRange) && have.Protocol == want.Protocol
}

// equalPtr reports whether two optional values are both absent or equal.
func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
