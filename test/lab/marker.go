package lab

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// markerEtherType is the IEEE 802 "local experimental" EtherType carried by the
// frame that marks the end of a capture.
const markerEtherType = 0x88b5

// markerText fills the end-of-capture frame after its 4-byte id.
const markerText = "havip test/lab end-of-capture marker, ignore.."

// captureMarker is a frame that one capture sends to itself to learn that every
// frame seen before Stop has reached the pcap file. dumpcap reads the kernel ring in
// blocks that are handed over when full or after a timeout, and loses the current
// block when interrupted; waiting for the marker in the file avoids that loss.
type captureMarker struct {
	id      uint32
	payload []byte // 4-byte id followed by markerText: 50 bytes, a valid minimum frame
}

func newCaptureMarker() (captureMarker, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return captureMarker{}, fmt.Errorf("choosing a capture marker id: %w", err)
	}
	id := binary.BigEndian.Uint32(b[:])
	return captureMarker{id: id, payload: append(b[:], markerText...)}, nil
}

// filter returns the capture filter that lets userFilter's frames and this marker
// through; an empty userFilter captures everything, marker included.
func (m captureMarker) filter(userFilter string) string {
	if userFilter == "" {
		return ""
	}
	return fmt.Sprintf("(%s) or (ether proto 0x%04x and ether[14:4] = 0x%08x)", userFilter, markerEtherType, m.id)
}

// inFile reports whether the pcap file at path holds the marker frame.
func (m captureMarker) inFile(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && bytes.Contains(b, m.payload)
}

// send transmits the marker out of iface in namespace ns, addressed to iface's own
// MAC so that a bridge drops it instead of flooding it to other nodes.
func (m captureMarker) send(ns, iface string) error {
	return inNamespace(ns, func() error { return m.sendFromThisThread(ns, iface) })
}

func (m captureMarker) sendFromThisThread(ns, iface string) error {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return fmt.Errorf("namespace %s: %w", ns, err)
	}
	if len(ifi.HardwareAddr) != 6 {
		return fmt.Errorf("namespace %s: %s has no Ethernet address (%q)", ns, iface, ifi.HardwareAddr)
	}
	// Protocol 0: a send-only packet socket that receives nothing.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("namespace %s: packet socket: %w", ns, err)
	}
	defer unix.Close(fd)
	frame := make([]byte, 0, 14+len(m.payload))
	frame = append(frame, ifi.HardwareAddr...)
	frame = append(frame, ifi.HardwareAddr...)
	frame = binary.BigEndian.AppendUint16(frame, markerEtherType)
	frame = append(frame, m.payload...)
	to := &unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6}
	copy(to.Addr[:], ifi.HardwareAddr)
	if err := unix.Sendto(fd, frame, 0, to); err != nil {
		return fmt.Errorf("namespace %s: sending the end-of-capture marker on %s: %w", ns, iface, err)
	}
	return nil
}
