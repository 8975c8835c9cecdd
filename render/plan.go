package render

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/havip/havip/catalog"
)

// Limits of one vrrp_instance and of the VRID space.
const (
	// MaxVRID is the largest virtual_router_id (an 8-bit field).
	MaxVRID = 255
	// MaxVIPsIPv4 is how many IPv4 addresses one advert can carry (8-bit count field).
	MaxVIPsIPv4 = 255
	// MaxVIPsIPv6 is how many IPv6 addresses keepalived 2.2.7 puts in one advert on a
	// 1500-byte MTU link; past it keepalived moves the rest to virtual_ipaddress_excluded
	// and `keepalived -t` fails.
	MaxVIPsIPv6 = 83
	// MaxPriority is the highest priority of a node that does not own the addresses.
	MaxPriority = 254
	// basePriority is where derived priorities start.
	basePriority = 100
	// slotCount is the number of address slots derived priorities spread nodes over.
	slotCount = 128
)

// FamilyAddrs is the part of an address list of one family (4 or 6).
type FamilyAddrs struct {
	Family int
	Addrs  []netip.Addr
}

// IsIPv6 reports whether the addresses are IPv6, for templates.
func (f FamilyAddrs) IsIPv6() bool { return f.Family == 6 }

// Distinct reports the addresses listed more than once, all of them.
func Distinct(addrs []netip.Addr) error {
	seen := make(map[netip.Addr]bool, len(addrs))
	var errs []error
	for _, a := range addrs {
		if seen[a] {
			errs = append(errs, fmt.Errorf("address %s is listed more than once", a))
		}
		seen[a] = true
	}
	return errors.Join(errs...)
}

// SplitFamilies splits addrs into IPv4 then IPv6 (keepalived cannot mix
// families in one instance), keeping their order, and leaves out an empty
// family. It refuses duplicates, zones, IPv4-mapped IPv6 and more addresses
// of a family than one advert carries (MaxVIPsIPv4, MaxVIPsIPv6).
func SplitFamilies(addrs []netip.Addr) ([]FamilyAddrs, error) {
	var v4, v6 []netip.Addr
	var errs []error
	if err := Distinct(addrs); err != nil {
		errs = append(errs, err)
	}
	for _, a := range addrs {
		switch {
		case !a.IsValid():
			errs = append(errs, errors.New("an empty address is in the list"))
		case a.Zone() != "":
			errs = append(errs, fmt.Errorf("address %s has a zone: give the address without %%%s", a, a.Zone()))
		case a.Is4In6():
			errs = append(errs, fmt.Errorf("address %s is IPv4-mapped IPv6: write it as %s", a, a.Unmap()))
		case a.Is4():
			v4 = append(v4, a)
		default:
			v6 = append(v6, a)
		}
	}
	if len(v4) > MaxVIPsIPv4 {
		errs = append(errs, fmt.Errorf("%d IPv4 addresses in one VRRP instance: an advert carries at most %d; split them into more groups", len(v4), MaxVIPsIPv4))
	}
	if len(v6) > MaxVIPsIPv6 {
		errs = append(errs, fmt.Errorf("%d IPv6 addresses in one VRRP instance: an advert on a 1500-byte MTU link carries at most %d; split them into more groups", len(v6), MaxVIPsIPv6))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []FamilyAddrs
	if len(v4) > 0 {
		out = append(out, FamilyAddrs{Family: 4, Addrs: v4})
	}
	if len(v6) > 0 {
		out = append(out, FamilyAddrs{Family: 6, Addrs: v6})
	}
	return out, nil
}

// GroupVIPs splits vips into groups as OpenShift ipfailover does: with
// groups > 0, per = n/groups and the first n%groups groups get one more;
// with groups <= 0 every VIP is its own group. More groups than VIPs give one
// group per VIP (no empty groups).
func GroupVIPs(vips []netip.Addr, groups int) [][]netip.Addr {
	n := len(vips)
	if n == 0 {
		return nil
	}
	if groups <= 0 || groups > n {
		groups = n
	}
	per, extra := n/groups, n%groups
	out := make([][]netip.Addr, 0, groups)
	start := 0
	for g := range groups {
		size := per
		if g < extra {
			size++
		}
		out = append(out, slices.Clone(vips[start:start+size]))
		start += size
	}
	return out
}

// ParseVRIDList parses VRIDs separated by commas and/or spaces ("20 21,22").
// Each must be 1..255; every invalid entry is reported. Duplicates are kept once.
func ParseVRIDList(s string) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	var ids []int
	var errs []error
	for _, f := range fields {
		id, err := strconv.Atoi(f)
		if err != nil || id < 1 || id > MaxVRID {
			errs = append(errs, fmt.Errorf("excluded VRID %q is not a number from 1 to %d", f, MaxVRID))
			continue
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// AssignVRIDs gives count groups their VRIDs as OpenShift ipfailover does:
// VRID = offset + counter (counter from 1); while the VRID is excluded the
// offset grows by one, for this and every later group. A VRID past 255 is an
// error saying how many groups fit.
func AssignVRIDs(count, offset int, excluded []int) ([]int, error) {
	if offset < 0 || offset > MaxVRID-1 {
		return nil, fmt.Errorf("VRID offset %d is out of range: it must be 0..%d (the first group gets offset+1)", offset, MaxVRID-1)
	}
	ids := make([]int, 0, count)
	shift := 0
	for counter := 1; counter <= count; counter++ {
		id := offset + shift + counter
		for slices.Contains(excluded, id) {
			shift++
			id++
		}
		if id > MaxVRID {
			return nil, fmt.Errorf("VIP group %d of %d would need VRID %d, past %d: with VRID offset %d and excluded VRIDs %v only %d groups fit; use fewer VIP groups, a lower offset or fewer exclusions",
				counter, count, id, MaxVRID, offset, excluded, counter-1)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// AddressSlot is the 0..127 slot of a node address: its last byte modulo 128
// (OpenShift's ipslot, for IPv6 too).
func AddressSlot(a netip.Addr) int {
	b := a.AsSlice()
	return int(b[len(b)-1]) % slotCount
}

// HostnameSlot is the 0..127 slot of a host name (FNV-1a), used when the node
// has no address on the VRRP interface.
func HostnameSlot(hostname string) int {
	h := fnv.New32a()
	h.Write([]byte(hostname))
	return int(h.Sum32() % slotCount)
}

// HostnamePriority is the derived priority of a node known only by its host name.
func HostnamePriority(hostname string) int { return basePriority + HostnameSlot(hostname) }

// NodePriority derives a node's priority deterministically. Without peers
// it is 100 + AddressSlot(self) (100..227). With peers (unicast) it is 100 plus
// the rank of self among self and the peers sorted by address, so every node
// of the group gets a different priority and the highest address wins, as in
// keepalived's tie-break.
func NodePriority(self netip.Addr, peers []netip.Addr) (int, error) {
	if len(peers) == 0 {
		return basePriority + AddressSlot(self), nil
	}
	all := append([]netip.Addr{self}, peers...)
	slices.SortFunc(all, func(a, b netip.Addr) int { return a.Compare(b) })
	all = slices.Compact(all)
	rank := slices.Index(all, self)
	if basePriority+rank > MaxPriority {
		return 0, fmt.Errorf("%d nodes in one unicast group: derived priorities only reach %d nodes; give priorities explicitly", len(all), MaxPriority-basePriority+1)
	}
	return basePriority + rank, nil
}

// FailoverPriority is the deterministic replacement of OpenShift
// ipfailover's RANDOM-based priorities. A node's preferred group is
// slot % replicas; for group g its distance is (g - preferred) mod replicas
// and its priority 254 - distance * (128/replicas). Each group thus has one
// preferred node per replica set, and masters spread over the nodes.
func FailoverPriority(slot, group, replicas int) (int, error) {
	if replicas < 1 || replicas > slotCount {
		return 0, fmt.Errorf("replica count %d is out of range: it must be 1..%d", replicas, slotCount)
	}
	preferred := slot % replicas
	distance := ((group-preferred)%replicas + replicas) % replicas
	return MaxPriority - distance*(slotCount/replicas), nil
}

// PeersFor returns the peers of family (4 or 6) that are not one of own (the
// node's addresses: a node never lists itself, osixia#33), in order, once each.
func PeersFor(family int, peers, own []netip.Addr) []netip.Addr {
	mine := make(map[netip.Addr]bool, len(own))
	for _, a := range own {
		mine[a.Unmap().WithZone("")] = true
	}
	var out []netip.Addr
	for _, p := range peers {
		if (family == 4) != p.Is4() || mine[p.WithZone("")] || slices.Contains(out, p) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// ParsePreemption turns an OpenShift preemption strategy into the
// vrrp_instance line it stands for: "nopreempt", "preempt_delay N" (N in
// 0..1000 seconds), or "preempt" (keepalived's default: no line, "").
// OpenShift copies the text verbatim; havip accepts only these forms.
func ParsePreemption(s string) (string, error) {
	fields := strings.Fields(s)
	switch {
	case len(fields) == 1 && fields[0] == "nopreempt":
		return "nopreempt", nil
	case len(fields) == 1 && fields[0] == "preempt":
		return "", nil
	case len(fields) == 2 && fields[0] == "preempt_delay":
		n, err := strconv.Atoi(fields[1])
		if err == nil && n >= 0 && n <= 1000 {
			return "preempt_delay " + strconv.Itoa(n), nil
		}
	}
	return "", fmt.Errorf("preemption strategy %q is not one of: nopreempt, preempt, preempt_delay N (N = 0..1000 seconds)", s)
}

// ScrubName keeps letters, digits, '-' and '_' of s and turns '-' into '_'
// (OpenShift's scrub), for instance and script names; "havip" if nothing is left.
func ScrubName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		case r == '-':
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "havip"
	}
	return b.String()
}

// CheckProbe accepts the path of the havip binary that native TCP checks
// run: absolute, without spaces or keepalived.conf syntax.
func CheckProbe(probe string) error {
	if !path.IsAbs(probe) || strings.ContainsAny(probe, " \t") {
		return fmt.Errorf("probe program %q must be an absolute path without spaces", probe)
	}
	if err := catalog.CheckText(probe); err != nil {
		return fmt.Errorf("probe program %q: %w", probe, err)
	}
	return nil
}

// TCPProbeCommand is the vrrp_script command of the native TCP check:
// "PROBE probe tcp HOST:PORT". havip's engine recognises that argv and
// connects in-process; keepalived runs the same command (havip's probe
// subcommand). PROBE must be an absolute path.
func TCPProbeCommand(probe string, host netip.Addr, port int64) (string, error) {
	if err := CheckProbe(probe); err != nil {
		return "", err
	}
	if !host.IsValid() {
		return "", errors.New("TCP check: no host address to connect to")
	}
	if port < 1 || port > 65535 {
		return "", fmt.Errorf("TCP check port %d is out of range: it must be 1..65535 (0 disables the check)", port)
	}
	return probe + " probe tcp " + netip.AddrPortFrom(host.WithZone(""), uint16(port)).String(), nil
}
