package netif

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/havip/havip/config/iproute2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Rule is one virtual_rules / static_rules entry as keepalived installs it, its names and options
// resolved to numbers by the configuration parser. The zero value of every optional field is ip
// rule's default.
type Rule struct {
	Family int          // 4 or 6; 0 = the family of From and To, else 4
	Not    bool         // "not": the rule applies to packets its selectors do not match
	From   netip.Prefix // "from"; the zero or a /0 prefix matches all sources
	To     netip.Prefix // "to"; the zero or a /0 prefix matches all destinations
	// Table is the table to look up; 0 = none, for rules whose action is a goto or a type.
	Table uint32
	// Preference orders the rules; 0 = unset: the kernel numbers the rule just below the first
	// rule after preference 0.
	Preference uint32
	// Fwmark and FwmarkMask match the packet mark: mark & FwmarkMask == Fwmark; both 0 = any mark.
	Fwmark, FwmarkMask uint32
	// Iif and Oif are the "iif" and "oif" interface names; a rule naming an absent interface stays
	// inactive until the interface appears.
	Iif, Oif string
	Options  iproute2.RuleOptions // further ip-rule options
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
	w = appendWord(w, "fwmark", r.hasFwmark(), fmt.Sprintf("%#x/%#x", r.Fwmark, r.FwmarkMask))
	w = appendWord(w, "iif", r.Iif != "", r.Iif)
	w = appendWord(w, "oif", r.Oif != "", r.Oif)
	w = append(w, r.Options.Words()...)
	w = appendWord(w, "table", r.Table != 0, iproute2.TableName(r.Table))
	w = appendWord(w, "preference", r.Preference != 0, strconv.FormatUint(uint64(r.Preference), 10))
	return strings.Join(w, " ")
}

// hasFwmark reports whether the rule matches on the packet mark.
func (r Rule) hasFwmark() bool { return r.Fwmark != 0 || r.FwmarkMask != 0 }

// Equal reports whether r and o are the same rule.
func (r Rule) Equal(o Rule) bool {
	return r == o
}

// matchesAll reports whether a rule selector matches every address.
func matchesAll(p netip.Prefix) bool {
	return !p.IsValid() || p.Bits() == 0
}

// netlinkRule maps the rule to the netlink request that installs it.
func (r Rule) netlinkRule() (*netlink.Rule, error) {
	family, err := r.AddressFamily()
	if err != nil {
		return nil, err
	}
	o := r.Options
	nr := netlink.NewRule()
	nr.Family = netlinkFamily(family)
	nr.Invert = r.Not
	nr.Src, nr.Dst = selectorIPNet(r.From), selectorIPNet(r.To)
	nr.IifName, nr.OifName = r.Iif, r.Oif
	nr.Table = int(r.Table)
	if r.Preference != 0 {
		nr.Priority = int(r.Preference)
	}
	if r.hasFwmark() {
		mask := r.FwmarkMask
		nr.Mark, nr.Mask = r.Fwmark, &mask
	}
	nr.Tos = uint(o.TOS)
	if o.Realms != 0 { // realm 0 is none, which the kernel does not list
		nr.Flow = int(o.Realms)
	}
	if o.Goto != 0 {
		nr.Goto = int(o.Goto)
	}
	if o.HasSuppressPrefixlen {
		nr.SuppressPrefixlen = int(o.SuppressPrefixlen)
	}
	if o.HasSuppressIfgroup {
		nr.SuppressIfgroup = int(o.SuppressIfgroup)
	}
	if o.HasUIDRange {
		nr.UIDRange = netlink.NewRuleUIDRange(o.UIDStart, o.UIDEnd)
	}
	if o.Sport.Set {
		nr.Sport = netlink.NewRulePortRange(o.Sport.Start, o.Sport.End)
	}
	if o.Dport.Set {
		nr.Dport = netlink.NewRulePortRange(o.Dport.Start, o.Dport.End)
	}
	nr.IPProto, nr.Protocol, nr.Type = int(o.IPProto), o.Protocol, o.Action
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

// Check reports whether the rule can be installed, without touching the system.
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
