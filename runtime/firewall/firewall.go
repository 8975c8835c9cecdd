// Package firewall keeps havip's nftables table, "table inet havip", as
// keepalived keeps its own: the VIPs of a master that does not accept
// traffic for them (no_accept, implied by vrrp_strict) are in a set whose
// addresses are dropped on input and output, neighbour discovery and
// link-local addresses excepted, so VRRP (sent from the interface's own
// address) still flows. It also inserts, on request, a rule accepting VRRP
// at the head of a chain of the host's firewall, as OpenShift's ipfailover
// does for OPENSHIFT_HA_IPTABLES_CHAIN.
//
// The table is replaced when opened, so a table left by a havip that
// crashed never outlives the next start, and removed by Close.
package firewall

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// TableName is the name of havip's table (family inet).
const TableName = "havip"

// vrrpComment marks the VRRP accept rules havip inserts in other tables'
// chains, so that they can be found again and removed.
const vrrpComment = "havip: accept VRRP"

const (
	protoICMPv6 = 58
	protoVRRP   = 112
	protoAH     = 51 // IPsec-AH, keepalived's auth_type AH: VRRP inside AH
	// ND types: neighbour solicitation and advertisement.
	icmpv6NeighborSolicit = 135
	icmpv6NeighborAdvert  = 136
)

// Firewall is havip's table in one network namespace. Its methods are safe
// for concurrent use.
type Firewall struct {
	mu      sync.Mutex
	conn    *nftables.Conn
	table   *nftables.Table
	vips4   *nftables.Set
	vips6   *nftables.Set
	dropped map[netip.Addr]int // addresses in the sets, with how many callers dropped each
	accepts []*nftables.Chain  // chains AcceptVRRP inserted a rule in
}

// Open creates havip's table in the current network namespace (or the one
// opts select), replacing one left by an earlier run: the sets vips4 and
// vips6, empty, and the chains in and out, at filter priority - 1 as
// keepalived's, dropping traffic to and from their addresses.
func Open(opts ...nftables.ConnOption) (*Firewall, error) {
	conn, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("firewall: opening nftables: %w", err)
	}
	f := &Firewall{conn: conn, dropped: map[netip.Addr]int{}}
	f.table = &nftables.Table{Name: TableName, Family: nftables.TableFamilyINet}
	if stale, err := conn.ListTableOfFamily(TableName, nftables.TableFamilyINet); err == nil && stale != nil {
		conn.DelTable(f.table)
	}
	conn.AddTable(f.table)
	f.vips4 = &nftables.Set{Table: f.table, Name: "vips4", KeyType: nftables.TypeIPAddr}
	f.vips6 = &nftables.Set{Table: f.table, Name: "vips6", KeyType: nftables.TypeIP6Addr}
	for _, s := range []*nftables.Set{f.vips4, f.vips6} {
		if err := conn.AddSet(s, nil); err != nil {
			return nil, fmt.Errorf("firewall: set %s: %w", s.Name, err)
		}
	}
	for _, dir := range []struct {
		name string
		hook *nftables.ChainHook
		// offsets of the destination (input) or source (output) address
		off4, off6 uint32
	}{
		{"in", nftables.ChainHookInput, 16, 24},
		{"out", nftables.ChainHookOutput, 12, 8},
	} {
		policy := nftables.ChainPolicyAccept
		chain := conn.AddChain(&nftables.Chain{
			Name: dir.name, Table: f.table, Type: nftables.ChainTypeFilter,
			Hooknum: dir.hook, Priority: nftables.ChainPriorityRef(*nftables.ChainPriorityFilter - 1), Policy: &policy,
		})
		for _, exprs := range [][]expr.Any{
			neighborDiscovery(),
			linkLocal(dir.off6),
			dropListed(unix.NFPROTO_IPV4, dir.off4, 4, f.vips4),
			dropListed(unix.NFPROTO_IPV6, dir.off6, 16, f.vips6),
		} {
			conn.AddRule(&nftables.Rule{Table: f.table, Chain: chain, Exprs: exprs})
		}
	}
	if err := conn.Flush(); err != nil {
		return nil, fmt.Errorf("firewall: creating table inet %s: %w", TableName, err)
	}
	return f, nil
}

// RemoveStale deletes a havip table an earlier run left behind, if any.
func RemoveStale(opts ...nftables.ConnOption) error {
	conn, err := nftables.New(opts...)
	if err != nil {
		return fmt.Errorf("firewall: opening nftables: %w", err)
	}
	t, err := conn.ListTableOfFamily(TableName, nftables.TableFamilyINet)
	if err != nil || t == nil {
		return nil // no such table
	}
	conn.DelTable(t)
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("firewall: removing stale table inet %s: %w", TableName, err)
	}
	return nil
}

// neighborDiscovery: icmpv6 type 135-136 accept (neighbour solicitation
// and advertisement).
func neighborDiscovery() []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.NFPROTO_IPV6}},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{protoICMPv6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
		&expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: []byte{icmpv6NeighborSolicit}, ToData: []byte{icmpv6NeighborAdvert}},
		&expr.Verdict{Kind: expr.VerdictAccept},
	}
}

// linkLocal: ip6 daddr|saddr fe80::/10 accept (keepalived leaves link-local
// VIPs reachable).
func linkLocal(offset uint32) []expr.Any {
	mask := make([]byte, 16)
	mask[0], mask[1] = 0xff, 0xc0
	prefix := make([]byte, 16)
	prefix[0], prefix[1] = 0xfe, 0x80
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.NFPROTO_IPV6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 16},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 16, Mask: mask, Xor: make([]byte, 16)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: prefix},
		&expr.Verdict{Kind: expr.VerdictAccept},
	}
}

// dropListed: ip|ip6 daddr|saddr @set drop.
func dropListed(nfproto byte, offset, length uint32, set *nftables.Set) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{nfproto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: length},
		&expr.Lookup{SourceRegister: 1, SetName: set.Name, SetID: set.ID},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}
}

// Drop adds addrs to the addresses dropped on input and output. An address
// dropped n times stays dropped until allowed n times.
func (f *Firewall) Drop(addrs ...netip.Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var v4, v6 []nftables.SetElement
	for _, a := range addrs {
		a = a.Unmap()
		f.dropped[a]++
		if f.dropped[a] > 1 {
			continue
		}
		if a.Is4() {
			v4 = append(v4, nftables.SetElement{Key: a.AsSlice()})
		} else {
			v6 = append(v6, nftables.SetElement{Key: a.AsSlice()})
		}
	}
	return f.update(f.conn.SetAddElements, v4, v6, "adding")
}

// Allow undoes Drop for addrs.
func (f *Firewall) Allow(addrs ...netip.Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var v4, v6 []nftables.SetElement
	for _, a := range addrs {
		a = a.Unmap()
		if f.dropped[a] == 0 {
			continue
		}
		f.dropped[a]--
		if f.dropped[a] > 0 {
			continue
		}
		delete(f.dropped, a)
		if a.Is4() {
			v4 = append(v4, nftables.SetElement{Key: a.AsSlice()})
		} else {
			v6 = append(v6, nftables.SetElement{Key: a.AsSlice()})
		}
	}
	return f.update(f.conn.SetDeleteElements, v4, v6, "removing")
}

// update applies op to the sets and flushes.
func (f *Firewall) update(op func(*nftables.Set, []nftables.SetElement) error, v4, v6 []nftables.SetElement, what string) error {
	if len(v4) == 0 && len(v6) == 0 {
		return nil
	}
	if len(v4) > 0 {
		if err := op(f.vips4, v4); err != nil {
			return fmt.Errorf("firewall: %s IPv4 VIPs: %w", what, err)
		}
	}
	if len(v6) > 0 {
		if err := op(f.vips6, v6); err != nil {
			return fmt.Errorf("firewall: %s IPv6 VIPs: %w", what, err)
		}
	}
	if err := f.conn.Flush(); err != nil {
		return fmt.Errorf("firewall: %s VIPs in table inet %s: %w", what, TableName, err)
	}
	return nil
}

// AcceptVRRP inserts "meta l4proto vrrp accept" at the head of a chain of
// the host's firewall — and "meta l4proto ah accept" too with ah, for
// instances with auth_type AH, whose adverts are VRRP inside IPsec-AH —
// replacing the rules an earlier call or run left there; Close removes them.
// The chain must exist: havip does not create the host's firewall.
func (f *Firewall) AcceptVRRP(chain Chain, ah bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &nftables.Table{Name: chain.Table, Family: chain.Family}
	c, err := f.conn.ListChain(t, chain.Name)
	if err != nil {
		return fmt.Errorf("firewall: chain %s: %w", chain, err)
	}
	c.Table = t
	if err := f.removeAccept(c); err != nil {
		return err
	}
	protos := []byte{protoVRRP}
	if ah {
		protos = append(protos, protoAH)
	}
	for _, proto := range protos {
		f.conn.InsertRule(&nftables.Rule{
			Table: t, Chain: c,
			Exprs: []expr.Any{
				&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
				&expr.Verdict{Kind: expr.VerdictAccept},
			},
			UserData: userdata.AppendString(nil, userdata.TypeComment, vrrpComment),
		})
	}
	if err := f.conn.Flush(); err != nil {
		return fmt.Errorf("firewall: inserting the VRRP accept rule in chain %s: %w", chain, err)
	}
	if !slices.ContainsFunc(f.accepts, func(a *nftables.Chain) bool {
		return a.Name == c.Name && a.Table.Name == t.Name && a.Table.Family == t.Family
	}) {
		f.accepts = append(f.accepts, c)
	}
	return nil
}

// removeAccept deletes havip's VRRP accept rules from c.
func (f *Firewall) removeAccept(c *nftables.Chain) error {
	rules, err := f.conn.GetRules(c.Table, c)
	if err != nil {
		return fmt.Errorf("firewall: listing chain %s of table %s: %w", c.Name, c.Table.Name, err)
	}
	found := false
	for _, r := range rules {
		if comment, ok := userdata.GetString(r.UserData, userdata.TypeComment); ok && comment == vrrpComment {
			r.Table, r.Chain = c.Table, c
			if err := f.conn.DelRule(r); err != nil {
				return fmt.Errorf("firewall: removing havip's VRRP accept rule from chain %s of table %s: %w", c.Name, c.Table.Name, err)
			}
			found = true
		}
	}
	if !found {
		return nil
	}
	if err := f.conn.Flush(); err != nil {
		return fmt.Errorf("firewall: removing havip's VRRP accept rule from chain %s of table %s: %w", c.Name, c.Table.Name, err)
	}
	return nil
}

// Close removes havip's table and the VRRP accept rules it inserted.
func (f *Firewall) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	for _, c := range f.accepts {
		if err := f.removeAccept(c); err != nil {
			errs = append(errs, err)
		}
	}
	f.accepts = nil
	f.conn.DelTable(f.table)
	if err := f.conn.Flush(); err != nil {
		errs = append(errs, fmt.Errorf("firewall: removing table inet %s: %w", TableName, err))
	}
	return errors.Join(errs...)
}
