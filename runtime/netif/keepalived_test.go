package netif

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"
)

// keepalivedConf: VI_4 (VRRPv2, VRID 51) starts as backup, so it reacts to our priority-0 advert;
// VI_6 (VRRPv3 over IPv6, VRID 52) is the address owner and advertises at once.
const keepalivedConf = `global_defs {
  router_id netif_test
}
vrrp_instance VI_4 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/32
  }
}
vrrp_instance VI_6 {
  state MASTER
  interface eth0
  virtual_router_id 52
  priority 255
  advert_int 1
  virtual_ipaddress {
    fe80::52/64
    2001:db8::100/128
  }
}
`

// startKeepalived runs keepalived 2.2.7 in the node's namespace and returns a func reading its log.
func startKeepalived(t *testing.T, n *testNode) func() string {
	t.Helper()
	testenv.RequireCommand(t, "keepalived", "keepalived")
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(keepalivedConf), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "keepalived.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", n.ns, "keepalived", "-n", "-l", "-D", "--vrrp",
		"-f", conf, "-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start keepalived: %v", err)
	}
	t.Cleanup(func() {
		defer cancel()
		// SIGTERM lets keepalived stop its VRRP child; the context kills it if it hangs.
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("stop keepalived: %v", err)
		}
		waited := make(chan struct{})
		go func() { cmd.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			cancel()
			<-waited
			t.Error("keepalived did not stop within 10s of SIGTERM")
		}
	})
	return func() string {
		b, err := os.ReadFile(logPath)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
}

// vrrpv2Advert builds a VRRPv2 advertisement (RFC 3768 §5.3) with one IPv4 address and its checksum.
func vrrpv2Advert(vrid, prio byte, vip netip.Addr) []byte {
	ip := vip.As4()
	msg := []byte{0x21, vrid, prio, 1, 0, 1, 0, 0, ip[0], ip[1], ip[2], ip[3], 0, 0, 0, 0, 0, 0, 0, 0}
	var sum uint32
	for i := 0; i < len(msg); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(msg[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(msg[6:8], ^uint16(sum))
	return msg
}

// Our sockets against keepalived 2.2.7: we receive its VRRPv2/IPv4 and VRRPv3/IPv6 adverts with the
// right addresses and TTL, and it accepts the advert we send.
func TestKeepalivedInterop(t *testing.T) {
	a, b := newPair(t)
	llB := b.linkLocal(t)
	var (
		r4, r6     *Receiver
		s4         *Sender
		e1, e2, e3 error
	)
	a.do(t, func() {
		r4, e1 = ListenVRRP("eth0", 4, []netip.Addr{groupV4})
		r6, e2 = ListenVRRP("eth0", 6, []netip.Addr{groupV6})
		s4, e3 = DialVRRP("eth0", 4)
	})
	for _, err := range []error{e1, e2, e3} {
		if err != nil {
			t.Fatal(err)
		}
	}
	defer r4.Close()
	defer r6.Close()
	defer s4.Close()

	kaLog := startKeepalived(t, b)

	// keepalived -> us, IPv6: the owner advertises VRID 52 at once.
	p := readWithin(t, r6, 10*time.Second)
	if p.Src != llB || p.Dst != groupV6 || p.TTL != 255 || len(p.Payload) < 4 || p.Payload[0] != 0x31 || p.Payload[1] != 52 || p.Payload[2] != 255 {
		t.Errorf("keepalived IPv6 advert: src %v dst %v TTL %d payload %x; want src %v dst %v TTL 255, v3 VRID 52 prio 255",
			p.Src, p.Dst, p.TTL, p.Payload, llB, groupV6)
	}

	// us -> keepalived, IPv4: a priority-0 advert makes the VI_4 backup take over after its skew time.
	waitFor(t, 10*time.Second, "keepalived VI_4 in BACKUP", func() bool { return strings.Contains(kaLog(), "(VI_4) Entering BACKUP STATE") })
	if err := s4.Send(vrrpv2Advert(51, 0, netip.MustParseAddr("192.0.2.100")), a.ipv4, groupV4, DefaultTTL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "keepalived to log our priority-0 advert", func() bool {
		return strings.Contains(kaLog(), "(VI_4) Backup received priority 0 advertisement")
	})

	// keepalived -> us, IPv4: once master, VI_4 advertises VRRPv2 VRID 51.
	want := vrrpv2Advert(51, 100, netip.MustParseAddr("192.0.2.100"))
	p = readWithin(t, r4, 10*time.Second)
	if p.Src != b.ipv4 || p.Dst != groupV4 || p.TTL != 255 || !bytes.Equal(p.Payload, want) {
		t.Errorf("keepalived IPv4 advert: src %v dst %v TTL %d payload %x; want src %v dst %v TTL 255 payload %x",
			p.Src, p.Dst, p.TTL, p.Payload, b.ipv4, groupV4, want)
	}
	if t.Failed() {
		t.Logf("keepalived log:\n%s", kaLog())
	}
}
