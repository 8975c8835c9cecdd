package lvs

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/havip/havip/config"
)

// NFTTable is the name of havip's LVS tables: "table ip havip_lvs" and
// "table ip6 havip_lvs".
const NFTTable = "havip_lvs"

// maxBuckets bounds the map of a service: weights are reduced by their
// greatest common divisor and, if their sum is still larger, scaled down.
const maxBuckets = 1024

// NFT installs services as nftables rules, one per service, that pick a
// destination slot in a map where each destination owns as many slots as
// its weight: in turn for rr (one slot each) and wrr ("numgen inc"), by a
// hash of the client's address for sh ("jhash ip saddr"), at random
// otherwise ("numgen random": IPVS's other schedulers and thresholds are
// not reproduced). NAT services are DNAT in "table ip/ip6 havip_lvs", a
// persistent one through sets of the clients of each real server (see
// Persistence in nft_persist.go); DR services rewrite the destination MAC
// at the ingress hook of "table netdev havip_lvs" and send the frame back
// out, picking by a hash of the flow, without persistence; TUN is refused.
// Each Sync replaces the tables' rules in one atomic transaction.
type NFT struct {
	conn  *nftables.Conn
	nl    *netlink.Handle
	ownNS bool // nl and conn work in havip's own namespace
	log   *slog.Logger
	// drDevs are the devices with a DR ingress chain.
	drDevs map[string]bool
	// have records the families whose table exists.
	have map[nftables.TableFamily]bool
	// warned records the services told what the backend does not do.
	warned map[ServiceKey]bool
	// seed keys the DR flow hash for the backend's lifetime.
	seed uint32
	// counters are the named counters of each family's table, as the last
	// Sync left them.
	counters map[nftables.TableFamily]counters
	// installed are the services of the last Sync, whose counters Stats
	// reads.
	installed []Service
	// persist are the persistence sets and chains of each family's table,
	// as the last Sync left them.
	persist map[nftables.TableFamily]persistObjs
}

// NewNFT returns the nftables backend in the current network namespace.
func NewNFT(log *slog.Logger) (*NFT, error) {
	nl, err := netlink.NewHandle()
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	return newNFT(log, nl, true)
}

// NewNFTAt returns the nftables backend working in the network namespace
// open as nsFd.
func NewNFTAt(log *slog.Logger, nsFd int) (*NFT, error) {
	nl, err := netlink.NewHandleAt(netns.NsHandle(nsFd))
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	return newNFT(log, nl, false, nftables.WithNetNSFd(nsFd))
}

func newNFT(log *slog.Logger, nl *netlink.Handle, own bool, opts ...nftables.ConnOption) (*NFT, error) {
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("nftables netlink: %w", err)
	}
	if _, err := c.ListTablesOfFamily(nftables.TableFamilyIPv4); err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return &NFT{conn: c, nl: nl, ownNS: own, log: log, drDevs: map[string]bool{}, have: map[nftables.TableFamily]bool{}, warned: map[ServiceKey]bool{}, seed: rand.Uint32(), counters: map[nftables.TableFamily]counters{}, persist: map[nftables.TableFamily]persistObjs{}}, nil
}

// Name returns "nftables".
func (b *NFT) Name() string { return "nftables" }

// Sync rewrites havip's tables to hold services.
func (b *NFT) Sync(services []Service) error {
	byFamily := map[nftables.TableFamily][]Service{}
	var dr []*drRule
	var pending error
	for _, s := range services {
		kind, err := serviceMethod(s)
		if err != nil {
			return err
		}
		b.warnUnsupported(s, kind)
		if kind == "DR" {
			r, waiting, err := b.planDR(s)
			if err != nil {
				return err
			}
			if waiting {
				pending = fmt.Errorf("%s: %w", s.Key(), errNeighbourPending)
			}
			if r != nil {
				dr = append(dr, r)
			}
			continue
		}
		f := nftables.TableFamilyIPv4
		if s.Family == config.IPv6 {
			f = nftables.TableFamilyIPv6
		}
		byFamily[f] = append(byFamily[f], s)
	}
	want := map[nftables.TableFamily]counters{}
	wantPersist := map[nftables.TableFamily]persistObjs{}
	for _, f := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6} {
		ss := byFamily[f]
		want[f], wantPersist[f] = counters{}, newPersistObjs()
		if len(ss) == 0 {
			if b.have[f] {
				b.conn.DelTable(&nftables.Table{Name: NFTTable, Family: f})
			}
			continue
		}
		b.counters[f] = b.knownCounters(f)
		b.persist[f] = b.knownPersistObjs(f)
		t := b.conn.AddTable(&nftables.Table{Name: NFTTable, Family: f})
		b.conn.FlushTable(t)
		pre := b.conn.AddChain(&nftables.Chain{Name: "prerouting", Table: t, Type: nftables.ChainTypeNAT, Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityNATDest})
		out := b.conn.AddChain(&nftables.Chain{Name: "output", Table: t, Type: nftables.ChainTypeNAT, Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityNATDest})
		persistent := map[ServiceKey]persistence{}
		for _, s := range ss {
			b.addCounter(t, want[f], serviceCounter(s.Key(), counterConn))
			if s.Persistence > 0 {
				p, err := b.addPersistence(t, s, wantPersist[f])
				if err != nil {
					return err
				}
				persistent[s.Key()] = p
				for _, ch := range []*nftables.Chain{pre, out} {
					if err := b.addPersistRules(t, ch, s, p); err != nil {
						return err
					}
				}
				continue
			}
			if len(slotsOf(s)) == 0 {
				continue
			}
			for _, ch := range []*nftables.Chain{pre, out} {
				if err := b.addServiceRule(t, ch, s); err != nil {
					return err
				}
			}
		}
		b.addTrafficChain(t, ss, want[f], persistent)
		b.dropCounters(t, want[f])
		b.dropPersistObjs(t, wantPersist[f])
	}
	want[nftables.TableFamilyNetdev] = b.syncDR(dr)
	if err := b.conn.Flush(); err != nil {
		return fmt.Errorf("nftables: install table %s: %w", NFTTable, err)
	}
	for _, f := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6} {
		b.have[f] = len(byFamily[f]) > 0
	}
	b.have[nftables.TableFamilyNetdev] = len(dr) > 0
	b.counters = want
	b.persist = wantPersist
	if len(dr) == 0 {
		b.drDevs = map[string]bool{}
	}
	b.installed = services
	return pending
}

// serviceMethod returns NAT or DR, the one method of all the service's
// destinations, or an error for TUN or a mix.
func serviceMethod(s Service) (string, error) {
	kind := ""
	for _, d := range s.Dests {
		switch {
		case d.Method.Kind != "NAT" && d.Method.Kind != "DR":
			return "", errorf(s.Key(), "real server %s: the nftables backend does NAT and DR forwarding, not %s; load the ip_vs module for IPVS", netip.AddrPortFrom(d.Addr, d.Port), d.Method.Kind)
		case kind != "" && d.Method.Kind != kind:
			return "", errorf(s.Key(), "the nftables backend cannot mix NAT and DR real servers in one service")
		}
		kind = d.Method.Kind
	}
	return kind, nil
}

// warnUnsupported logs once per service, of method kind (NAT or DR), what
// of its settings nftables does not reproduce.
func (b *NFT) warnUnsupported(s Service, kind string) {
	if b.warned[s.Key()] {
		return
	}
	var what []string
	if s.Persistence > 0 && kind == "DR" {
		what = append(what, "persistence_timeout")
	}
	if pickerOf(s.Scheduler) == pickRandom {
		what = append(what, "lb_algo "+s.Scheduler)
	}
	for _, d := range s.Dests {
		if d.UThreshold != 0 || d.LThreshold != 0 {
			what = append(what, "uthreshold/lthreshold")
			break
		}
	}
	if len(what) > 0 {
		b.warned[s.Key()] = true
		b.log.Warn("lvs: the nftables backend schedules rr, wrr and sh, else picks real servers at random by weight; not applied: "+strings.Join(what, ", "), "service", s.Key().String())
	}
}

// Close deletes havip's tables.
func (b *NFT) Close() error {
	for f, ok := range b.have {
		if ok {
			b.conn.DelTable(&nftables.Table{Name: NFTTable, Family: f})
		}
	}
	if err := b.conn.Flush(); err != nil {
		return fmt.Errorf("nftables: delete table %s: %w", NFTTable, err)
	}
	b.have = map[nftables.TableFamily]bool{}
	b.counters = map[nftables.TableFamily]counters{}
	b.persist = map[nftables.TableFamily]persistObjs{}
	b.installed = nil
	return nil
}

// weightedBuckets returns the destination of each map slot.
func weightedBuckets(dests []Dest) []Dest {
	g := 0
	total := 0
	for _, d := range dests {
		if d.Weight > 0 {
			g = gcd(g, d.Weight)
			total += d.Weight
		}
	}
	if total == 0 {
		return nil
	}
	scale := float64(1)
	if total/g > maxBuckets {
		scale = float64(maxBuckets) / float64(total/g)
	}
	var out []Dest
	for _, d := range dests {
		if d.Weight <= 0 {
			continue
		}
		n := max(1, int(float64(d.Weight/g)*scale))
		for range n {
			out = append(out, d)
		}
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// picker is how a NAT service picks a destination slot.
type picker int

const (
	pickRandom  picker = iota // numgen random: IPVS schedulers nftables cannot reproduce
	pickInTurn                // numgen inc: rr, wrr
	pickBySaddr               // jhash of the client's address: sh
)

// pickerOf maps an IPVS scheduler to its picker.
func pickerOf(scheduler string) picker {
	switch scheduler {
	case "rr", "wrr":
		return pickInTurn
	case "sh":
		return pickBySaddr
	}
	return pickRandom
}

// slotsOf returns a NAT service's map slots: one per destination in the
// pool for rr (IPVS's rr ignores weights but 0), weighted otherwise.
func slotsOf(s Service) []Dest {
	if s.Scheduler != "rr" {
		return weightedBuckets(s.Dests)
	}
	var out []Dest
	for _, d := range s.Dests {
		if d.Weight > 0 {
			out = append(out, d)
		}
	}
	return out
}

// pickExprs leaves the slot, 0..n-1, in register 1 as the map's key.
func pickExprs(s Service, n int) []expr.Any {
	var pick []expr.Any
	switch pickerOf(s.Scheduler) {
	case pickInTurn:
		pick = []expr.Any{&expr.Numgen{Register: 1, Modulus: uint32(n), Type: unix.NFT_NG_INCREMENTAL}}
	case pickBySaddr:
		saddr, length := uint32(12), uint32(4)
		if s.Family == config.IPv6 {
			saddr, length = 8, 16
		}
		pick = []expr.Any{
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: saddr, Len: length},
			&expr.Hash{SourceRegister: 1, DestRegister: 1, Length: length, Modulus: uint32(n), Type: expr.HashTypeJenkins},
		}
	default:
		pick = []expr.Any{&expr.Numgen{Register: 1, Modulus: uint32(n), Type: unix.NFT_NG_RANDOM}}
	}
	return append(pick, &expr.Byteorder{SourceRegister: 1, DestRegister: 1, Op: expr.ByteorderHton, Len: 4, Size: 4})
}

// addServiceRule adds "match the service; dnat to PICK mod N map { slot :
// addr . port }" (addr only when the destinations keep the packet's port),
// PICK being "numgen inc", "jhash ip saddr" or "numgen random" (pickExprs).
func (b *NFT) addServiceRule(t *nftables.Table, ch *nftables.Chain, s Service) error {
	buckets := slotsOf(s)
	keepPort := s.Fwmark != 0 || buckets[0].Port == 0
	addrType := nftables.TypeIPAddr
	natFamily := uint32(unix.NFPROTO_IPV4)
	if s.Family == config.IPv6 {
		addrType, natFamily = nftables.TypeIP6Addr, unix.NFPROTO_IPV6
	}
	dataType := addrType
	if !keepPort {
		dataType = nftables.MustConcatSetType(addrType, nftables.TypeInetService)
	}
	set := &nftables.Set{Table: t, Anonymous: true, Constant: true, IsMap: true, KeyType: nftables.TypeInteger, DataType: dataType}
	elems := make([]nftables.SetElement, len(buckets))
	for i, d := range buckets {
		key := binary.BigEndian.AppendUint32(nil, uint32(i))
		val := d.Addr.AsSlice()
		if !keepPort {
			val = append(val, byte(d.Port>>8), byte(d.Port), 0, 0)
		}
		elems[i] = nftables.SetElement{Key: key, Val: val}
	}
	if err := b.conn.AddSet(set, elems); err != nil {
		return errorf(s.Key(), "nftables map: %v", err)
	}
	exprs := append(matchOf(s), counterRef(serviceCounter(s.Key(), counterConn)))
	exprs = append(exprs, pickExprs(s, len(buckets))...)
	exprs = append(exprs,
		&expr.Lookup{SourceRegister: 1, DestRegister: 1, IsDestRegSet: true, SetName: set.Name, SetID: set.ID},
	)
	nat := &expr.NAT{Type: expr.NATTypeDestNAT, Family: natFamily, RegAddrMin: 1}
	if !keepPort {
		// The port follows the address in the registers: 32-bit register 9
		// after an IPv4 address in register 1, 12 after an IPv6 one.
		nat.RegProtoMin = 9
		if s.Family == config.IPv6 {
			nat.RegProtoMin = 12
		}
	}
	exprs = append(exprs, nat)
	b.conn.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: exprs})
	return nil
}

// matchOf matches the packets of NAT service s: its mark, or its address,
// protocol and port.
func matchOf(s Service) []expr.Any {
	if s.Fwmark != 0 {
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.NativeEndian.AppendUint32(nil, s.Fwmark)},
		}
	}
	daddrOffset, addrLen := uint32(16), uint32(4)
	if s.Family == config.IPv6 {
		daddrOffset, addrLen = 24, 16
	}
	return matchService(s, daddrOffset, addrLen)
}

// matchService matches packets to s's address (at daddrOffset in the network
// header, addrLen bytes), protocol and port (when it has one).
func matchService(s Service, daddrOffset, addrLen uint32) []expr.Any {
	exprs := []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: daddrOffset, Len: addrLen},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: s.Addr.AsSlice()},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{protoNumber(s.Protocol)}},
	}
	if s.Port != 0 {
		exprs = append(exprs,
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(s.Port >> 8), byte(s.Port)}},
		)
	}
	return exprs
}

func protoNumber(p string) byte {
	switch p {
	case "UDP":
		return unix.IPPROTO_UDP
	case "SCTP":
		return unix.IPPROTO_SCTP
	}
	return unix.IPPROTO_TCP
}
