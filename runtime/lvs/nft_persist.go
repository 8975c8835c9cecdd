package lvs

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/havip/havip/config"
)

// Persistence of a NAT service (persistence_timeout) is, as IPVS's
// persistence templates, a memory of the real server each client went to:
// each real server of the service has a dynamic set of the clients it
// serves, "tcp_192.0.2.10_80_rs_192.0.2.20_8080_persist", holding the
// client's address masked by persistence_granularity, each element
// expiring persistence_timeout after the client's last connection began
// or, later, after the last packet it sent on one (chain "traffic"
// refreshes the element on each): IPVS keeps its template while a
// connection lasts, so only a connection idle for longer than the timeout
// lets the client move sooner than with IPVS. The NAT chains try, in
// order:
//
//   - one rule per real server, weight 0 included: a client in its set
//     has its element's timeout refreshed ("update") and the connection
//     goes to that real server (IPVS keeps sending a persistent client to
//     a real server of weight 0, unless the sysctl
//     expire_quiescent_template is set);
//   - a rule where the scheduler picks a slot and goes to the chain of the
//     slot's real server ("vmap { slot : goto ..._new }"), which adds the
//     client to the real server's set ("add") and sends the connection
//     there; when the set is full the connection goes there all the same.
//
// The sets survive Syncs: a real server leaving the service takes its
// set, and its clients, along (IPVS expires a template whose destination
// is gone), and a change of the timeout or granularity starts the sets
// afresh. The rules use only set lookups, updates and verdict maps, which
// nft 1.0.6 decodes: "nft list ruleset" shows them (it cannot decode a map
// lookup whose key is another map lookup's result, nor such a result as
// the data of a dynamic map).

// persistSetSize bounds the clients a real server's set remembers.
const persistSetSize = 65535

// persistSpec is what a persistence set is made of: a change recreates
// it. The zero spec is that of a set found in the kernel, left by an
// earlier havip.
type persistSpec struct {
	timeout int // seconds
	bits    int // the client address's prefix length
}

// persistObjs are the persistence sets (by name, with their specs) and
// the chains of the new clients of real servers, of one table.
type persistObjs struct {
	sets   map[string]persistSpec
	chains map[string]bool
}

func newPersistObjs() persistObjs {
	return persistObjs{sets: map[string]persistSpec{}, chains: map[string]bool{}}
}

// Suffixes of the names of the persistence sets and chains.
const (
	persistSetSuffix   = "_persist"
	persistChainSuffix = "_new"
)

// persistSpecOf returns s's persistence: the timeout, and the prefix
// length of persistence_granularity (a prefix length, or a netmask), the
// whole address without one.
func persistSpecOf(s Service) persistSpec {
	bits := 32
	if s.Family == config.IPv6 {
		bits = 128
	}
	if n, err := strconv.Atoi(s.Granularity); err == nil && n >= 0 && n < bits {
		bits = n
	} else if a, err := netip.ParseAddr(s.Granularity); err == nil && a.BitLen() == bits {
		bits = maskBits(a)
	}
	return persistSpec{timeout: s.Persistence, bits: bits}
}

// knownPersistObjs returns the persistence sets and chains of havip's
// table of family f as they are in the kernel before this backend's first
// Sync of it: a table left by an havip that did not stop cleanly keeps
// them; their sets are started afresh, the stale ones deleted.
func (b *NFT) knownPersistObjs(f nftables.TableFamily) persistObjs {
	if o, ok := b.persist[f]; ok {
		return o
	}
	have := newPersistObjs()
	t := &nftables.Table{Name: NFTTable, Family: f}
	sets, err := b.conn.GetSets(t)
	if err != nil {
		return have // no such table
	}
	for _, s := range sets {
		if !s.Anonymous && strings.HasSuffix(s.Name, persistSetSuffix) {
			have.sets[s.Name] = persistSpec{}
		}
	}
	chains, err := b.conn.ListChainsOfTableFamily(f)
	if err != nil {
		return have
	}
	for _, c := range chains {
		if c.Table.Name == NFTTable && strings.HasSuffix(c.Name, persistChainSuffix) {
			have.chains[c.Name] = true
		}
	}
	return have
}

// persistence is what a persistent NAT service's rules refer to: the set
// of each real server, and the chain of each real server with slots.
type persistence struct {
	sets   map[DestKey]*nftables.Set
	chains map[DestKey]*nftables.Chain
}

// addPersistence declares, in table t, the sets of persistent NAT service
// s's real servers (keeping those installed with the same spec, and their
// clients) and the chains of their new clients, and records them in want.
func (b *NFT) addPersistence(t *nftables.Table, s Service, want persistObjs) (persistence, error) {
	k, spec := s.Key(), persistSpecOf(s)
	p := persistence{sets: map[DestKey]*nftables.Set{}, chains: map[DestKey]*nftables.Chain{}}
	keyType := nftables.TypeIPAddr
	if s.Family == config.IPv6 {
		keyType = nftables.TypeIP6Addr
	}
	timeout := time.Duration(spec.timeout) * time.Second
	for _, d := range s.Dests {
		name := destCounter(k, d.key(), "persist")
		set := &nftables.Set{Table: t, Name: name, Dynamic: true, HasTimeout: true, Timeout: timeout, Size: persistSetSize, KeyType: keyType}
		if old, ok := b.persist[t.Family].sets[name]; ok && old != spec {
			b.conn.DelSet(set)
		}
		want.sets[name] = spec
		// Declaring an existing set of the same spec keeps its elements.
		if err := b.conn.AddSet(set, nil); err != nil {
			return p, errorf(k, "nftables set %s: %v", name, err)
		}
		p.sets[d.key()] = set
	}
	for _, d := range uniqueDests(slotsOf(s)) {
		name := destCounter(k, d.key(), "new")
		ch := b.conn.AddChain(&nftables.Chain{Name: name, Table: t})
		want.chains[name] = true
		set := p.sets[d.key()]
		// The client is remembered unless the set is full; either way the
		// connection goes to the real server.
		add := append(clientKey(s, spec), &expr.Dynset{SrcRegKey: 1, SetName: set.Name, SetID: set.ID, Operation: unix.NFT_DYNSET_OP_ADD, Timeout: timeout})
		b.conn.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: add})
		b.conn.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: append([]expr.Any{counterRef(serviceCounter(k, counterConn))}, dnatTo(s, d)...)})
		p.chains[d.key()] = ch
	}
	return p, nil
}

// addPersistRules adds to base chain ch the rules of persistent NAT
// service s: one per real server for its known clients, then, when the
// pool has slots, the scheduler's pick of a chain for a new client.
func (b *NFT) addPersistRules(t *nftables.Table, ch *nftables.Chain, s Service, p persistence) error {
	k := s.Key()
	for _, d := range s.Dests {
		exprs := append(matchOf(s), p.refresh(s, d.key())...)
		exprs = append(exprs, counterRef(serviceCounter(k, counterConn)))
		b.conn.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: append(exprs, dnatTo(s, d)...)})
	}
	slots := slotsOf(s)
	if len(slots) == 0 {
		return nil
	}
	vmap := &nftables.Set{Table: t, Anonymous: true, Constant: true, IsMap: true, KeyType: nftables.TypeInteger, DataType: nftables.TypeVerdict}
	elems := make([]nftables.SetElement, len(slots))
	for i, d := range slots {
		elems[i] = nftables.SetElement{Key: binary.BigEndian.AppendUint32(nil, uint32(i)), VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: p.chains[d.key()].Name}}
	}
	if err := b.conn.AddSet(vmap, elems); err != nil {
		return errorf(k, "nftables verdict map: %v", err)
	}
	exprs := append(matchOf(s), pickExprs(s, len(slots))...)
	exprs = append(exprs, &expr.Lookup{SourceRegister: 1, DestRegister: 0, IsDestRegSet: true, SetName: vmap.Name, SetID: vmap.ID})
	b.conn.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: exprs})
	return nil
}

// refresh matches a client in the set of real server d of persistent
// service s and restarts its element's timeout.
func (p persistence) refresh(s Service, d DestKey) []expr.Any {
	spec, set := persistSpecOf(s), p.sets[d]
	return append(clientKey(s, spec),
		&expr.Lookup{SourceRegister: 1, SetName: set.Name, SetID: set.ID},
		&expr.Dynset{SrcRegKey: 1, SetName: set.Name, SetID: set.ID, Operation: unix.NFT_DYNSET_OP_UPDATE, Timeout: time.Duration(spec.timeout) * time.Second},
	)
}

// dropPersistObjs deletes the persistence sets and chains of t that were
// installed and are no longer wanted; the rules using them are flushed in
// the same transaction.
func (b *NFT) dropPersistObjs(t *nftables.Table, want persistObjs) {
	for name := range b.persist[t.Family].chains {
		if !want.chains[name] {
			b.conn.DelChain(&nftables.Chain{Name: name, Table: t})
		}
	}
	for name := range b.persist[t.Family].sets {
		if _, ok := want.sets[name]; !ok {
			b.conn.DelSet(&nftables.Set{Table: t, Name: name})
		}
	}
}

// clientKey leaves the client's address, masked by the persistence
// granularity, in register 1.
func clientKey(s Service, spec persistSpec) []expr.Any {
	saddr, addrLen := uint32(12), uint32(4)
	if s.Family == config.IPv6 {
		saddr, addrLen = 8, 16
	}
	exprs := []expr.Any{&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: saddr, Len: addrLen}}
	if spec.bits < int(addrLen)*8 {
		mask := make([]byte, addrLen)
		for i := range spec.bits {
			mask[i/8] |= 0x80 >> (i % 8)
		}
		exprs = append(exprs, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: addrLen, Mask: mask, Xor: make([]byte, addrLen)})
	}
	return exprs
}

// dnatTo sends the connection to real server d of NAT service s, to its
// port unless it keeps the packet's (a fwmark service, or port 0).
func dnatTo(s Service, d Dest) []expr.Any {
	nat := &expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1}
	if s.Family == config.IPv6 {
		nat.Family = unix.NFPROTO_IPV6
	}
	exprs := []expr.Any{&expr.Immediate{Register: 1, Data: d.Addr.AsSlice()}}
	if s.Fwmark == 0 && d.Port != 0 {
		exprs = append(exprs, &expr.Immediate{Register: 2, Data: []byte{byte(d.Port >> 8), byte(d.Port)}})
		nat.RegProtoMin = 2
	}
	return append(exprs, nat)
}
