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

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

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

// Equal reports whether r and o are the same rule as written; nil and empty Options are the same.
func (r Rule) Equal(o Rule) bool {
	return r.Family == o.Family && r.Not == o.Not && r.From == o.From && r.To == o.To && r.Table == o.Table &&
		r.Preference == o.Preference && r.Fwmark == o.Fwmark && r.Iif == o.Iif && r.Oif == o.Oif &&
		slices.Equal(r.Options, o.Options)
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
