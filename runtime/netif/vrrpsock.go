package netif

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// trafficClassVRRP is the TOS / Traffic Class keepalived and FRR send VRRP with (CS6, internetwork control).
const trafficClassVRRP = 0xc0

// DefaultTTL is the TTL / hop limit VRRP is sent with; receivers drop multicast adverts with any other value.
const DefaultTTL = 255

// Packet is one received VRRP message with what the kernel reported about its IP header.
type Packet struct {
	Payload []byte // the VRRP message (the IP header is not included); aliases the buffer given to Read
	// Datagram is, for IPv4, the whole datagram: IP header, then Payload (for ListenAH,
	// the Authentication Header and the VRRP message). It aliases the buffer given to Read.
	Datagram []byte
	Src      netip.Addr // IP source; IPv6 link-local sources carry no zone (the receiver is bound to one interface)
	Dst      netip.Addr // IP destination: the multicast group or one of our unicast addresses
	TTL      int        // IPv4 TTL or IPv6 hop limit; 0 if the kernel attached no control message
	IfIndex  int        // interface the packet arrived on
}

// Receiver reads every VRRP message arriving on one interface for one address family. One Receiver
// serves all instances on that interface; the caller demultiplexes by VRID (and, for instances
// sharing one, by destination group or source peer).
type Receiver struct {
	ifname string
	groups []netip.Addr // multicast groups this receiver joined
	v4     *ipv4.PacketConn
	v6     *ipv6.PacketConn

	// A Read allocates nothing: recvmsg goes through raw with recv, a method value made once,
	// into these. Read is not safe for concurrent use.
	raw  syscall.RawConn
	recv func(fd uintptr) bool
	hdr  unix.Msghdr
	iov  unix.Iovec
	from unix.RawSockaddrAny
	oob  [128]byte
	n    int   // bytes of the message received
	oobn int   // bytes of its control messages
	rerr error // the recvmsg error
}

// ListenVRRP opens a raw protocol-112 socket bound to ifname that receives unicast VRRP sent to any
// local address on that interface, and multicast VRRP sent to groups (e.g. 224.0.0.18 or ff02::12;
// none for unicast-only). Multicast sent to groups joined only by other sockets is not delivered:
// the kernel filters IPv4 (IP_MULTICAST_ALL=0), Read filters IPv6, whose raw sockets bound to
// the unspecified address get every group the interface is in.
func ListenVRRP(ifname string, family int, groups []netip.Addr) (*Receiver, error) {
	if err := checkFamily(family); err != nil {
		return nil, fmt.Errorf("listen VRRP on %s: %w", ifname, err)
	}
	return listen(ifname, family, protoVRRP, groups)
}

// ListenAH is ListenVRRP for the IPv4 VRRP adverts of keepalived's auth_type AH: a raw
// protocol-51 (IPsec Authentication Header) socket. Packet.Payload starts with the
// Authentication Header; Packet.Datagram holds the IP header the ICV covers.
func ListenAH(ifname string, groups []netip.Addr) (*Receiver, error) {
	return listen(ifname, 4, protoAH, groups)
}

// IP protocols of the raw sockets.
const (
	protoVRRP = 112
	protoAH   = 51
)

func listen(ifname string, family, proto int, groups []netip.Addr) (*Receiver, error) {
	joined := make([]netip.Addr, 0, len(groups))
	for _, g := range groups {
		if !g.IsValid() || !g.IsMulticast() || addrFamily(g) != family {
			return nil, fmt.Errorf("listen VRRP on %s: group %v is not an IPv%d multicast address (e.g. 224.0.0.18 or ff02::12)", ifname, g, family)
		}
		joined = append(joined, g.Unmap().WithZone(""))
	}
	ifi, err := interfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("listen VRRP: %w", err)
	}
	conn, err := listenRaw(ifname, family, proto, false)
	if err != nil {
		return nil, fmt.Errorf("listen VRRP on %s: %w", ifname, err)
	}
	r := &Receiver{ifname: ifname, groups: joined}
	r.recv = r.recvmsg
	if r.raw, err = conn.(syscall.Conn).SyscallConn(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("listen VRRP on %s: %w", ifname, err)
	}
	if family == 4 {
		r.v4 = ipv4.NewPacketConn(conn)
		err = r.setup4(ifi, joined)
	} else {
		r.v6 = ipv6.NewPacketConn(conn)
		err = r.setup6(ifi, joined)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("listen VRRP on %s: %w", ifname, err)
	}
	return r, nil
}

func (r *Receiver) setup4(ifi *net.Interface, groups []netip.Addr) error {
	for _, g := range groups {
		if err := r.v4.JoinGroup(ifi, &net.IPAddr{IP: g.AsSlice()}); err != nil {
			return fmt.Errorf("join group %v: %w", g, err)
		}
	}
	if err := r.v4.SetControlMessage(ipv4.FlagTTL|ipv4.FlagDst|ipv4.FlagInterface, true); err != nil {
		return fmt.Errorf("enable TTL/destination control messages: %w", err)
	}
	return nil
}

func (r *Receiver) setup6(ifi *net.Interface, groups []netip.Addr) error {
	for _, g := range groups {
		if err := r.v6.JoinGroup(ifi, &net.IPAddr{IP: g.AsSlice()}); err != nil {
			return fmt.Errorf("join group %v: %w", g, err)
		}
	}
	if err := r.v6.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst|ipv6.FlagInterface, true); err != nil {
		return fmt.Errorf("enable hop limit/destination control messages: %w", err)
	}
	return nil
}

// Read blocks until a VRRP message arrives and returns it; Payload aliases buf. A buffer of at
// least the interface MTU avoids silent truncation. After Close it returns an error that
// matches net.ErrClosed.
func (r *Receiver) Read(buf []byte) (Packet, error) {
	for {
		p, err := r.read(buf)
		if err != nil {
			return Packet{}, fmt.Errorf("read VRRP on %s: %w", r.ifname, err)
		}
		if !p.Dst.IsMulticast() || slices.Contains(r.groups, p.Dst) {
			return p, nil
		}
	}
}

func (r *Receiver) read(buf []byte) (Packet, error) {
	r.iov.Base = &buf[0]
	r.iov.SetLen(len(buf))
	if err := r.raw.Read(r.recv); err != nil {
		return Packet{}, err
	}
	if r.rerr != nil {
		return Packet{}, r.rerr
	}
	if r.v4 != nil {
		return r.packet4(buf[:r.n])
	}
	return r.packet6(buf[:r.n])
}

// recvmsg is the RawConn.Read callback: false asks the poller to wait for a message.
func (r *Receiver) recvmsg(fd uintptr) bool {
	r.hdr = unix.Msghdr{Name: (*byte)(unsafe.Pointer(&r.from)), Namelen: unix.SizeofSockaddrAny, Iov: &r.iov, Control: &r.oob[0]}
	r.hdr.SetIovlen(1)
	r.hdr.SetControllen(len(r.oob))
	n, _, errno := unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&r.hdr)), 0)
	switch errno {
	case unix.EAGAIN:
		return false
	case 0:
		r.n, r.oobn, r.rerr = int(n), int(r.hdr.Controllen), nil
	default:
		r.rerr = errno
	}
	return true
}

// packet4 decodes what an IPv4 raw socket receives: the IP header (source, destination, TTL),
// then the VRRP message; the interface comes from IP_PKTINFO.
func (r *Receiver) packet4(b []byte) (Packet, error) {
	if len(b) < ipv4.HeaderLen {
		return Packet{}, fmt.Errorf("%d-byte datagram is shorter than an IPv4 header", len(b))
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < ipv4.HeaderLen || ihl > len(b) {
		return Packet{}, fmt.Errorf("IPv4 header length %d in a %d-byte datagram", ihl, len(b))
	}
	p := Packet{Payload: b[ihl:], Datagram: b, TTL: int(b[8]), Src: netip.AddrFrom4([4]byte(b[12:16])), Dst: netip.AddrFrom4([4]byte(b[16:20]))}
	r.eachCmsg(func(level, typ int32, data []byte) {
		if level == unix.IPPROTO_IP && typ == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo {
			p.IfIndex = int((*unix.Inet4Pktinfo)(unsafe.Pointer(&data[0])).Ifindex)
		}
	})
	return p, nil
}

// packet6 decodes what an IPv6 raw socket receives: the VRRP message, the source from the
// socket address, destination and interface from IPV6_PKTINFO, the hop limit from IPV6_HOPLIMIT.
func (r *Receiver) packet6(b []byte) (Packet, error) {
	sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&r.from))
	p := Packet{Payload: b, Src: netip.AddrFrom16(sa.Addr)}
	r.eachCmsg(func(level, typ int32, data []byte) {
		switch {
		case level != unix.IPPROTO_IPV6:
		case typ == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
			info := (*unix.Inet6Pktinfo)(unsafe.Pointer(&data[0]))
			p.Dst, p.IfIndex = netip.AddrFrom16(info.Addr), int(info.Ifindex)
		case typ == unix.IPV6_HOPLIMIT && len(data) >= 4:
			p.TTL = int(*(*int32)(unsafe.Pointer(&data[0])))
		}
	})
	return p, nil
}

// eachCmsg calls f with every control message of the last recvmsg.
func (r *Receiver) eachCmsg(f func(level, typ int32, data []byte)) {
	oob := r.oob[:r.oobn]
	for off := 0; off+unix.CmsgLen(0) <= len(oob); {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[off]))
		end := off + int(h.Len)
		if int(h.Len) < unix.CmsgLen(0) || end > len(oob) {
			return
		}
		f(h.Level, h.Type, oob[off+unix.CmsgLen(0):end])
		off += unix.CmsgSpace(int(h.Len) - unix.CmsgLen(0))
	}
}

// SetReadDeadline makes Read return an error matching os.ErrDeadlineExceeded once t has passed;
// the zero time means no deadline.
func (r *Receiver) SetReadDeadline(t time.Time) error {
	if r.v4 != nil {
		return r.v4.SetReadDeadline(t)
	}
	return r.v6.SetReadDeadline(t)
}

// SetReadBuffer sets the socket's receive buffer to bytes: with SO_RCVBUFFORCE when the process
// may (CAP_NET_ADMIN), beyond net.core.rmem_max, else with SO_RCVBUF, which the kernel caps at
// rmem_max. A burst of adverts from many instances must fit in it between two Reads.
func (r *Receiver) SetReadBuffer(bytes int) error {
	var serr error
	err := r.raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, bytes)
		if serr != nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, bytes)
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("receive buffer of %d bytes on %s: %w", bytes, r.ifname, err)
	}
	return nil
}

// readBuffer returns the socket's receive buffer size as the kernel reports it (twice what was
// set: the kernel counts its bookkeeping too).
func (r *Receiver) readBuffer() (int, error) {
	var n int
	var serr error
	err := r.raw.Control(func(fd uintptr) {
		n, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
	})
	if err == nil {
		err = serr
	}
	return n, err
}

// Close closes the socket and unblocks a pending Read.
func (r *Receiver) Close() error {
	if r.v4 != nil {
		return r.v4.Close()
	}
	return r.v6.Close()
}

// Sender transmits VRRP messages out of one interface for one address family, to the multicast
// group or to unicast peers, with TOS / Traffic Class 0xc0 and multicast loopback off.
type Sender struct {
	ifname  string
	ifindex int
	family  int
	v4      *ipv4.PacketConn
	v6      *ipv6.PacketConn

	mu           sync.Mutex // serialises Sends: the TTL options and the buffers below
	multicastTTL int        // IP_MULTICAST_TTL currently set on the IPv4 socket
	unicastTTL   int        // IP_TTL currently set on the IPv4 socket

	// A Send allocates nothing: it fills these and calls sendmsg through raw with write, a
	// method value made once. (x/net's WriteTo allocated about 500 bytes per advert, which
	// at 250 instances × 10 adverts/s was most of the garbage the collector had to chase.)
	raw   syscall.RawConn
	write func(fd uintptr) bool
	msg   []byte // the message being sent
	cmsg  []byte // its control message, in oob
	oob   []byte
	to    unix.Sockaddr
	to4   unix.SockaddrInet4
	to6   unix.SockaddrInet6
	werr  error
}

// DialVRRP opens the raw protocol-112 socket used to send VRRP out of ifname. The socket never
// queues received packets (a drop-all filter is attached); use ListenVRRP to receive.
func DialVRRP(ifname string, family int) (*Sender, error) {
	if err := checkFamily(family); err != nil {
		return nil, fmt.Errorf("dial VRRP on %s: %w", ifname, err)
	}
	ifi, err := interfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("dial VRRP: %w", err)
	}
	conn, err := listenRaw(ifname, family, protoVRRP, true)
	if err != nil {
		return nil, fmt.Errorf("dial VRRP on %s: %w", ifname, err)
	}
	s := &Sender{ifname: ifname, ifindex: ifi.Index, family: family, oob: make([]byte, senderOOBSize)}
	s.write = s.sendmsg
	if s.raw, err = conn.(syscall.Conn).SyscallConn(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("dial VRRP on %s: %w", ifname, err)
	}
	if family == 4 {
		s.v4 = ipv4.NewPacketConn(conn)
		err = s.setup4(ifi)
	} else {
		s.v6 = ipv6.NewPacketConn(conn)
		err = s.setup6(ifi)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("dial VRRP on %s: %w", ifname, err)
	}
	return s, nil
}

func (s *Sender) setup4(ifi *net.Interface) error {
	steps := []struct {
		what string
		set  func() error
	}{
		{"multicast interface", func() error { return s.v4.SetMulticastInterface(ifi) }},
		{"multicast TTL 255", func() error { return s.v4.SetMulticastTTL(DefaultTTL) }},
		{"unicast TTL 255", func() error { return s.v4.SetTTL(DefaultTTL) }},
		{"multicast loopback off", func() error { return s.v4.SetMulticastLoopback(false) }},
		{"TOS 0xc0", func() error { return s.v4.SetTOS(trafficClassVRRP) }},
	}
	for _, st := range steps {
		if err := st.set(); err != nil {
			return fmt.Errorf("set %s: %w", st.what, err)
		}
	}
	s.multicastTTL, s.unicastTTL = DefaultTTL, DefaultTTL
	return nil
}

func (s *Sender) setup6(ifi *net.Interface) error {
	steps := []struct {
		what string
		set  func() error
	}{
		{"multicast interface", func() error { return s.v6.SetMulticastInterface(ifi) }},
		{"multicast hop limit 255", func() error { return s.v6.SetMulticastHopLimit(DefaultTTL) }},
		{"unicast hop limit 255", func() error { return s.v6.SetHopLimit(DefaultTTL) }},
		{"multicast loopback off", func() error { return s.v6.SetMulticastLoopback(false) }},
		{"traffic class 0xc0", func() error { return s.v6.SetTrafficClass(trafficClassVRRP) }},
	}
	for _, st := range steps {
		if err := st.set(); err != nil {
			return fmt.Errorf("set %s: %w", st.what, err)
		}
	}
	return nil
}

// Send transmits one VRRP message from src to dst (the multicast group or a unicast peer) with the
// given TTL / hop limit (1–255; DefaultTTL except for keepalived's unicast_ttl). src is put on the
// wire as given, so it must be the address the checksum was computed with: the interface's primary
// IPv4 address (or the configured mcast_src_ip/unicast_src_ip) or its IPv6 link-local address.
func (s *Sender) Send(payload []byte, src, dst netip.Addr, ttl int) error {
	if err := s.checkSend(src, dst, ttl); err != nil {
		return err
	}
	if s.v4 != nil {
		return s.send4(payload, src, dst, ttl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.to6.Addr = dst.As16()
	s.to = &s.to6
	if err := s.writeMsg(payload, pktinfo6(s.oob, src, s.ifindex, ttl)); err != nil {
		if errors.Is(err, unix.EINVAL) && src.IsLinkLocalUnicast() {
			if tentative, _ := isTentative(s.ifname, src); tentative {
				return fmt.Errorf("send VRRP %v -> %v on %s: source: %w; retry once PrimaryAddr returns it", src, dst, s.ifname, ErrTentative)
			}
		}
		return fmt.Errorf("send VRRP %v -> %v on %s (the source must be an address of %s): %w", src, dst, s.ifname, s.ifname, err)
	}
	return nil
}

func (s *Sender) checkSend(src, dst netip.Addr, ttl int) error {
	if !src.IsValid() || addrFamily(src) != s.family {
		return fmt.Errorf("send VRRP on %s: source %v is not an IPv%d address", s.ifname, src, s.family)
	}
	if !dst.IsValid() || addrFamily(dst) != s.family {
		return fmt.Errorf("send VRRP on %s: destination %v is not an IPv%d address", s.ifname, dst, s.family)
	}
	if ttl < 1 || ttl > 255 {
		return fmt.Errorf("send VRRP on %s: TTL %d out of range 1-255", s.ifname, ttl)
	}
	return nil
}

func (s *Sender) send4(payload []byte, src, dst netip.Addr, ttl int) error {
	src, dst = src.Unmap(), dst.Unmap()
	s.mu.Lock()
	defer s.mu.Unlock()
	if dst.IsMulticast() && ttl != s.multicastTTL {
		if err := s.v4.SetMulticastTTL(ttl); err != nil {
			return fmt.Errorf("send VRRP on %s: set multicast TTL %d: %w", s.ifname, ttl, err)
		}
		s.multicastTTL = ttl
	}
	if !dst.IsMulticast() && ttl != s.unicastTTL {
		if err := s.v4.SetTTL(ttl); err != nil {
			return fmt.Errorf("send VRRP on %s: set TTL %d: %w", s.ifname, ttl, err)
		}
		s.unicastTTL = ttl
	}
	s.to4.Addr = dst.As4()
	s.to = &s.to4
	if err := s.writeMsg(payload, pktinfo4(s.oob, src, s.ifindex)); err != nil {
		return fmt.Errorf("send VRRP %v -> %v on %s (the source must be an address of this host): %w", src, dst, s.ifname, err)
	}
	return nil
}

// writeMsg sends payload with the control message oob to s.to; the caller holds s.mu.
func (s *Sender) writeMsg(payload, oob []byte) error {
	s.msg, s.cmsg, s.werr = payload, oob, nil
	if err := s.raw.Write(s.write); err != nil {
		return err
	}
	return s.werr
}

// sendmsg is the RawConn.Write callback: false asks the poller to wait until the socket can
// take the message.
func (s *Sender) sendmsg(fd uintptr) bool {
	s.werr = unix.Sendmsg(int(fd), s.msg, s.cmsg, s.to, 0)
	return s.werr != unix.EAGAIN
}

// senderOOBSize holds the largest control message a Send writes: IPv6 packet info and hop limit.
var senderOOBSize = unix.CmsgSpace(unix.SizeofInet6Pktinfo) + unix.CmsgSpace(4)

// pktinfo4 writes into oob an IP_PKTINFO control message sending from src out of ifindex.
func pktinfo4(oob []byte, src netip.Addr, ifindex int) []byte {
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level, h.Type = unix.IPPROTO_IP, unix.IP_PKTINFO
	h.SetLen(unix.CmsgLen(unix.SizeofInet4Pktinfo))
	info := (*unix.Inet4Pktinfo)(unsafe.Pointer(&oob[unix.CmsgLen(0)]))
	*info = unix.Inet4Pktinfo{Ifindex: int32(ifindex), Spec_dst: src.As4()}
	return oob[:unix.CmsgSpace(unix.SizeofInet4Pktinfo)]
}

// pktinfo6 writes into oob IPV6_PKTINFO (source src, interface ifindex) and IPV6_HOPLIMIT
// control messages.
func pktinfo6(oob []byte, src netip.Addr, ifindex, hopLimit int) []byte {
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level, h.Type = unix.IPPROTO_IPV6, unix.IPV6_PKTINFO
	h.SetLen(unix.CmsgLen(unix.SizeofInet6Pktinfo))
	info := (*unix.Inet6Pktinfo)(unsafe.Pointer(&oob[unix.CmsgLen(0)]))
	*info = unix.Inet6Pktinfo{Addr: src.As16(), Ifindex: uint32(ifindex)}
	off := unix.CmsgSpace(unix.SizeofInet6Pktinfo)
	h = (*unix.Cmsghdr)(unsafe.Pointer(&oob[off]))
	h.Level, h.Type = unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT
	h.SetLen(unix.CmsgLen(4))
	*(*int32)(unsafe.Pointer(&oob[off+unix.CmsgLen(0)])) = int32(hopLimit)
	return oob[:off+unix.CmsgSpace(4)]
}

// Close closes the socket.
func (s *Sender) Close() error {
	if s.v4 != nil {
		return s.v4.Close()
	}
	return s.v6.Close()
}

// dropAll is a classic BPF socket filter ("ret #0") that accepts no packet, for send-only raw sockets.
var dropAll = []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: 0}}

// listenRaw opens a raw socket of IP protocol proto bound to ifname with IP(V6)_MULTICAST_ALL
// off; sendOnly attaches a drop-all filter so the socket never queues received packets.
func listenRaw(ifname string, family, proto int, sendOnly bool) (net.PacketConn, error) {
	network, address, level, multicastAll := fmt.Sprintf("ip4:%d", proto), "0.0.0.0", unix.IPPROTO_IP, unix.IP_MULTICAST_ALL
	if family == 6 {
		network, address, level, multicastAll = fmt.Sprintf("ip6:%d", proto), "::", unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_ALL
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if serr = unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, ifname); serr != nil {
				serr = fmt.Errorf("bind to device: %w", serr)
				return
			}
			if serr = unix.SetsockoptInt(int(fd), level, multicastAll, 0); serr != nil {
				serr = fmt.Errorf("disable multicast-all: %w", serr)
				return
			}
			if sendOnly {
				prog := unix.SockFprog{Len: uint16(len(dropAll)), Filter: &dropAll[0]}
				if serr = unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); serr != nil {
					serr = fmt.Errorf("attach drop-all filter: %w", serr)
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := lc.ListenPacket(context.Background(), network, address)
	if err != nil {
		return nil, fmt.Errorf("open raw %s socket (needs CAP_NET_RAW): %w", network, err)
	}
	return conn, nil
}
