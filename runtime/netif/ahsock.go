package netif

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// DatagramSender sends whole IPv4 datagrams, IP header included (IP_HDRINCL), out of one
// interface: the VRRP adverts of keepalived's auth_type AH, whose ICV covers the IP header,
// so the sender builds it. The kernel fills in the header checksum only.
type DatagramSender struct {
	ifname string
	conn   *ipv4.PacketConn

	mu    sync.Mutex // serialises Sends: the buffers below
	raw   syscall.RawConn
	write func(fd uintptr) bool
	msg   []byte
	to    unix.SockaddrInet4
	werr  error
}

// DialAH opens the raw protocol-51 socket, with IP_HDRINCL, used to send AH adverts out of
// ifname, with multicast loopback off (a sender must not hear its own sequence numbers). The
// socket never queues received packets; use ListenAH to receive.
func DialAH(ifname string) (*DatagramSender, error) {
	ifi, err := interfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("dial AH: %w", err)
	}
	c, err := listenRaw(ifname, 4, protoAH, true)
	if err != nil {
		return nil, fmt.Errorf("dial AH on %s: %w", ifname, err)
	}
	s := &DatagramSender{ifname: ifname, conn: ipv4.NewPacketConn(c)}
	s.write = s.sendmsg
	fail := func(what string, err error) (*DatagramSender, error) {
		c.Close()
		return nil, fmt.Errorf("dial AH on %s: %s: %w", ifname, what, err)
	}
	if s.raw, err = c.(syscall.Conn).SyscallConn(); err != nil {
		return fail("raw socket", err)
	}
	var serr error
	if err := s.raw.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_HDRINCL, 1) }); err != nil || serr != nil {
		return fail("set IP_HDRINCL", errors.Join(err, serr))
	}
	if err := s.conn.SetMulticastInterface(ifi); err != nil {
		return fail("set multicast interface", err)
	}
	if err := s.conn.SetMulticastLoopback(false); err != nil {
		return fail("set multicast loopback off", err)
	}
	return s, nil
}

// SendDatagram sends d, a complete IPv4 datagram, to its destination address.
func (s *DatagramSender) SendDatagram(d []byte) error {
	if len(d) < ipv4.HeaderLen || d[0]>>4 != 4 {
		return fmt.Errorf("send AH on %s: %d bytes are not an IPv4 datagram", s.ifname, len(d))
	}
	src, dst := netip.AddrFrom4([4]byte(d[12:16])), netip.AddrFrom4([4]byte(d[16:20]))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.to.Addr = dst.As4()
	s.msg, s.werr = d, nil
	if err := s.raw.Write(s.write); err != nil {
		return fmt.Errorf("send AH %v -> %v on %s: %w", src, dst, s.ifname, err)
	}
	if s.werr != nil {
		return fmt.Errorf("send AH %v -> %v on %s: %w", src, dst, s.ifname, s.werr)
	}
	return nil
}

// sendmsg is the RawConn.Write callback: false asks the poller to wait until the socket can
// take the datagram.
func (s *DatagramSender) sendmsg(fd uintptr) bool {
	s.werr = unix.Sendmsg(int(fd), s.msg, nil, &s.to, 0)
	return s.werr != unix.EAGAIN
}

// Close closes the socket.
func (s *DatagramSender) Close() error { return s.conn.Close() }
