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

	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/vrrp"
)

// portKey names the sockets of one interface and address family.
type portKey struct {
	ifname string
	family int
}

func (k portKey) String() string { return fmt.Sprintf("%s/IPv%d", k.ifname, k.family) }

// port is the pair of VRRP sockets every instance of one interface and family
// shares, and the demultiplexer from VRID to instance.
type port struct {
	key       portKey
	groups    []netip.Addr // multicast groups the receiver joined
	rx        *netif.Receiver
	tx        *netif.Sender
	instances [256]*instance // by VRID

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

// openPort opens the receive socket (joined to groups) and the send socket.
func openPort(key portKey, groups []netip.Addr) (*port, error) {
	rx, err := netif.ListenVRRP(key.ifname, key.family, groups)
	if err != nil {
		return nil, fmt.Errorf("receiving VRRP on %s: %w", key, err)
	}
	tx, err := netif.DialVRRP(key.ifname, key.family)
	if err != nil {
		rx.Close()
		return nil, fmt.Errorf("sending VRRP on %s: %w", key, err)
	}
	return &port{key: key, groups: groups, rx: rx, tx: tx}, nil
}

// read receives adverts until ctx is done or the socket is closed, runs the
// packet-level checks and hands the survivors to the event loop.
func (p *port) read(ctx context.Context, out chan<- inbound, log *slog.Logger) {
	buf := make([]byte, 64*1024)
	limiter := logLimiter{every: logEvery, last: map[string]time.Time{}}
	for {
		pkt, err := p.rx.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			limiter.log(log, slog.LevelWarn, "read", "reading VRRP failed", "port", p.key.String(), "err", err)
			continue
		}
		var in inbound
		in.port = p
		reason := vrrp.Parse(&in.rx, pkt.Payload, pkt.Src, pkt.Dst, uint8(min(max(pkt.TTL, 0), 255)))
		p.count(reason, &in.rx, pkt.Payload)
		if reason != vrrp.DropNone {
			limiter.log(log, slog.LevelWarn, reason.String(), "dropped a VRRP packet",
				"port", p.key.String(), "source", pkt.Src.String(), "reason", reason.String())
			continue
		}
		// Received reuses its address slice; the loop gets its own copy.
		in.rx.Addrs = slices.Clone(in.rx.Addrs)
		select {
		case out <- in:
		case <-ctx.Done():
			return
		}
	}
}

// send transmits one advert to dst.
func (p *port) send(payload []byte, src, dst netip.Addr, ttl int) error {
	return p.tx.Send(payload, src, dst, ttl)
}

// closeReceiver unblocks the reader.
func (p *port) closeReceiver() { p.rx.Close() }

// close releases both sockets.
func (p *port) close() {
	p.rx.Close()
	p.tx.Close()
}
