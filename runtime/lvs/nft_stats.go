package lvs

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// The nftables backend counts traffic in named counters of its tables,
// which a Sync's flush of the rules leaves in place: a service or real
// server that stays in the pool keeps its counts across Syncs and reloads.
// A service's counters go with the service, a real server's when it
// leaves the pool (IPVS forgets a removed destination's counters too).
//
// NAT: a service's connections are the hits of its DNAT rules (a NAT
// chain sees only the first packet of a flow); its packets and bytes are
// counted by the rules of chain "traffic", run from the prerouting and
// output hooks after NAT, which tell the flows of a service by their
// conntrack original destination and a real server by the source of the
// reply tuple: "in" is the original direction, "out" the replies. A
// fwmark service is told by the packet's mark, which replies do not
// carry: its out counters stay 0.
//
// DR: the ingress rule counts the packets and bytes in; connections are
// the TCP SYNs (there is no connection tracking at ingress, so UDP and
// SCTP flows are not counted); the replies do not pass the director, so
// out stays 0, as with IPVS-DR.

// counterKinds are the suffixes of a service's or real server's counters.
const (
	counterConn = "conn"
	counterIn   = "in"
	counterOut  = "out"
)

// ctReply selects the reply tuple in expr.Ct. The kernel reads
// NFTA_CT_DIRECTION as a u8 and google/nftables writes a big-endian u32:
// the direction goes in the first byte.
const ctReply = 1 << 24

// ctStateNew is conntrack's "new" state bit (NF_CT_STATE_BIT(IP_CT_NEW)).
const ctStateNew = 1 << 3

// serviceCounter names a counter of service k: "tcp_192.0.2.10_80_in",
// "udp_2001-db8--10_53_out", "fwm_7_conn" (nft's command line takes
// names of letters, digits, "_", ".", "-" and "/").
func serviceCounter(k ServiceKey, kind string) string {
	if k.Fwmark != 0 {
		return "fwm_" + strconv.FormatUint(uint64(k.Fwmark), 10) + "_" + kind
	}
	return strings.ToLower(k.Protocol) + "_" + counterAddr(k.Addr) + "_" + strconv.Itoa(int(k.Port)) + "_" + kind
}

// destCounter names a counter of destination d of service k:
// "tcp_192.0.2.10_80_rs_192.0.2.20_8080_conn".
func destCounter(k ServiceKey, d DestKey, kind string) string {
	return serviceCounter(k, "rs_"+counterAddr(d.Addr)+"_"+strconv.Itoa(int(d.Port))+"_"+kind)
}

// counterAddr writes an address for a counter name: an IPv6 address with
// "-" for ":".
func counterAddr(a netip.Addr) string {
	return strings.ReplaceAll(a.String(), ":", "-")
}

// counterRef counts the packet in the named counter.
func counterRef(name string) *expr.Objref {
	return &expr.Objref{Type: unix.NFT_OBJECT_COUNTER, Name: name}
}

// counters is the set of counter names a table needs.
type counters map[string]bool

// addCounter declares the counter name in table t, once per Sync; declaring an
// existing counter keeps its counts.
func (b *NFT) addCounter(t *nftables.Table, want counters, name string) {
	if want[name] {
		return
	}
	want[name] = true
	b.conn.AddObj(&nftables.CounterObj{Table: t, Name: name})
}

// dropCounters deletes the counters of t that were installed and are no
// longer wanted; the rules using them are flushed in the same transaction.
func (b *NFT) dropCounters(t *nftables.Table, want counters) {
	for name := range b.counters[t.Family] {
		if !want[name] {
			b.conn.DeleteObject(&nftables.CounterObj{Table: t, Name: name})
		}
	}
}

// knownCounters returns the counters of havip's table of family f as they
// are in the kernel before the first Sync: a table left by a havip that
// did not stop cleanly keeps them, and the stale ones must be deleted.
func (b *NFT) knownCounters(f nftables.TableFamily) counters {
	if c, ok := b.counters[f]; ok {
		return c
	}
	have := counters{}
	objs, err := b.conn.GetObjects(&nftables.Table{Name: NFTTable, Family: f})
	if err != nil {
		return have // no such table
	}
	for _, o := range objs {
		if c, ok := o.(*nftables.CounterObj); ok {
			have[c.Name] = true
		}
	}
	return have
}

// addTrafficChain adds chain "traffic", run after NAT from the prerouting
// and output hooks, and its rules counting the packets of services ss and
// refreshing, on each packet of a client, its element in the set of its
// real server of a persistent service (persistent).
func (b *NFT) addTrafficChain(t *nftables.Table, ss []Service, want counters, persistent map[ServiceKey]persistence) {
	traffic := b.conn.AddChain(&nftables.Chain{Name: "traffic", Table: t})
	for _, hook := range []struct {
		name string
		num  *nftables.ChainHook
	}{{"traffic-prerouting", nftables.ChainHookPrerouting}, {"traffic-output", nftables.ChainHookOutput}} {
		ch := b.conn.AddChain(&nftables.Chain{Name: hook.name, Table: t, Type: nftables.ChainTypeFilter, Hooknum: hook.num, Priority: nftables.ChainPriorityFilter})
		b.conn.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: []expr.Any{&expr.Verdict{Kind: expr.VerdictJump, Chain: traffic.Name}}})
	}
	for _, s := range ss {
		k := s.Key()
		match := ctMatchService(s)
		rule := func(counter string, exprs ...expr.Any) {
			b.addCounter(t, want, counter)
			all := append(append(append([]expr.Any{}, match...), exprs...), counterRef(counter))
			b.conn.AddRule(&nftables.Rule{Table: t, Chain: traffic, Exprs: all})
		}
		rule(serviceCounter(k, counterIn), ctDirection(0)...)
		if s.Fwmark == 0 {
			rule(serviceCounter(k, counterOut), ctDirection(1)...)
		}
		keepPort := s.Fwmark != 0
		for _, d := range s.Dests {
			dk := d.key()
			rs := []expr.Any{
				&expr.Ct{Register: 1, Key: expr.CtKeySRC, Direction: ctReply},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: d.Addr.AsSlice()},
			}
			if !keepPort && d.Port != 0 {
				rs = append(rs,
					&expr.Ct{Register: 1, Key: expr.CtKeyPROTOSRC, Direction: ctReply},
					&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(d.Port >> 8), byte(d.Port)}},
				)
			}
			rule(destCounter(k, dk, counterIn), append(append([]expr.Any{}, rs...), ctDirection(0)...)...)
			if p, ok := persistent[k]; ok {
				refresh := append(append(append(append([]expr.Any{}, match...), rs...), ctDirection(0)...), p.refresh(s, dk)...)
				b.conn.AddRule(&nftables.Rule{Table: t, Chain: traffic, Exprs: refresh})
			}
			if s.Fwmark == 0 {
				rule(destCounter(k, dk, counterOut), append(append([]expr.Any{}, rs...), ctDirection(1)...)...)
			}
			rule(destCounter(k, dk, counterConn), append(append([]expr.Any{}, rs...),
				&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
				&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: binary.NativeEndian.AppendUint32(nil, ctStateNew), Xor: make([]byte, 4)},
				&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
			)...)
		}
	}
}

// ctMatchService matches the packets of s's flows in both directions by
// the conntrack original destination (address, protocol and port), or by
// the packet's mark for a fwmark service.
func ctMatchService(s Service) []expr.Any {
	if s.Fwmark != 0 {
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.NativeEndian.AppendUint32(nil, s.Fwmark)},
		}
	}
	exprs := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{protoNumber(s.Protocol)}},
		&expr.Ct{Register: 1, Key: expr.CtKeyDST, Direction: 0},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: s.Addr.AsSlice()},
	}
	if s.Port != 0 {
		exprs = append(exprs,
			&expr.Ct{Register: 1, Key: expr.CtKeyPROTODST, Direction: 0},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(s.Port >> 8), byte(s.Port)}},
		)
	}
	return exprs
}

// ctDirection matches packets of the original (0) or reply (1) direction.
func ctDirection(dir byte) []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeyDIRECTION},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{dir}},
	}
}

// Stats reads the counters of havip's tables.
func (b *NFT) Stats() (map[ServiceKey]ServiceStats, error) {
	values := map[string]*nftables.CounterObj{}
	for _, f := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6, nftables.TableFamilyNetdev} {
		if !b.have[f] {
			continue
		}
		objs, err := b.conn.GetObjects(&nftables.Table{Name: NFTTable, Family: f})
		if err != nil {
			return nil, fmt.Errorf("nftables: reading the counters of table %s: %w", NFTTable, err)
		}
		for _, o := range objs {
			if c, ok := o.(*nftables.CounterObj); ok {
				values[c.Name] = c
			}
		}
	}
	traffic := func(name func(kind string) string) Traffic {
		var t Traffic
		if c := values[name(counterConn)]; c != nil {
			t.Connections = c.Packets
		}
		if c := values[name(counterIn)]; c != nil {
			t.InPackets, t.InBytes = c.Packets, c.Bytes
		}
		if c := values[name(counterOut)]; c != nil {
			t.OutPackets, t.OutBytes = c.Packets, c.Bytes
		}
		return t
	}
	out := make(map[ServiceKey]ServiceStats, len(b.installed))
	for _, s := range b.installed {
		k := s.Key()
		st := ServiceStats{Traffic: traffic(func(kind string) string { return serviceCounter(k, kind) }), Dests: map[DestKey]Traffic{}}
		for _, d := range s.Dests {
			dk := d.key()
			st.Dests[dk] = traffic(func(kind string) string { return destCounter(k, dk, kind) })
		}
		out[k] = st
	}
	return out, nil
}
