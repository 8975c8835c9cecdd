package fault

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/havip/havip/test/lab"
)

// arpWindow is how long whoHas listens for replies to its one request.
const arpWindow = 300 * time.Millisecond

// whoHas sends one ARP request for ip from n's eth0 and returns the distinct MAC
// addresses that answered within arpWindow, sorted: the client's view of who
// holds ip, independent of every speaker's own account.
func whoHas(n *lab.Node, ip netip.Addr) ([]string, error) {
	var macs []string
	err := n.Do(func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ARP)))
		if err != nil {
			return fmt.Errorf("ARP socket: %w", err)
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: ifi.Index}); err != nil {
			return fmt.Errorf("binding the ARP socket to eth0: %w", err)
		}
		src := n.IPv4.As4()
		target := ip.As4()
		frame := make([]byte, 0, 42)
		frame = append(frame, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
		frame = append(frame, ifi.HardwareAddr...)
		frame = binary.BigEndian.AppendUint16(frame, unix.ETH_P_ARP)
		frame = append(frame, 0, 1, 8, 0, 6, 4, 0, 1) // Ethernet/IPv4, request
		frame = append(frame, ifi.HardwareAddr...)
		frame = append(frame, src[:]...)
		frame = append(frame, 0, 0, 0, 0, 0, 0)
		frame = append(frame, target[:]...)
		to := &unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6, Addr: [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
		if err := unix.Sendto(fd, frame, 0, to); err != nil {
			return fmt.Errorf("sending the ARP request: %w", err)
		}
		end := time.Now().Add(arpWindow)
		buf := make([]byte, 1500)
		for {
			left := time.Until(end)
			if left <= 0 {
				return nil
			}
			tv := unix.NsecToTimeval(left.Nanoseconds())
			if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
				return err
			}
			k, _, err := unix.Recvfrom(fd, buf, 0)
			if err == unix.EAGAIN || err == unix.EINTR {
				continue
			}
			if err != nil {
				return fmt.Errorf("reading ARP replies: %w", err)
			}
			mac, ok := arpReplyFrom(buf[:k], ip)
			if ok && !slices.Contains(macs, mac) {
				macs = append(macs, mac)
			}
		}
	})
	slices.Sort(macs)
	return macs, err
}

// arpReplyFrom returns the sender MAC of frame if it is an Ethernet ARP reply
// whose sender IP is ip.
func arpReplyFrom(frame []byte, ip netip.Addr) (string, bool) {
	// Ethernet header (14), then ARP: hardware and protocol types and sizes, the
	// operation at 20, sender MAC at 22..28, sender IP at 28..32.
	if len(frame) < 42 || binary.BigEndian.Uint16(frame[12:14]) != unix.ETH_P_ARP ||
		binary.BigEndian.Uint16(frame[14:16]) != 1 || binary.BigEndian.Uint16(frame[16:18]) != unix.ETH_P_IP ||
		frame[18] != 6 || frame[19] != 4 || binary.BigEndian.Uint16(frame[20:22]) != 2 {
		return "", false
	}
	if !ip.Is4() || netip.AddrFrom4([4]byte(frame[28:32])) != ip {
		return "", false
	}
	return net.HardwareAddr(frame[22:28]).String(), true
}

// htons converts a 16-bit value to network byte order, as AF_PACKET wants.
func htons(v uint16) uint16 { return v<<8 | v>>8 }
