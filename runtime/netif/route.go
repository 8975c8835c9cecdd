package netif

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/havip/havip/config/iproute2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Route is one virtual_routes / static_routes entry as keepalived installs it, its names and
// options resolved to numbers by the configuration parser.
type Route struct {
	// Type is the route type (RTN_*): unicast, local, broadcast, anycast, multicast, blackhole,
	// unreachable, prohibit or throw; 0 = unicast.
	Type uint8
	Dst  netip.Prefix // destination; 0.0.0.0/0 or ::/0 for the default route
	Src  netip.Addr   // "src": preferred source address; zero = none
	Via  netip.Addr   // "via": gateway; zero = none
	// Or is keepalived's alternative gateway ("via A or B"), which keepalived installs as a
	// multipath route with the nexthops Via and Or, each on Dev; zero = none.
	Or     netip.Addr
	Dev    string // "dev": output interface, resolved to its index when the route is added or deleted
	Table  uint32 // routing table; 0 = main
	Metric uint32 // "metric" (also "preference", "priority"); 0 = the kernel's default
	// Scope is the route's scope (RT_SCOPE_*, 0 = global); the configuration gives local routes
	// host and broadcast and anycast routes link by default, where the kernel accepts nothing wider.
	Scope uint8
	// Protocol is the routing protocol (RTPROT_*); keepalived installs its routes with
	// RTPROT_KEEPALIVED unless the configuration names another.
	Protocol uint8
	Options  iproute2.RouteOptions // further ip-route options
}

// String formats the route in ip-route syntax, e.g. "198.51.100.0/24 via 192.0.2.254 dev eth0".
func (r Route) String() string {
	var w []string
	if r.Type != 0 && r.Type != unix.RTN_UNICAST {
		w = append(w, iproute2.RouteTypeName(r.Type))
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
	w = appendWord(w, "table", r.Table != 0 && r.Table != unix.RT_TABLE_MAIN, iproute2.TableName(r.Table))
	w = appendWord(w, "metric", r.Metric != 0, strconv.FormatUint(uint64(r.Metric), 10))
	w = appendWord(w, "scope", r.Scope != iproute2.DefaultScope(r.Type), iproute2.ScopeName(r.Scope))
	w = appendWord(w, "proto", r.Protocol != 0, iproute2.ProtocolName(r.Protocol))
	return strings.Join(append(w, r.Options.Words()...), " ")
}

// Equal reports whether r and o are the same route.
func (r Route) Equal(o Route) bool {
	return r == o
}

// appendWord appends the keyword and its value when present.
func appendWord(w []string, keyword string, present bool, value string) []string {
	if !present {
		return w
	}
	return append(w, keyword, value)
}

// routeTypes are the route types (RTN_*) a route may have.
var routeTypes = []uint8{unix.RTN_UNICAST, unix.RTN_LOCAL, unix.RTN_BROADCAST, unix.RTN_ANYCAST, unix.RTN_MULTICAST,
	unix.RTN_BLACKHOLE, unix.RTN_UNREACHABLE, unix.RTN_PROHIBIT, unix.RTN_THROW}

// rejectRoute reports whether routes of type t discard packets or defer the lookup, and so take
// no gateway or interface.
func rejectRoute(t uint8) bool {
	return t == unix.RTN_BLACKHOLE || t == unix.RTN_UNREACHABLE || t == unix.RTN_PROHIBIT || t == unix.RTN_THROW
}

// netlinkRoute maps the route to the netlink request that installs it with keepalived's
// semantics. The interface is left for AddRoute and DelRoute to resolve.
func (r Route) netlinkRoute() (*netlink.Route, error) {
	typ, err := r.check()
	if err != nil {
		return nil, fmt.Errorf("route %v: %w", r, err)
	}
	table := r.Table
	if table == 0 {
		table = unix.RT_TABLE_MAIN
	}
	o := r.Options
	nr := &netlink.Route{
		Family:   netlinkFamily(addrFamily(r.Dst.Addr())),
		Dst:      prefixIPNet(r.Dst),
		Type:     int(typ),
		Priority: int(r.Metric),
		Table:    int(table),
		Scope:    netlink.Scope(r.Scope),
		Protocol: netlink.RouteProtocol(r.Protocol),
		Tos:      int(o.TOS),
		Realm:    int(o.Realms),
		// Metrics of 0 are the kernel's default, which netlink expresses by leaving them out.
		MTU: int(o.MTU), AdvMSS: int(o.AdvMSS), Reordering: int(o.Reordering), Window: int(o.Window),
		Cwnd: int(o.Cwnd), Ssthresh: int(o.Ssthresh), InitCwnd: int(o.InitCwnd), InitRwnd: int(o.InitRwnd),
		Hoplimit: int(o.Hoplimit), QuickACK: boolInt(o.QuickACK), FastOpenNoCookie: boolInt(o.FastOpenNoCookie),
		Rtt: int(o.RTT), RttVar: int(o.RTTVar), RtoMin: int(o.RTOMin), Congctl: o.Congctl,
	}
	if o.ECN {
		nr.Features = unix.RTAX_FEATURE_ECN
	}
	if r.Src.IsValid() {
		nr.Src = ipOf(r.Src)
	}
	if r.Or.IsValid() {
		nr.MultiPath = []*netlink.NexthopInfo{{Gw: ipOf(r.Via)}, {Gw: ipOf(r.Or)}}
	} else if r.Via.IsValid() {
		nr.Gw = ipOf(r.Via)
	}
	switch {
	case o.OnLink && len(nr.MultiPath) > 0:
		// A multipath route takes nexthop flags from each nexthop, not from the route.
		for _, nh := range nr.MultiPath {
			nh.Flags |= unix.RTNH_F_ONLINK
		}
	case o.OnLink:
		nr.Flags |= unix.RTNH_F_ONLINK
	}
	return nr, nil
}

// boolInt is 1 for true, 0 for false.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// check validates the route's destination, type and addresses and returns its RTN_* type.
func (r Route) check() (uint8, error) {
	if !r.Dst.IsValid() {
		return 0, errors.New("no destination (want e.g. 198.51.100.0/24, or 0.0.0.0/0 for the default route)")
	}
	if r.Dst != r.Dst.Masked() {
		return 0, fmt.Errorf("destination %v has host bits set; did you mean %v?", r.Dst, r.Dst.Masked())
	}
	typ := r.Type
	if typ == 0 {
		typ = unix.RTN_UNICAST
	}
	if !slices.Contains(routeTypes, typ) {
		return 0, fmt.Errorf("type %d is not a route type (want unicast, local, broadcast, anycast, multicast, blackhole, unreachable, prohibit or throw)", typ)
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
		return 0, fmt.Errorf("%s routes take no via, or, or dev", iproute2.RouteTypeName(typ))
	}
	return typ, nil
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

// Check reports whether the route can be installed, naming what cannot (a destination with host
// bits, a gateway of the other family) without touching the system; only the interface is left
// for AddRoute to find.
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
