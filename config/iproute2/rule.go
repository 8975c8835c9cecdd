package iproute2

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Fwmark is an ip-rule "fwmark VALUE[/MASK]" as written and resolved; without a mask the kernel
// compares all 32 bits, so Mask is then 0xffffffff. The zero value is no fwmark.
type Fwmark struct {
	Mark, Mask uint32
	Word       string // as written; "" = no fwmark
}

// MarshalText encodes the fwmark as written.
func (f Fwmark) MarshalText() ([]byte, error) { return []byte(f.Word), nil }

// ParseFwmark parses VALUE[/MASK], each a 32-bit number (decimal, 0x hex or 0 octal).
func ParseFwmark(s string) (Fwmark, error) {
	bad := fmt.Errorf("fwmark %q: want VALUE[/MASK], each a 32-bit number", s)
	value, maskText, hasMask := strings.Cut(s, "/")
	n, err := strconv.ParseUint(value, 0, 32)
	if err != nil {
		return Fwmark{}, bad
	}
	f := Fwmark{Mark: uint32(n), Mask: math.MaxUint32, Word: s}
	if hasMask {
		m, err := strconv.ParseUint(maskText, 0, 32)
		if err != nil {
			return Fwmark{}, bad
		}
		f.Mask = uint32(m)
	}
	return f, nil
}

// PortRange is an ip-rule sport / dport range; the zero value is none.
type PortRange struct {
	Start, End uint16
	Set        bool
}

// RuleOptions are the further ip-rule options of a rule, as the kernel takes them.
type RuleOptions struct {
	TOS    uint8  // "tos" / "dsfield"
	Realms uint32 // "realms"; 0 = none
	Goto   uint32 // "goto": the preference to continue at; 0 = none
	// SuppressPrefixlen and SuppressIfgroup apply when HasSuppressPrefixlen and HasSuppressIfgroup.
	SuppressPrefixlen, SuppressIfgroup       uint32
	HasSuppressPrefixlen, HasSuppressIfgroup bool
	// UIDStart-UIDEnd is the "uidrange" when HasUIDRange.
	UIDStart, UIDEnd uint32
	HasUIDRange      bool
	Sport, Dport     PortRange
	IPProto          uint8 // "ipproto"; 0 = any
	Protocol         uint8 // "protocol"; 0 = none
	// Action is the "type" (FR_ACT_*); 0 = none given: look up the table.
	Action uint8
}

// RuleValueOptions are the ip-rule options followed by one value kept in RuleOptions.
var RuleValueOptions = []string{"tos", "dsfield", "realms", "goto", "suppress_prefixlength", "suppress_ifgroup", "uidrange",
	"sport", "dport", "ipproto", "l3mdev", "protocol", "tun_id", "type"}

// unsupportedRuleOptions are ip-rule options havip recognises but cannot install, with why.
var unsupportedRuleOptions = map[string]string{
	"l3mdev": "the netlink library cannot send FRA_L3MDEV",
	"tun_id": "the netlink library sends FRA_TUN_ID with the wrong size",
}

// ruleActions maps ip-rule types to FR_ACT_* actions, in the order errors list them.
var ruleActions = []struct {
	name string
	id   uint8
}{
	{"unicast", unix.FR_ACT_TO_TBL}, {"blackhole", unix.FR_ACT_BLACKHOLE}, {"unreachable", unix.FR_ACT_UNREACHABLE},
	{"prohibit", unix.FR_ACT_PROHIBIT}, {"nop", unix.FR_ACT_NOP},
}

// ipProtocols are the IP protocol names of /etc/protocols that rules commonly match on.
var ipProtocols = []struct {
	name string
	id   uint8
}{
	{"icmp", unix.IPPROTO_ICMP}, {"igmp", unix.IPPROTO_IGMP}, {"tcp", unix.IPPROTO_TCP}, {"udp", unix.IPPROTO_UDP},
	{"gre", unix.IPPROTO_GRE}, {"esp", unix.IPPROTO_ESP}, {"ah", unix.IPPROTO_AH}, {"ipv6-icmp", unix.IPPROTO_ICMPV6},
	{"sctp", unix.IPPROTO_SCTP}, {"udplite", unix.IPPROTO_UDPLITE},
}

// Set sets one ip-rule option (one of RuleValueOptions); an error names the value and what is
// valid.
func (o *RuleOptions) Set(name, value string) error {
	if why, ok := unsupportedRuleOptions[name]; ok {
		return unsupportedOption(name, why)
	}
	var err error
	switch name {
	case "tos", "dsfield":
		o.TOS, err = DSField(value)
	case "realms":
		o.Realms, err = Realms(value)
	case "goto":
		var n uint64
		if n, err = parseUint(value, math.MaxUint32); err == nil && n == 0 {
			err = errors.New("want a preference from 1 to 4294967295 to continue at")
		}
		o.Goto = uint32(n)
	case "suppress_prefixlength":
		var n uint64
		n, err = parseUint(value, math.MaxInt32)
		o.SuppressPrefixlen, o.HasSuppressPrefixlen = uint32(n), err == nil
	case "suppress_ifgroup":
		o.SuppressIfgroup, err = Group(value)
		o.HasSuppressIfgroup = err == nil
	case "uidrange":
		var start, end uint32
		start, end, err = parseRange(value, math.MaxUint32, false)
		o.UIDStart, o.UIDEnd, o.HasUIDRange = start, end, err == nil
	case "sport", "dport":
		var start, end uint32
		start, end, err = parseRange(value, math.MaxUint16, true)
		ports := PortRange{Start: uint16(start), End: uint16(end), Set: err == nil}
		if name == "sport" {
			o.Sport = ports
		} else {
			o.Dport = ports
		}
	case "ipproto":
		o.IPProto, err = parseIPProto(value)
	case "protocol":
		o.Protocol, err = Protocol(value)
	case "type":
		o.Action, err = ruleAction(value)
	default:
		return fmt.Errorf("unknown ip-rule option %q", name)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", name, value, err)
	}
	return nil
}

// Words formats the options in ip-rule syntax, e.g. "tos 16 protocol keepalived".
func (o RuleOptions) Words() []string {
	var w []string
	num := func(name string, v uint32, set bool) {
		if set {
			w = append(w, name, strconv.FormatUint(uint64(v), 10))
		}
	}
	num("tos", uint32(o.TOS), o.TOS != 0)
	num("realms", o.Realms, o.Realms != 0)
	num("goto", o.Goto, o.Goto != 0)
	num("suppress_prefixlength", o.SuppressPrefixlen, o.HasSuppressPrefixlen)
	num("suppress_ifgroup", o.SuppressIfgroup, o.HasSuppressIfgroup)
	if o.HasUIDRange {
		w = append(w, "uidrange", fmt.Sprintf("%d-%d", o.UIDStart, o.UIDEnd))
	}
	for _, p := range []struct {
		name  string
		ports PortRange
	}{{"sport", o.Sport}, {"dport", o.Dport}} {
		if p.ports.Set {
			w = append(w, p.name, fmt.Sprintf("%d-%d", p.ports.Start, p.ports.End))
		}
	}
	num("ipproto", uint32(o.IPProto), o.IPProto != 0)
	if o.Protocol != 0 {
		w = append(w, "protocol", ProtocolName(o.Protocol))
	}
	for _, a := range ruleActions {
		if o.Action != 0 && a.id == o.Action {
			w = append(w, "type", a.name)
		}
	}
	return w
}

func ruleAction(s string) (uint8, error) {
	for _, a := range ruleActions {
		if a.name == s {
			return a.id, nil
		}
	}
	return 0, errors.New("want unicast, blackhole, unreachable, prohibit or nop")
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

// parseIPProto parses an IP protocol number or name.
func parseIPProto(s string) (uint8, error) {
	for _, p := range ipProtocols {
		if p.name == s {
			return p.id, nil
		}
	}
	n, err := parseUint(s, math.MaxUint8)
	if err != nil {
		return 0, errors.New("want a number from 0 to 255 or one of icmp, igmp, tcp, udp, gre, esp, ah, ipv6-icmp, sctp, udplite")
	}
	return uint8(n), nil
}
