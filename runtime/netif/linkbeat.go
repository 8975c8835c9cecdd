package netif

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// LinkBeatMethod is how LinkBeat reads an interface's link: keepalived's
// linkbeat_interfaces types.
type LinkBeatMethod int

const (
	// LinkBeatDefault prefers MII, then ETHTOOL, then IOCTL.
	LinkBeatDefault LinkBeatMethod = iota
	// LinkBeatMII reads the link bit of the PHY's basic mode status register.
	LinkBeatMII
	// LinkBeatEthtool asks the driver (ETHTOOL_GLINK).
	LinkBeatEthtool
	// LinkBeatIoctl reads the interface flags only.
	LinkBeatIoctl
)

// String is the method's keepalived name ("" for LinkBeatDefault).
func (m LinkBeatMethod) String() string {
	switch m {
	case LinkBeatMII:
		return "MII"
	case LinkBeatEthtool:
		return "ETHTOOL"
	case LinkBeatIoctl:
		return "IOCTL"
	}
	return ""
}

// linkBeatProbes are the methods tried before IOCTL for a preference, in
// keepalived's order (init_linkbeat_status): MII before ETHTOOL unless
// ETHTOOL is preferred; IOCTL preferred is used alone. IOCTL, which every
// interface supports, comes last.
func linkBeatProbes(prefer LinkBeatMethod) []LinkBeatMethod {
	switch prefer {
	case LinkBeatEthtool:
		return []LinkBeatMethod{LinkBeatEthtool, LinkBeatMII}
	case LinkBeatIoctl:
		return nil
	}
	return []LinkBeatMethod{LinkBeatMII, LinkBeatEthtool}
}

// LinkBeat polls ifname's link as keepalived's linkbeat does: with the
// preferred method when the interface supports it, else the first
// supported one in keepalived's order (linkBeatProbes); used is the one read. The link
// is up when the method says so and the interface is IFF_UP and
// IFF_RUNNING. A missing interface is an error wrapping ErrNoInterface.
func LinkBeat(ifname string, prefer LinkBeatMethod) (up bool, used LinkBeatMethod, err error) {
	ev, used, err := PollLink(ifname, prefer)
	return ev.Up, used, err
}

// PollLink is LinkBeat reporting the interface's index as well, as the
// LinkEvent a link watcher would send.
func PollLink(ifname string, prefer LinkBeatMethod) (LinkEvent, LinkBeatMethod, error) {
	ev := LinkEvent{Name: ifname}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return ev, 0, fmt.Errorf("link beat of %q: socket: %w", ifname, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(ifname)
	if err != nil {
		return ev, 0, fmt.Errorf("link beat of %q: %w", ifname, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return ev, 0, ifreqError(ifname, "SIOCGIFINDEX", err)
	}
	ev.Index = int(ifr.Uint32())
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return LinkEvent{Name: ifname}, 0, ifreqError(ifname, "SIOCGIFFLAGS", err)
	}
	const upRunning = unix.IFF_UP | unix.IFF_RUNNING
	running := ifr.Uint16()&upRunning == upRunning
	probe := map[LinkBeatMethod]func(fd int, ifname string) (up, ok bool){LinkBeatMII: miiLink, LinkBeatEthtool: ethtoolLink}
	for _, m := range linkBeatProbes(prefer) {
		if up, ok := probe[m](fd, ifname); ok {
			ev.Up = up && running
			return ev, m, nil
		}
	}
	ev.Up = running
	return ev, LinkBeatIoctl, nil
}

// ifreqError wraps the error of an interface ioctl, ErrNoInterface for a
// missing interface.
func ifreqError(ifname, req string, err error) error {
	if errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("link beat: interface %q: %w", ifname, ErrNoInterface)
	}
	return fmt.Errorf("link beat of %q: %s: %w", ifname, req, err)
}

// MII registers (linux/mii.h).
const (
	miiBMCR      = 0x00   // basic mode control register
	miiBMSR      = 0x01   // basic mode status register
	bmsrLinkUp   = 0x0004 // BMSR_LSTATUS
	miiNoPHYRead = 0xffff
)

// ifreqMII is struct ifreq with the struct mii_ioctl_data that
// SIOCGMIIPHY and SIOCGMIIREG read and write inside its union.
type ifreqMII struct {
	name                         [unix.IFNAMSIZ]byte
	phyID, regNum, valIn, valOut uint16
	_                            [16]byte // the rest of the 24-byte union
}

// ifreqData is struct ifreq with the ifr_data pointer SIOCETHTOOL takes.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [16]byte
}

// ethtoolValue is struct ethtool_value.
type ethtoolValue struct{ cmd, data uint32 }

// ioctl runs one socket ioctl whose argument is the struct at arg.
func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

// miiLink reads the link bit of ifname's PHY, as keepalived's if_mii_probe;
// ok is false when the driver has no MII registers or no transceiver
// answers.
func miiLink(fd int, ifname string) (up, ok bool) {
	var r ifreqMII
	copy(r.name[:unix.IFNAMSIZ-1], ifname)
	if ioctl(fd, unix.SIOCGMIIPHY, unsafe.Pointer(&r)) != nil {
		return false, false
	}
	phy := r.phyID
	read := func(reg uint16) (uint16, bool) {
		r.phyID, r.regNum = phy, reg
		if ioctl(fd, unix.SIOCGMIIREG, unsafe.Pointer(&r)) != nil {
			return 0, false
		}
		return r.valOut, true
	}
	bmcr, ok1 := read(miiBMCR)
	bmsr, ok2 := read(miiBMSR)
	if !ok1 || !ok2 || bmcr == miiNoPHYRead || bmsr == 0 {
		return false, false
	}
	// The link bit latches low: the second read is the current state, and
	// either read up means the link is up, as keepalived has it.
	now, ok3 := read(miiBMSR)
	if !ok3 {
		return false, false
	}
	return (bmsr|now)&bmsrLinkUp != 0, true
}

// ethtoolLink asks ifname's driver for its link (ETHTOOL_GLINK); ok is
// false when the driver does not say.
func ethtoolLink(fd int, ifname string) (up, ok bool) {
	v := &ethtoolValue{cmd: unix.ETHTOOL_GLINK}
	r := ifreqData{data: unsafe.Pointer(v)}
	copy(r.name[:unix.IFNAMSIZ-1], ifname)
	if ioctl(fd, unix.SIOCETHTOOL, unsafe.Pointer(&r)) != nil {
		return false, false
	}
	return v.data != 0, true
}
