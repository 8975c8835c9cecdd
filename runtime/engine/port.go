package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/havip/havip/runtime/vrrp"
)

// portKey names the sockets of one interface and address family.
type portKey struct {
	ifname string
	family int
}

func (k portKey) String() string { return fmt.Sprintf("%s/IPv%d", k.ifname, k.family) }

// port is the pair of VRRP sockets every instance of one interface and family
// shares, and the demultiplexer from VRID (and group or peer) to instance.
type port struct {
	key    portKey
	groups []netip.Addr // multicast groups the receiver joined
	rxBuf  int          // the receive buffer size set, in bytes; 0 = the kernel's default
	rx     Receiver
	tx     Sender
	// ah is set when an instance of the port authenticates with IPsec-AH
	// (IPv4 only): its adverts arrive on ahRx (protocol 51) and leave
	// through ahTx as whole datagrams.
	ah   bool
	ahRx Receiver
	ahTx DatagramSender
	// instances are the instances of each VRID: several share one when
	// they listen to different multicast groups or to disjoint unicast
	// peers (keepalived allows it), and lookup tells them apart.
	instances [256][]*instance

	// Counted by the reader goroutine (packet-level checks) and the event loop
	// (unknown VRIDs); read by snapshots on the event loop.
	mu          sync.Mutex
	counters    vrrp.Counters
	byVRID      [256]vrrp.Counters // packet-level drops of packets long enough to name their VRID
	unknownVRID uint64
}

// count records the packet-level outcome of one received packet.
func (p *port) count(reason vrrp.DropReason, rx *vrrp.Received, payload []byte) {
	p.mu.Lock()
	p.counters.Count(reason, rx.Checksum)
	if reason != vrrp.DropNone && len(payload) >= 2 {
		p.byVRID[payload[1]].Drop(reason)
	}
	p.mu.Unlock()
}

// countUnknownVRID records an advert for a VRID no instance of the port has.
func (p *port) countUnknownVRID() {
	p.mu.Lock()
	p.unknownVRID++
	p.mu.Unlock()
}

// inbound is an advert that passed the packet-level checks.
type inbound struct {
	port *port
	rx   vrrp.Received
}

// openPort opens the receive socket (joined to groups) and the send socket,
// and with ah the AH sockets too.
func openPort(host Host, key portKey, groups []netip.Addr, ah bool) (*port, error) {
	rx, err := host.ListenVRRP(key.ifname, key.family, groups)
	if err != nil {
		return nil, fmt.Errorf("receiving VRRP on %s: %w", key, err)
	}
	tx, err := host.DialVRRP(key.ifname, key.family)
	if err != nil {
		rx.Close()
		return nil, fmt.Errorf("sending VRRP on %s: %w", key, err)
	}
	p := &port{key: key, groups: groups, rx: rx, tx: tx, ah: ah}
	if !ah {
		return p, nil
	}
	if p.ahRx, err = host.ListenAH(key.ifname, groups); err != nil {
		p.close()
		return nil, fmt.Errorf("receiving VRRP with IPsec-AH on %s: %w", key, err)
	}
	if p.ahTx, err = host.DialAH(key.ifname); err != nil {
		p.close()
		return nil, fmt.Errorf("sending VRRP with IPsec-AH on %s: %w", key, err)
	}
	return p, nil
}

// read receives adverts until ctx is done or the socket is closed, runs the
// packet-level checks and hands the survivors to the event loop. ah says rx
// is the AH socket: its packets are whole IPv4 datagrams of protocol 51.
func (p *port) read(ctx context.Context, rx Receiver, ah bool, out chan<- inbound, log *slog.Logger) {
	buf := make([]byte, 64*1024)
	limiter := logLimiter{every: logEvery, last: map[string]time.Time{}}
	for {
		pkt, err := rx.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			limiter.log(log, slog.LevelWarn, "read", "reading VRRP failed", "port", p.key.String(), "err", err)
			continue
		}
		var in inbound
		in.port = p
		var reason vrrp.DropReason
		msg := pkt.Payload
		if ah {
			reason = vrrp.ParseAH(&in.rx, pkt.Datagram)
			msg = msg[min(len(msg), vrrp.AHHeaderLen):]
		} else {
			reason = vrrp.Parse(&in.rx, pkt.Payload, pkt.Src, pkt.Dst, uint8(min(max(pkt.TTL, 0), 255)))
		}
		p.count(reason, &in.rx, msg)
		if reason != vrrp.DropNone {
			limiter.log(log, slog.LevelWarn, reason.String(), "dropped a VRRP packet",
				"port", p.key.String(), "source", pkt.Src.String(), "reason", reason.String())
			continue
		}
		// Received reuses its address slice and aliases buf; the loop gets
		// its own copies.
		in.rx.Addrs = slices.Clone(in.rx.Addrs)
		in.rx.Datagram = slices.Clone(in.rx.Datagram)
		select {
		case out <- in:
		case <-ctx.Done():
			return
		}
	}
}

// rxBufPerInstance is what each instance adds to its port's receive buffer:
// three full-size frames, keepalived's vrrp_rx_bufs_policy MTU with its
// default vrrp_rx_bufs_multiplier of 3. The masters of many instances
// advertise in bursts, and the buffer must hold one between two reads.
const rxBufPerInstance = 3 * 1500

// sizeReadBuffer sizes the receive buffer for n instances, unless the
// kernel's default (about 200 KiB) is larger or it is sized so already.
func (p *port) sizeReadBuffer(n int) error {
	want := n * rxBufPerInstance
	if want < minRxBuf {
		want = 0
	}
	if want == p.rxBuf || want == 0 {
		return nil
	}
	if err := p.setReadBuffer(want); err != nil {
		return err
	}
	p.rxBuf = want
	return nil
}

// minRxBuf is below the kernel's default receive buffer
// (net.core.rmem_default, 208 KiB unless tuned): smaller sizes are not set.
const minRxBuf = 200 << 10

// lookup returns the instance an advert is for: the only one of its VRID,
// or among several the multicast instance of its destination group or the
// unicast instance that has its source as a peer. nil when none matches.
func (p *port) lookup(rx *vrrp.Received) *instance {
	insts := p.instances[rx.VRID]
	if len(insts) == 1 {
		return insts[0]
	}
	for _, inst := range insts {
		if inst.cfg.Unicast() {
			if !rx.Dst.IsMulticast() && inst.hasPeer(rx.Src) {
				return inst
			}
		} else if rx.Dst == inst.cfg.MulticastGroup {
			return inst
		}
	}
	return nil
}

// register adds inst to the instances of its VRID.
func (p *port) register(inst *instance) {
	p.instances[inst.vrid] = append(p.instances[inst.vrid], inst)
}

// send transmits one advert to dst.
func (p *port) send(payload []byte, src, dst netip.Addr, ttl int) error {
	return p.tx.Send(payload, src, dst, ttl)
}

// sendDatagram transmits one AH advert, a whole IPv4 datagram.
func (p *port) sendDatagram(datagram []byte) error {
	if p.ahTx == nil {
		return fmt.Errorf("no IPsec-AH socket on %s", p.key)
	}
	return p.ahTx.SendDatagram(datagram)
}

// closeReceiver unblocks the readers.
func (p *port) closeReceiver() {
	p.rx.Close()
	if p.ahRx != nil {
		p.ahRx.Close()
	}
}

// setReadBuffer sizes the receive buffers of the port's receivers.
func (p *port) setReadBuffer(bytes int) error {
	if err := p.rx.SetReadBuffer(bytes); err != nil {
		return err
	}
	if p.ahRx != nil {
		return p.ahRx.SetReadBuffer(bytes)
	}
	return nil
}

// reopen replaces the sockets by new ones on the interface of the same
// name, keeping the receive buffer size; the old ones are closed, which ends
// their readers.
func (p *port) reopen(host Host) error {
	fresh, err := openPort(host, p.key, p.groups, p.ah)
	if err != nil {
		return err
	}
	p.close()
	p.rx, p.tx, p.ahRx, p.ahTx = fresh.rx, fresh.tx, fresh.ahRx, fresh.ahTx
	if p.rxBuf > 0 {
		if err := p.setReadBuffer(p.rxBuf); err != nil {
			p.rxBuf = 0
			return fmt.Errorf("sizing the receive buffer of %s: %w", p.key, err)
		}
	}
	return nil
}

// close releases the sockets.
func (p *port) close() {
	p.rx.Close()
	p.tx.Close()
	if p.ahRx != nil {
		p.ahRx.Close()
	}
	if p.ahTx != nil {
		p.ahTx.Close()
	}
}
