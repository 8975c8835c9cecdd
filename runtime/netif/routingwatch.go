package netif

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// RoutingRemoved is a route or a policy rule the kernel reports deleted.
type RoutingRemoved struct {
	Rule   bool // a rule (RTM_DELRULE); else a route (RTM_DELROUTE)
	Family int  // 4 or 6
	// Dst is a route's destination (0.0.0.0/0 or ::/0 for a default route) or a rule's "to"
	// selector (the zero prefix when the rule has none).
	Dst   netip.Prefix
	Table uint32
}

// Kind names what was removed: "route" or "rule".
func (r RoutingRemoved) Kind() string {
	if r.Rule {
		return "rule"
	}
	return "route"
}

// fraProtocol is linux/fib_rules.h's FRA_PROTOCOL. FRA_DST and FRA_TABLE have the numbers of
// RTA_DST and RTA_TABLE, and fib_rule_hdr the size of rtmsg.
const fraProtocol = 21

// WatchRoutingRemovals calls fn for every route and policy rule of the given routing protocol
// (keepalived's own routes and rules carry RTPROT_KEEPALIVED) deleted in this network namespace,
// whoever deleted it, until ctx is done (then it returns nil) or the netlink socket fails (e.g.
// ENOBUFS after an event storm): calling it again subscribes afresh. fn runs on the calling
// goroutine.
func WatchRoutingRemovals(ctx context.Context, protocol uint8, fn func(RoutingRemoved)) error {
	s, err := nl.Subscribe(unix.NETLINK_ROUTE,
		unix.RTNLGRP_IPV4_ROUTE, unix.RTNLGRP_IPV6_ROUTE, unix.RTNLGRP_IPV4_RULE, unix.RTNLGRP_IPV6_RULE)
	if err != nil {
		return fmt.Errorf("watch routes and rules: subscribe to netlink: %w", err)
	}
	stop := context.AfterFunc(ctx, s.Close) // wakes a pending Receive
	defer func() {
		if stop() {
			s.Close()
		}
	}()
	for {
		msgs, _, err := s.Receive()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("watch routes and rules: receive: %w", err)
		}
		for _, m := range msgs {
			if ev, ok := parseRoutingRemoval(m.Header.Type, m.Data, protocol); ok {
				fn(ev)
			}
		}
	}
}

// parseRoutingRemoval decodes an RTM_DELROUTE or RTM_DELRULE message body of the given routing
// protocol; ok is false for any other message, protocol or family, and for a malformed body.
func parseRoutingRemoval(typ uint16, body []byte, protocol uint8) (ev RoutingRemoved, ok bool) {
	if typ != unix.RTM_DELROUTE && typ != unix.RTM_DELRULE || len(body) < unix.SizeofRtMsg {
		return ev, false
	}
	// rtmsg and fib_rule_hdr share the layout of the fields read here: family, dst_len, table
	// at 0, 1 and 4; rtmsg has the protocol at 5, a rule has it as an attribute.
	family, dstLen, table := body[0], int(body[1]), uint32(body[4])
	switch family {
	case unix.AF_INET:
		ev.Family = 4
	case unix.AF_INET6:
		ev.Family = 6
	default:
		return ev, false
	}
	ev.Rule = typ == unix.RTM_DELRULE
	gotProtocol, dst := body[5], []byte(nil)
	if ev.Rule {
		gotProtocol = unix.RTPROT_UNSPEC
	}
	for attrs := body[unix.SizeofRtMsg:]; len(attrs) > 0; {
		if len(attrs) < unix.SizeofRtAttr {
			return ev, false
		}
		n, typ := int(binary.NativeEndian.Uint16(attrs)), binary.NativeEndian.Uint16(attrs[2:])
		if n < unix.SizeofRtAttr || n > len(attrs) {
			return ev, false
		}
		value := attrs[unix.SizeofRtAttr:n]
		switch {
		case typ == unix.RTA_DST:
			dst = value
		case typ == unix.RTA_TABLE && len(value) == 4:
			table = binary.NativeEndian.Uint32(value)
		case ev.Rule && typ == fraProtocol && len(value) == 1:
			gotProtocol = value[0]
		}
		attrs = attrs[min(rtaAlign(n), len(attrs)):]
	}
	if gotProtocol != protocol {
		return ev, false
	}
	ev.Table = table
	addr, ok := netip.AddrFromSlice(dst)
	switch {
	case dst == nil && ev.Rule:
	case dst == nil: // the default route
		ev.Dst = netip.PrefixFrom(zeroAddr(ev.Family), 0)
	case !ok || addrFamily(addr) != ev.Family || dstLen > addr.BitLen():
		return ev, false
	default:
		ev.Dst = netip.PrefixFrom(addr, dstLen).Masked()
	}
	return ev, true
}

// rtaAlign rounds an attribute length up to the 4-byte alignment of rtnetlink attributes.
func rtaAlign(n int) int { return (n + unix.RTA_ALIGNTO - 1) &^ (unix.RTA_ALIGNTO - 1) }

func zeroAddr(family int) netip.Addr {
	if family == 6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// HasRoute reports whether the route is installed: its destination, table, protocol, type and
// interface, and its metric when it has one. A missing interface is an error wrapping
// ErrNoInterface.
func HasRoute(r Route) (bool, error) {
	want, err := r.netlinkRoute()
	if err != nil {
		return false, err
	}
	if err := r.setLink(want); err != nil {
		return false, fmt.Errorf("look up route %v: %w", r, err)
	}
	mask := netlink.RT_FILTER_DST | netlink.RT_FILTER_TABLE | netlink.RT_FILTER_PROTOCOL | netlink.RT_FILTER_TYPE
	if want.LinkIndex != 0 {
		mask |= netlink.RT_FILTER_OIF
	}
	routes, err := netlink.RouteListFiltered(want.Family, want, mask)
	for attempt := 1; errors.Is(err, netlink.ErrDumpInterrupted) && attempt < 3; attempt++ {
		routes, err = netlink.RouteListFiltered(want.Family, want, mask) // the routes changed during the dump
	}
	if err != nil {
		return false, fmt.Errorf("look up route %v: %w", r, err)
	}
	for _, have := range routes {
		if want.Priority == 0 || have.Priority == want.Priority {
			return true, nil
		}
	}
	return false, nil
}

// HasRule reports whether the rule is installed, at its preference when it has one.
func HasRule(r Rule) (bool, error) {
	want, err := r.netlinkRule()
	if err != nil {
		return false, err
	}
	rules, err := netlink.RuleList(want.Family)
	for attempt := 1; errors.Is(err, netlink.ErrDumpInterrupted) && attempt < 3; attempt++ {
		rules, err = netlink.RuleList(want.Family)
	}
	if err != nil {
		return false, fmt.Errorf("look up rule %v: %w", r, err)
	}
	for _, have := range rules {
		if sameRule(have, *want) && (want.Priority < 0 || have.Priority == want.Priority) {
			return true, nil
		}
	}
	return false, nil
}
