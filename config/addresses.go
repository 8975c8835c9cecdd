package config

import (
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/havip/havip/config/iproute2"
	"golang.org/x/sys/unix"
)

// addresses parses a virtual_ipaddress-style block: one address per line
// with options.
func (p *parser) addresses(n *node, where string) []VirtualAddress {
	var out []VirtualAddress
	for _, c := range n.children {
		if c.hasBlock {
			p.rep.errorf(c.pos, "%s entry %s does not take a '{' block", where, c.keyword())
			continue
		}
		if a, ok := p.address(c, where); ok {
			out = append(out, a)
		}
	}
	return out
}

// addressFlags are the address options without a value.
var addressFlags = []string{"home", "-nodad", "nodad", "mngtmpaddr", "noprefixroute", "autojoin", "no_track", "use_vmac"}

func (p *parser) address(c *node, where string) (VirtualAddress, bool) {
	toks := c.toks
	a := VirtualAddress{Pos: c.pos}
	pfx, err := parsePrefix(toks[0])
	if err != nil {
		p.rep.dropf(c.pos, "the address is ignored", "%s: %v", where, err)
		return a, false
	}
	a.Prefix = pfx
	for i := 1; i < len(toks); i++ {
		opt := toks[i]
		val := func() (string, bool) {
			if i+1 >= len(toks) {
				p.rep.errorf(c.pos, "%s %s: option %s needs a value", where, toks[0], opt)
				return "", false
			}
			i++
			return toks[i], true
		}
		switch opt {
		case "brd", "broadcast":
			v, ok := val()
			if !ok {
				return a, false
			}
			if v != "+" && v != "-" {
				b, err := parseAddr(v)
				if err != nil || !b.Is4() {
					p.rep.errorf(c.pos, "%s %s: brd %q must be +, - or an IPv4 address", where, toks[0], v)
					return a, false
				}
			}
			a.Broadcast = v
		case "dev":
			v, ok := val()
			if !ok {
				return a, false
			}
			a.Dev = v
		case "scope":
			v, ok := val()
			if !ok {
				return a, false
			}
			if !validScope(v) {
				p.rep.dropf(c.pos, "the scope is ignored", "%s %s: scope %q must be global, site, link, host, nowhere or a number", where, toks[0], v)
				continue
			}
			a.Scope = v
		case "label":
			v, ok := val()
			if !ok {
				return a, false
			}
			a.Label = v
		case "peer":
			v, ok := val()
			if !ok {
				return a, false
			}
			pp, err := parsePrefix(v)
			if err != nil {
				p.rep.errorf(c.pos, "%s %s: peer: %v", where, toks[0], err)
				return a, false
			}
			a.Peer = pp
		case "preferred_lft":
			v, ok := val()
			if !ok {
				return a, false
			}
			if _, err := strconv.ParseUint(v, 10, 32); err != nil && v != "forever" {
				p.rep.errorf(c.pos, "%s %s: preferred_lft %q must be forever or a number of seconds", where, toks[0], v)
				return a, false
			}
			a.PreferredLft = v
		case "home":
			a.Home = true
		case "-nodad", "nodad":
			a.NoDAD = true
		case "mngtmpaddr":
			a.MngTmpAddr = true
		case "noprefixroute":
			a.NoPrefixRoute = true
		case "autojoin":
			a.AutoJoin = true
		case "no_track":
			a.NoTrack = true
		case "use_vmac":
			if where == "static_ipaddress" {
				// keepalived 2.2.7 reads use_vmac for VIPs and eVIPs only.
				p.rep.dropf(c.pos, "the option is ignored", "%s %s: use_vmac applies to virtual_ipaddress and virtual_ipaddress_excluded only", where, toks[0])
				continue
			}
			a.UseVMAC = true
		default:
			opts := append([]string{"brd", "dev", "scope", "label", "peer", "preferred_lft"}, addressFlags...)
			if s := nearest(opt, opts); s != "" {
				p.rep.errorf(c.pos, "%s %s: unknown option %q; did you mean %q?", where, toks[0], opt, s)
			} else {
				p.rep.errorf(c.pos, "%s %s: unknown option %q", where, toks[0], opt)
			}
			return a, false
		}
	}
	return p.addressRules(c.pos, where, a)
}

// addressRules applies what keepalived 2.2.7 checks once an address's
// options are read: a broadcast address is IPv4 only and not beside a peer,
// a peer sets the prefix length, and an IPv6 address has no scope or label.
func (p *parser) addressRules(pos Pos, where string, a VirtualAddress) (VirtualAddress, bool) {
	is6 := a.Prefix.Addr().Is6()
	if a.Broadcast != "" && is6 {
		p.rep.dropf(pos, "the address is ignored", "%s %s: an IPv6 address has no broadcast address (brd %s)", where, a.Prefix, a.Broadcast)
		return a, false
	}
	if a.Peer.IsValid() {
		switch {
		case a.Peer.Addr().Is6() != is6:
			p.rep.dropf(pos, "the peer is ignored", "%s %s: peer %s is of the other address family", where, a.Prefix, a.Peer)
			a.Peer = netip.Prefix{}
		case a.Peer.Bits() != a.Peer.Addr().BitLen():
			p.rep.dropf(pos, "the peer is ignored", "%s %s: peer %s must be an address without a prefix length", where, a.Prefix, a.Peer)
			a.Peer = netip.Prefix{}
		case a.Prefix.Bits() != a.Prefix.Addr().BitLen():
			p.rep.dropf(pos, "the prefix length is ignored", "%s %s: an address with a peer (%s) takes no prefix length", where, a.Prefix, a.Peer)
			a.Prefix = netip.PrefixFrom(a.Prefix.Addr(), a.Prefix.Addr().BitLen())
		}
	}
	if a.Broadcast != "" && a.Peer.IsValid() {
		p.rep.dropf(pos, "the broadcast address is ignored", "%s %s: brd %s is given with peer %s", where, a.Prefix, a.Broadcast, a.Peer)
		a.Broadcast = ""
	}
	if (a.Broadcast == "+" || a.Broadcast == "-") && a.Prefix.Bits() > 30 {
		p.rep.dropf(pos, "no broadcast address is set", "%s %s: brd %s needs a prefix length of 30 or less (have %d)", where, a.Prefix, a.Broadcast, a.Prefix.Bits())
		a.Broadcast = ""
	}
	if is6 && a.Scope != "" {
		p.rep.dropf(pos, "the scope is ignored", "%s %s: an IPv6 address takes no scope (scope %s)", where, a.Prefix, a.Scope)
		a.Scope = ""
	}
	if is6 && a.Label != "" {
		p.rep.dropf(pos, "the label is ignored", "%s %s: an IPv6 address takes no label (label %s)", where, a.Prefix, a.Label)
		a.Label = ""
	}
	return a, true
}

func validScope(s string) bool {
	switch s {
	case "global", "site", "link", "host", "nowhere":
		return true
	}
	_, err := strconv.ParseUint(s, 10, 8)
	return err == nil
}

// routeTypes are ip-route types that may precede the destination.
var routeTypes = []string{"unicast", "blackhole", "unreachable", "prohibit", "throw", "local", "broadcast", "anycast", "multicast", "nat"}

// routeOptionsIgnored and ruleOptionsIgnored are the options whose bad value keepalived 2.2.7
// reports and ignores, keeping the route or rule; any other bad value drops it.
var (
	routeOptionsIgnored = []string{"features"}
	ruleOptionsIgnored  = []string{"protocol", "ipproto"}
)

// isUnsupported reports whether err is an option havip recognises but cannot install.
func isUnsupported(err error) bool {
	var unsupported *iproute2.UnsupportedError
	return errors.As(err, &unsupported)
}

// routes parses a virtual_routes / static_routes block. A route keepalived would drop is dropped
// with a warning; one using an option havip cannot install is an error.
func (p *parser) routes(n *node) []Route {
	var out []Route
	for _, c := range n.children {
		if c.hasBlock {
			p.rep.errorf(c.pos, "%s entry %s does not take a '{' block", n.keyword(), c.keyword())
			continue
		}
		var refused error
		p.dropping("the route is ignored", func() {
			if r, ok := p.route(c, n.keyword(), &refused); ok {
				out = append(out, p.trackRoute(r, n.keyword()))
			}
		})
		if refused != nil {
			p.rep.errorf(c.pos, "%s: route %s: %v", n.keyword(), strings.Join(c.toks, " "), refused)
		}
	}
	return out
}

// trackRoute applies keepalived's rules for tracking a route (noticing it removed behind our
// back): a tracked route has protocol keepalived, which replaces another one configured, and
// one without an interface is not tracked, though it keeps that protocol.
func (p *parser) trackRoute(r Route, where string) Route {
	if r.NoTrack {
		return r
	}
	if r.Protocol.Set() && r.Protocol.ID != iproute2.ProtocolKeepalived.ID {
		p.rep.warnf(r.Pos, "%s: route %s: protocol %s is replaced by keepalived, the protocol of tracked routes, as keepalived does; add no_track to keep it",
			where, r.Dst, r.Protocol.Word)
	}
	if r.Dev == "" {
		p.rep.warnf(r.Pos, "%s: route %s has no interface (dev), so its removal is not tracked, as keepalived does", where, r.Dst)
		r.Protocol, r.NoTrack = iproute2.ProtocolKeepalived, true
	}
	return r
}

// route parses one route. A value keepalived refuses (an unknown table, scope or protocol name, a
// bad option value) is an error naming it and what is valid; an option havip cannot install is
// set in refused instead.
func (p *parser) route(c *node, where string, refused *error) (Route, bool) {
	r := Route{Pos: c.pos}
	toks := c.toks
	fail := func(format string, args ...any) (Route, bool) {
		p.rep.errorf(c.pos, where+": "+format, args...)
		return r, false
	}
	// option reports an option of the route that cannot be set, telling an unsupported one from a
	// bad one.
	option := func(err error) (Route, bool) {
		if isUnsupported(err) {
			*refused = err
			return r, false
		}
		return fail("%v", err)
	}
	haveDst := false
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		val := func() (string, bool) {
			if i+1 >= len(toks) {
				return "", false
			}
			i++
			return toks[i], true
		}
		addr := func() (netip.Addr, bool) {
			v, ok := val()
			if !ok {
				p.rep.errorf(c.pos, "%s: %s needs an address", where, t)
				return netip.Addr{}, false
			}
			a, err := parseAddr(v)
			if err != nil {
				p.rep.errorf(c.pos, "%s: %s: %v", where, t, err)
				return netip.Addr{}, false
			}
			return a, true
		}
		var ok bool
		switch {
		case t == "add" || t == "append" || t == "inet" || t == "inet6":
			continue
		case t == "src":
			if r.Src, ok = addr(); !ok {
				return r, false
			}
		case t == "via" || t == "gw":
			if r.Via, ok = addr(); !ok {
				return r, false
			}
		case t == "or":
			if r.Or, ok = addr(); !ok {
				return r, false
			}
		case t == "dev" || t == "oif":
			if r.Dev, ok = val(); !ok {
				return fail("dev needs an interface name")
			}
		case t == "table":
			v, ok := val()
			if !ok {
				return fail("table needs a number or name")
			}
			id, err := iproute2.Table(v)
			if err != nil {
				return fail("table %q: %v", v, err)
			}
			r.Table = iproute2.Named[uint32]{ID: id, Word: v}
		case t == "metric" || t == "preference" || t == "priority":
			v, ok := val()
			m, err := strconv.ParseUint(v, 10, 32)
			if !ok || err != nil {
				return fail("%s needs a number, have %q", t, v)
			}
			r.Metric = int(m)
		case t == "scope":
			v, ok := val()
			if !ok {
				return fail("scope needs a value: global, site, link, host, nowhere, a number or a name from rt_scopes")
			}
			id, err := iproute2.Scope(v)
			if err != nil {
				return fail("scope %q: %v; want global, site, link, host, nowhere, a number or a name from rt_scopes", v, err)
			}
			r.Scope = iproute2.Named[uint8]{ID: id, Word: v}
		case t == "protocol" || t == "proto":
			v, ok := val()
			if !ok {
				return fail("protocol needs a value")
			}
			id, err := iproute2.Protocol(v)
			if err != nil {
				return fail("protocol %q: %v", v, err)
			}
			r.Protocol = iproute2.Named[uint8]{ID: id, Word: v}
		case t == "no_track":
			r.NoTrack = true
		case slices.Contains(iproute2.RouteFlags, t):
			if err := r.Options.SetFlag(t); err != nil {
				return option(err)
			}
			r.OptionWords = append(r.OptionWords, t)
		case slices.Contains(iproute2.RouteValueOptions, t):
			v, ok := val()
			if !ok {
				return fail("%s needs a value", t)
			}
			if err := r.Options.Set(t, v); err != nil {
				if slices.Contains(routeOptionsIgnored, t) && !isUnsupported(err) {
					p.rep.dropf(c.pos, "the option is ignored", "%s: %v", where, err)
					continue
				}
				return option(err)
			}
			r.OptionWords = append(r.OptionWords, t, v)
		case !haveDst && slices.Contains(routeTypes, t) && i+1 < len(toks):
			typ, err := iproute2.RouteType(t)
			if err != nil {
				return option(err)
			}
			if typ != unix.RTN_UNICAST {
				r.Type = typ
			}
		case !haveDst && t == "to":
			continue
		case !haveDst:
			if t == "default" {
				t = "0.0.0.0/0"
			}
			pfx, err := parsePrefix(t)
			if err != nil {
				if s := nearest(t, append([]string{"src", "via", "gw", "dev", "table", "metric", "scope", "protocol", "no_track"}, routeTypes...)); s != "" && !strings.ContainsAny(t, ".:/") {
					return fail("unknown route option %q; did you mean %q?", t, s)
				}
				return fail("destination %v", err)
			}
			r.Dst, haveDst = pfx.Masked(), true
			if r.Dst != pfx {
				return fail("destination %s has host bits set; did you mean %s?", t, pfx.Masked())
			}
		default:
			return fail("unknown route option %q", t)
		}
	}
	if !haveDst {
		return fail("route needs a destination prefix")
	}
	for _, a := range []netip.Addr{r.Src, r.Via, r.Or} {
		if a.IsValid() && familyOf(a) != familyOf(r.Dst.Addr()) {
			return fail("route %s mixes IPv4 and IPv6 addresses", r.Dst)
		}
	}
	if !r.Table.Set() {
		r.Table.ID = unix.RT_TABLE_MAIN
	}
	if !r.Scope.Set() {
		r.Scope.ID = iproute2.DefaultScope(r.Type)
	}
	if !r.Protocol.Set() {
		r.Protocol.ID = iproute2.ProtocolKeepalived.ID
	}
	return r, true
}

// rules parses a virtual_rules / static_rules block. A rule keepalived would drop is dropped with
// a warning; one using an option havip cannot install is an error.
func (p *parser) rules(n *node) []Rule {
	var out []Rule
	for _, c := range n.children {
		if c.hasBlock {
			p.rep.errorf(c.pos, "%s entry %s does not take a '{' block", n.keyword(), c.keyword())
			continue
		}
		var refused error
		p.dropping("the rule is ignored", func() {
			if r, ok := p.rule(c, n.keyword(), &refused); ok {
				if i := slices.Index(r.OptionWords, "protocol"); !r.NoTrack && i >= 0 && i%2 == 0 && r.Options.Protocol != iproute2.ProtocolKeepalived.ID {
					p.rep.warnf(r.Pos, "%s: rule: protocol %s is replaced by keepalived, the protocol of tracked rules, as keepalived does; add no_track to keep it",
						n.keyword(), r.OptionWords[i+1])
				}
				out = append(out, r)
			}
		})
		if refused != nil {
			p.rep.errorf(c.pos, "%s: rule %s: %v", n.keyword(), strings.Join(c.toks, " "), refused)
		}
	}
	return out
}

// rule parses one rule, as route parses a route.
func (p *parser) rule(c *node, where string, refused *error) (Rule, bool) {
	r := Rule{Pos: c.pos}
	toks := c.toks
	fail := func(format string, args ...any) (Rule, bool) {
		p.rep.errorf(c.pos, where+": "+format, args...)
		return r, false
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t == "add" || t == "inet" || t == "inet6" {
			if t == "inet6" {
				r.Family = IPv6
			}
			continue
		}
		if t == "not" {
			r.Not = true
			continue
		}
		if t == "no_track" {
			r.NoTrack = true
			continue
		}
		if i+1 >= len(toks) {
			return fail("%s needs a value", t)
		}
		i++
		v := toks[i]
		switch t {
		case "from", "to":
			if v == "all" {
				v = "0.0.0.0/0"
			}
			pfx, err := parsePrefix(v)
			if err != nil {
				return fail("invalid rule %s address: %v", t, err)
			}
			if t == "from" {
				r.From = pfx
			} else {
				r.To = pfx
			}
		case "table", "lookup":
			id, err := iproute2.Table(v)
			if err != nil {
				return fail("%s %q: %v", t, v, err)
			}
			r.Table = iproute2.Named[uint32]{ID: id, Word: v}
		case "preference", "pref", "priority":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return fail("%s %q must be a number", t, v)
			}
			r.Preference = int(n)
		case "fwmark":
			fw, err := iproute2.ParseFwmark(v)
			if err != nil {
				return fail("%v", err)
			}
			r.Fwmark = fw
		case "iif":
			r.Iif = v
		case "oif":
			r.Oif = v
		default:
			if !slices.Contains(iproute2.RuleValueOptions, t) {
				opts := []string{"from", "to", "table", "preference", "fwmark", "iif", "oif", "not", "no_track"}
				if s := nearest(t, opts); s != "" {
					return fail("unknown rule option %q; did you mean %q?", t, s)
				}
				return fail("unknown rule option %q", t)
			}
			if err := r.Options.Set(t, v); err != nil {
				switch {
				case isUnsupported(err):
					*refused = err
					return r, false
				case slices.Contains(ruleOptionsIgnored, t):
					p.rep.dropf(c.pos, "the option is ignored", "%s: %v", where, err)
					continue
				}
				return fail("%v", err)
			}
			r.OptionWords = append(r.OptionWords, t, v)
		}
	}
	var fam Family
	for _, pfx := range []netip.Prefix{r.From, r.To} {
		if !pfx.IsValid() {
			continue
		}
		if f := familyOf(pfx.Addr()); fam != 0 && f != fam {
			return fail("rule mixes IPv4 and IPv6 addresses")
		} else {
			fam = f
		}
	}
	if r.Family == 0 {
		r.Family = fam
	}
	if r.Family == 0 {
		r.Family = IPv4
	}
	if !r.Table.Set() && r.Options.Goto == 0 && r.Options.Action == 0 {
		return fail("rule needs a table (or goto/type)")
	}
	return r, true
}
