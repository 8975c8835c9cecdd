package engine

import (
	"fmt"
	"slices"

	"github.com/havip/havip/config"
	"github.com/havip/havip/config/iproute2"
	"github.com/havip/havip/runtime/netif"
)

// routeFromConfig converts a virtual_routes / static_routes entry to the route netif installs.
// Unlike a VIP, a route without dev gets no interface: the kernel picks it from the gateway. A
// tracked route (without no_track) has keepalived's protocol, which keepalived gives every route
// and rule it tracks because it recognises its own by it; the parser has warned about a
// configured one it replaces.
func routeFromConfig(r config.Route) netif.Route {
	route := netif.Route{
		Type:     r.Type,
		Dst:      r.Dst,
		Src:      r.Src,
		Via:      r.Via,
		Or:       r.Or,
		Dev:      r.Dev,
		Table:    r.Table.ID,
		Metric:   uint32(r.Metric), // the parser bounds it to 32 bits
		Scope:    r.Scope.ID,
		Protocol: r.Protocol.ID,
		Options:  r.Options,
	}
	if !r.NoTrack {
		route.Protocol = iproute2.ProtocolKeepalived.ID
	}
	return route
}

// ruleFromConfig converts a virtual_rules / static_rules entry to the rule netif installs; a
// tracked rule has keepalived's protocol, as a tracked route. A rule without preference keeps 0,
// leaving the number to the kernel; keepalived instead numbers such rules 16384, 16383, ... per
// family in configuration order, which needs the whole configuration.
func ruleFromConfig(r config.Rule) netif.Rule {
	rule := netif.Rule{
		Family:     int(r.Family),
		Not:        r.Not,
		From:       r.From,
		To:         r.To,
		Table:      r.Table.ID,
		Preference: uint32(r.Preference), // the parser bounds it to 32 bits
		Fwmark:     r.Fwmark.Mark,
		FwmarkMask: r.Fwmark.Mask,
		Iif:        r.Iif,
		Oif:        r.Oif,
		Options:    r.Options,
	}
	if !r.NoTrack {
		rule.Options.Protocol = iproute2.ProtocolKeepalived.ID
	}
	return rule
}

// firstRulePreference is where keepalived starts numbering the rules configured without a
// preference: 16384, 16383, ... per address family, in configuration order.
const firstRulePreference = 16384

// routing is what a MASTER instance (virtual_routes, virtual_rules) or the engine itself
// (static_routes, static_rules) installs besides addresses.
type routing struct {
	rules  []ruleEntry
	routes []routeEntry
}

// ruleEntry and routeEntry are a rule and a route with whether they were configured no_track:
// havip, like keepalived, does not act when one of those is removed behind its back.
type (
	ruleEntry struct {
		netif.Rule
		noTrack bool
	}
	routeEntry struct {
		netif.Route
		noTrack bool
	}
)

// staticSet is what static_ipaddress, static_routes and static_rules install for as long as the
// engine runs, whatever the instances' states.
type staticSet struct {
	addrs []netif.VIP
	// noTrackAddrs are the vipKey of the addresses configured no_track, which are not restored
	// when removed behind havip's back.
	noTrackAddrs map[string]bool
	routing
}

// defaultStaticInterface is keepalived's default for global_defs default_interface, the
// interface of a static address without dev.
const defaultStaticInterface = "eth0"

// planStatic converts cfg's static_* blocks.
func planStatic(cfg *config.Config) (staticSet, error) {
	var s staticSet
	dev := cfg.Global.DefaultInterface
	if dev == "" {
		dev = defaultStaticInterface
	}
	for _, va := range cfg.StaticAddresses {
		v, err := vipOf(va, dev)
		if err != nil {
			return s, fmt.Errorf("static_ipaddress: %w", err)
		}
		s.addrs = append(s.addrs, v)
		if va.NoTrack {
			if s.noTrackAddrs == nil {
				s.noTrackAddrs = map[string]bool{}
			}
			s.noTrackAddrs[vipKey(v)] = true
		}
	}
	var err error
	s.routing, err = planRouting("static", cfg.StaticRoutes, cfg.StaticRules)
	return s, err
}

// installStatic adds what s has and installed lacks: addresses, then rules and routes.
func (e *Engine) installStatic(s, installed staticSet) {
	for _, v := range subtractVIPs(s.addrs, installed.addrs) {
		if err := e.host.AddVIP(v); err != nil {
			e.log.Error("adding a static address failed", "address", v.String(), "err", err)
		}
	}
	e.installRouting("static", s.routing.minus(installed.routing))
}

// removeStatic removes what s has and keep lacks: routes and rules, then addresses.
func (e *Engine) removeStatic(s, keep staticSet) {
	e.removeRouting("static", s.routing.minus(keep.routing))
	for _, v := range subtractVIPs(s.addrs, keep.addrs) {
		if err := e.host.DelVIP(v); err != nil {
			e.log.Error("removing a static address failed", "address", v.String(), "err", err)
		}
	}
}

// planRouting converts routes and rules, checking each can be installed; where names the block.
func planRouting(where string, routes []config.Route, rules []config.Rule) (routing, error) {
	var r routing
	for _, cr := range rules {
		rule := ruleFromConfig(cr)
		if err := rule.Check(); err != nil {
			return r, fmt.Errorf("%s (%s): %w", where, cr.Pos, err)
		}
		r.rules = append(r.rules, ruleEntry{rule, cr.NoTrack})
	}
	for _, cr := range routes {
		route := routeFromConfig(cr)
		if err := route.Check(); err != nil {
			return r, fmt.Errorf("%s (%s): %w", where, cr.Pos, err)
		}
		r.routes = append(r.routes, routeEntry{route, cr.NoTrack})
	}
	return r, nil
}

// numberRules gives every rule without a preference keepalived's number, in the order of sets.
func numberRules(sets ...*routing) {
	next := map[int]uint32{4: firstRulePreference, 6: firstRulePreference}
	for _, set := range sets {
		for i := range set.rules {
			rule := &set.rules[i]
			if rule.Preference != 0 {
				continue
			}
			family, _ := rule.AddressFamily() // planRouting has checked the rule
			rule.Preference = next[family]
			next[family]--
		}
	}
}

// minus returns the rules and routes of r that other does not have (whatever their no_track).
func (r routing) minus(other routing) routing {
	var out routing
	for _, rule := range r.rules {
		if !slices.ContainsFunc(other.rules, func(o ruleEntry) bool { return o.Rule.Equal(rule.Rule) }) {
			out.rules = append(out.rules, rule)
		}
	}
	for _, route := range r.routes {
		if !slices.ContainsFunc(other.routes, func(o routeEntry) bool { return o.Route.Equal(route.Route) }) {
			out.routes = append(out.routes, route)
		}
	}
	return out
}

// installRouting adds r's rules, then its routes (a route may need a rule's table); failures
// are logged with owner, the instance or "static".
func (e *Engine) installRouting(owner string, r routing) {
	for _, rule := range r.rules {
		if err := e.host.AddRule(rule.Rule); err != nil {
			e.log.Error("adding a rule failed", "owner", owner, "rule", rule.String(), "err", err)
		}
	}
	for _, route := range r.routes {
		if err := e.host.AddRoute(route.Route); err != nil {
			e.log.Error("adding a route failed", "owner", owner, "route", route.String(), "err", err)
		}
	}
}

// removeRouting removes r's routes, then its rules.
func (e *Engine) removeRouting(owner string, r routing) {
	for _, route := range r.routes {
		if err := e.host.DelRoute(route.Route); err != nil {
			e.log.Error("removing a route failed", "owner", owner, "route", route.String(), "err", err)
		}
	}
	for _, rule := range r.rules {
		if err := e.host.DelRule(rule.Rule); err != nil {
			e.log.Error("removing a rule failed", "owner", owner, "rule", rule.String(), "err", err)
		}
	}
}

// CheckRouting reports, each at its position, the virtual and static routes and rules of cfg
// that cannot be installed as parsed (a gateway a blackhole route cannot take, suppressors without
// a table the kernel interface can carry), so that `havip check` fails where `havip run` would.
func CheckRouting(cfg *config.Config) config.Diagnostics {
	var diags config.Diagnostics
	check := func(where string, routes []config.Route, rules []config.Rule) {
		for _, r := range routes {
			if err := routeFromConfig(r).Check(); err != nil {
				diags = append(diags, config.Diagnostic{Pos: r.Pos, Severity: config.Error, Msg: where + ": " + err.Error()})
			}
		}
		for _, r := range rules {
			if err := ruleFromConfig(r).Check(); err != nil {
				diags = append(diags, config.Diagnostic{Pos: r.Pos, Severity: config.Error, Msg: where + ": " + err.Error()})
			}
		}
	}
	check("static_routes/static_rules", cfg.StaticRoutes, cfg.StaticRules)
	for _, in := range cfg.Instances {
		check("vrrp_instance "+in.Name, in.VirtualRoutes, in.VirtualRules)
	}
	return diags
}
