package catalog

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// MaxIPRangeAddresses caps how many addresses ParseIPRanges expands to, so that a typo such as
// 2001:db8::0-ffff cannot produce an unusable configuration.
const MaxIPRangeAddresses = 1024

// ParseIPRanges expands a list of addresses and ranges, separated by commas and/or spaces, in
// the forms OpenShift ipfailover accepts:
//
//	192.0.2.9                single address
//	192.0.2.4-6              last-octet range (decimal)
//	192.0.2.4-192.0.2.6      same, with a full end address (only the last octet may differ)
//	2001:db8::1f39-1f3b      last-hextet range (hexadecimal)
//	2001:db8::1f39-2001:db8::1f3b
//
// Unlike OpenShift, which silently drops what it cannot read, every invalid entry is
// reported; an end below its start, a zone, a repeated address and an empty list are errors.
// Addresses keep their order of appearance.
func ParseIPRanges(s string) ([]netip.Addr, error) {
	entries := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	if len(entries) == 0 {
		return nil, errors.New("no addresses given: write addresses or ranges such as 192.0.2.4-6,192.0.2.9")
	}
	var errs []error
	var out []netip.Addr
	seen := map[netip.Addr]string{}
	for _, entry := range entries {
		addrs, err := expandEntry(entry)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, a := range addrs {
			if first, dup := seen[a]; dup {
				errs = append(errs, fmt.Errorf("%q: address %s is already listed by %q", entry, a, first))
				continue
			}
			seen[a] = entry
			out = append(out, a)
		}
		if len(out) > MaxIPRangeAddresses {
			errs = append(errs, fmt.Errorf("the list expands to more than %d addresses", MaxIPRangeAddresses))
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// expandEntry expands one address or range.
func expandEntry(entry string) ([]netip.Addr, error) {
	startText, endText, isRange := strings.Cut(entry, "-")
	start, err := netip.ParseAddr(startText)
	if err != nil {
		return nil, fmt.Errorf("%q: %q is not an IP address", entry, startText)
	}
	if start.Zone() != "" {
		return nil, fmt.Errorf("%q: zones (%%%s) are not allowed", entry, start.Zone())
	}
	if !isRange {
		return []netip.Addr{start}, nil
	}
	first, last, err := rangeEnds(start, endText)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", entry, err)
	}
	if last < first {
		return nil, fmt.Errorf("%q: the range ends below its start", entry)
	}
	if n := int(last-first) + 1; n > MaxIPRangeAddresses {
		return nil, fmt.Errorf("%q: the range holds %d addresses, more than %d", entry, n, MaxIPRangeAddresses)
	}
	var out []netip.Addr
	a := start
	for i := first; ; i++ {
		out = append(out, a)
		if i == last {
			break
		}
		a = a.Next()
	}
	return out, nil
}

// rangeEnds returns the varying last octet (IPv4) or hextet (IPv6) of start and of the
// range end, which is either that bare number or a full address that differs from start
// only there.
func rangeEnds(start netip.Addr, endText string) (first, last uint32, err error) {
	b := start.AsSlice()
	if start.Is4() {
		first = uint32(b[3])
	} else {
		first = uint32(b[14])<<8 | uint32(b[15])
	}
	if end, perr := netip.ParseAddr(endText); perr == nil {
		e := end.AsSlice()
		switch {
		case end.Zone() != "":
			return 0, 0, fmt.Errorf("zones (%%%s) are not allowed", end.Zone())
		case end.Is4() != start.Is4():
			return 0, 0, fmt.Errorf("the range mixes IPv4 and IPv6")
		case start.Is4() && string(e[:3]) != string(b[:3]):
			return 0, 0, fmt.Errorf("only the last octet may vary in a range: write it like 192.0.2.4-6")
		case start.Is6() && string(e[:14]) != string(b[:14]):
			return 0, 0, fmt.Errorf("only the last hextet may vary in a range: write it like 2001:db8::1f39-1f3b")
		case start.Is4():
			return first, uint32(e[3]), nil
		default:
			return first, uint32(e[14])<<8 | uint32(e[15]), nil
		}
	}
	if start.Is4() {
		n, perr := strconv.ParseUint(endText, 10, 8)
		if perr != nil {
			return 0, 0, fmt.Errorf("range end %q is not a last octet 0-255 or an IPv4 address", endText)
		}
		return first, uint32(n), nil
	}
	if len(endText) > 4 {
		return 0, 0, fmt.Errorf("range end %q is not a last hextet 0-ffff or an IPv6 address", endText)
	}
	n, perr := strconv.ParseUint(endText, 16, 16)
	if perr != nil {
		return 0, 0, fmt.Errorf("range end %q is not a last hextet 0-ffff or an IPv6 address", endText)
	}
	return first, uint32(n), nil
}
