package lvs

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"slices"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/havip/havip/config"
)

// errNeighbourPending means a DR real server's MAC address is not known
// yet; the kernel is resolving it and Sync should be retried shortly.
var errNeighbourPending = errors.New("waiting for the MAC address of a DR real server")

// drRule is one DR service on one device: the destination MAC of each
// map slot.
type drRule struct {
	s       Service
	dev     string
	devMAC  net.HardwareAddr
	ifindex int
	macs    []net.HardwareAddr
	// slots are the destination of each map slot, macs their MACs.
	slots []Dest
}

// planDR resolves the device and the MAC addresses of a DR service's
// destinations. DR rewrites only the destination MAC, so the real servers
// must be on-link, on one device, and listen on the service's port. A
// destination whose MAC is not known yet is left out and reported as
// pending (the rule is nil when none is known).
func (b *NFT) planDR(s Service) (r *drRule, pending bool, err error) {
	if s.Fwmark != 0 {
		return nil, false, errorf(s.Key(), "the nftables backend cannot do DR for a fwmark service (marks are set after the ingress hook it uses)")
	}
	r = &drRule{s: s}
	macs := map[netip.Addr]net.HardwareAddr{}
	var resolved []Dest
	for _, d := range s.Dests {
		if d.Weight <= 0 {
			continue
		}
		if d.Port != s.Port {
			return nil, false, errorf(s.Key(), "DR real server %s: DR cannot change the port; use %d", netip.AddrPortFrom(d.Addr, d.Port), s.Port)
		}
		routes, err := b.nl.RouteGet(d.Addr.AsSlice())
		if err != nil || len(routes) == 0 {
			return nil, false, errorf(s.Key(), "DR real server %s: no route: %v", d.Addr, err)
		}
		if routes[0].Gw != nil {
			return nil, false, errorf(s.Key(), "DR real server %s is behind the gateway %s; DR needs it on-link", d.Addr, routes[0].Gw)
		}
		if r.ifindex != 0 && routes[0].LinkIndex != r.ifindex {
			return nil, false, errorf(s.Key(), "DR real servers are on different interfaces; the nftables backend needs them on one")
		}
		r.ifindex = routes[0].LinkIndex
		mac := b.neighbour(r.ifindex, d.Addr)
		if mac == nil {
			pending = true
			b.provoke(d.Addr)
			continue
		}
		macs[d.Addr] = mac
		resolved = append(resolved, d)
	}
	buckets := weightedBuckets(resolved)
	if len(buckets) == 0 {
		return nil, pending, nil
	}
	link, err := b.nl.LinkByIndex(r.ifindex)
	if err != nil {
		return nil, false, errorf(s.Key(), "interface %d: %v", r.ifindex, err)
	}
	r.dev, r.devMAC = link.Attrs().Name, link.Attrs().HardwareAddr
	if len(r.devMAC) != 6 {
		return nil, false, errorf(s.Key(), "interface %s has no Ethernet address; DR needs one", r.dev)
	}
	for _, d := range buckets {
		r.macs = append(r.macs, macs[d.Addr])
	}
	r.slots = buckets
	return r, pending, nil
}

// neighbour returns the MAC address the kernel holds for addr, or nil.
func (b *NFT) neighbour(ifindex int, addr netip.Addr) net.HardwareAddr {
	family := unix.AF_INET
	if addr.Is6() {
		family = unix.AF_INET6
	}
	neighs, err := b.nl.NeighList(ifindex, family)
	if err != nil {
		return nil
	}
	for _, n := range neighs {
		if n.IP.Equal(addr.AsSlice()) && len(n.HardwareAddr) == 6 && n.State&(unix.NUD_FAILED|unix.NUD_INCOMPLETE) == 0 {
			return n.HardwareAddr
		}
	}
	return nil
}

// provoke sends one datagram to addr's discard port, which makes the
// kernel resolve its MAC address; only in havip's own namespace.
func (b *NFT) provoke(addr netip.Addr) {
	if !b.ownNS {
		return
	}
	if c, err := net.Dial("udp", netip.AddrPortFrom(addr, 9).String()); err == nil {
		c.Write([]byte{0})
		c.Close()
	}
}

// syncDR rewrites "table netdev havip_lvs": one ingress chain per device,
// one rule per DR service that sets the destination MAC from a map
// weighted by slots, chosen by a hash of the flow's source address and
// port, and duplicates the frame out of the device, dropping the original.
// Being stateless, a change of the pool moves the flows whose hash slot
// changed owner. It returns the counters the table holds after the Sync.
func (b *NFT) syncDR(rules []*drRule) counters {
	t := &nftables.Table{Name: NFTTable, Family: nftables.TableFamilyNetdev}
	devs := map[string]bool{}
	for _, r := range rules {
		devs[r.dev] = true
	}
	want := counters{}
	if len(rules) == 0 {
		if b.have[nftables.TableFamilyNetdev] {
			b.conn.DelTable(t)
		}
		return want
	}
	b.counters[t.Family] = b.knownCounters(t.Family)
	b.conn.AddTable(t)
	b.conn.FlushTable(t)
	for dev := range b.drDevs {
		if !devs[dev] {
			b.conn.DelChain(&nftables.Chain{Name: "ingress-" + dev, Table: t})
		}
	}
	chains := map[string]*nftables.Chain{}
	for _, dev := range slices.Sorted(mapsKeys(devs)) {
		chains[dev] = b.conn.AddChain(&nftables.Chain{Name: "ingress-" + dev, Table: t, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookIngress, Priority: nftables.ChainPriorityFilter, Device: dev})
	}
	for _, r := range rules {
		b.addDRRule(t, chains[r.dev], r, want)
	}
	b.dropCounters(t, want)
	b.drDevs = devs
	return want
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (b *NFT) addDRRule(t *nftables.Table, ch *nftables.Chain, r *drRule, want counters) {
	s := r.s
	k := s.Key()
	set := &nftables.Set{Table: t, Anonymous: true, Constant: true, IsMap: true, KeyType: nftables.TypeInteger, DataType: nftables.TypeEtherAddr}
	elems := make([]nftables.SetElement, len(r.macs))
	for i, mac := range r.macs {
		elems[i] = nftables.SetElement{Key: binary.NativeEndian.AppendUint32(nil, uint32(i)), Val: []byte(mac)}
	}
	if err := b.conn.AddSet(set, elems); err != nil {
		b.log.Error("lvs: nftables DR map", "service", k.String(), "error", err)
		return
	}
	// The source address goes in register 2 (32-bit registers 12..15)
	// and the source port in the next 32-bit register.
	ethType, saddrOffset, daddrOffset, addrLen, sportReg := []byte{0x08, 0x00}, uint32(12), uint32(16), uint32(4), uint32(13)
	if s.Family == config.IPv6 {
		ethType, saddrOffset, daddrOffset, addrLen, sportReg = []byte{0x86, 0xdd}, 8, 24, 16, 16
	}
	match := append([]expr.Any{
		&expr.Meta{Key: expr.MetaKeyPROTOCOL, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ethType},
	}, matchService(s, daddrOffset, addrLen)...)
	match = append(match,
		&expr.Meta{Key: expr.MetaKeyIIFTYPE, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.NativeEndian.AppendUint16(nil, unix.ARPHRD_ETHER)},
	)
	// Every packet of a flow must reach the same real server and there
	// is no connection tracking at ingress: the slot is a hash of the
	// source address and port, in register 1.
	slot := []expr.Any{
		&expr.Payload{DestRegister: 2, Base: expr.PayloadBaseNetworkHeader, Offset: saddrOffset, Len: addrLen},
		&expr.Payload{DestRegister: sportReg, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 2},
		&expr.Hash{SourceRegister: 2, DestRegister: 1, Length: addrLen + 4, Modulus: uint32(len(r.macs)), Seed: b.seed, Type: expr.HashTypeJenkins},
	}
	// The counting rules come first: the forwarding rule drops the frame.
	count := func(counter string, exprs ...expr.Any) {
		b.addCounter(t, want, counter)
		all := append(append(append([]expr.Any{}, match...), exprs...), counterRef(counter))
		b.conn.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: all})
	}
	var syn []expr.Any
	if s.Protocol == "TCP" {
		syn = tcpSYN()
		count(serviceCounter(k, counterConn), syn...)
	}
	for _, d := range uniqueDests(r.slots) {
		var mine []nftables.SetElement
		for i, sd := range r.slots {
			if sd.key() == d.key() {
				mine = append(mine, nftables.SetElement{Key: binary.NativeEndian.AppendUint32(nil, uint32(i))})
			}
		}
		// ofDest matches the flows whose slot is d's; an anonymous set
		// serves one rule only.
		ofDest := func() ([]expr.Any, error) {
			slots := &nftables.Set{Table: t, Anonymous: true, Constant: true, KeyType: nftables.TypeInteger}
			if err := b.conn.AddSet(slots, mine); err != nil {
				return nil, err
			}
			return append(append([]expr.Any{}, slot...), &expr.Lookup{SourceRegister: 1, SetName: slots.Name, SetID: slots.ID}), nil
		}
		for _, kind := range []string{counterIn, counterConn} {
			if kind == counterConn && syn == nil {
				continue
			}
			match, err := ofDest()
			if err != nil {
				b.log.Error("lvs: nftables DR counter set", "service", k.String(), "error", err)
				return
			}
			if kind == counterConn {
				match = append(append([]expr.Any{}, syn...), match...)
			}
			count(destCounter(k, d.key(), kind), match...)
		}
	}
	b.addCounter(t, want, serviceCounter(k, counterIn))
	exprs := append(append([]expr.Any{}, match...),
		counterRef(serviceCounter(k, counterIn)),
		// The frame leaves from the director, as IPVS sends it: its source
		// MAC is the device's, so that the switch does not learn the
		// client's MAC on the director's port.
		&expr.Immediate{Register: 1, Data: []byte(r.devMAC)},
		&expr.Payload{OperationType: expr.PayloadWrite, SourceRegister: 1, Base: expr.PayloadBaseLLHeader, Offset: 6, Len: 6},
	)
	exprs = append(exprs, slot...)
	exprs = append(exprs,
		&expr.Lookup{SourceRegister: 1, DestRegister: 1, IsDestRegSet: true, SetName: set.Name, SetID: set.ID},
		&expr.Payload{OperationType: expr.PayloadWrite, SourceRegister: 1, Base: expr.PayloadBaseLLHeader, Offset: 0, Len: 6},
		&expr.Immediate{Register: 1, Data: binary.NativeEndian.AppendUint32(nil, uint32(r.ifindex))},
		&expr.Dup{RegAddr: 1, RegDev: 1, IsRegDevSet: true},
		&expr.Verdict{Kind: expr.VerdictDrop},
	)
	b.conn.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: exprs})
}

// tcpSYN matches a TCP segment opening a connection: SYN without ACK.
func tcpSYN() []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 13, Len: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 1, Mask: []byte{0x12}, Xor: []byte{0}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{0x02}},
	}
}

// uniqueDests returns the distinct destinations of slots, in order.
func uniqueDests(slots []Dest) []Dest {
	var out []Dest
	seen := map[DestKey]bool{}
	for _, d := range slots {
		if !seen[d.key()] {
			seen[d.key()] = true
			out = append(out, d)
		}
	}
	return out
}
