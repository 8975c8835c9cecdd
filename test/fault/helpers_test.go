package fault

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/test/lab"
)

func TestParseKnobs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    knobs
		wantErr string
	}{
		{"defaults", nil, knobs{seed: 1, steps: defaultSteps, speakers: []string{havipKind, keepalivedKind}}, ""},
		{"all set", map[string]string{seedEnv: "42", stepsEnv: "200", speakerEnv: "keepalived"},
			knobs{seed: 42, steps: 200, speakers: []string{keepalivedKind}}, ""},
		{"bad seed", map[string]string{seedEnv: "-3"}, knobs{}, seedEnv},
		{"zero steps", map[string]string{stepsEnv: "0"}, knobs{}, stepsEnv},
		{"steps not a number", map[string]string{stepsEnv: "many"}, knobs{}, stepsEnv},
		{"unknown speaker", map[string]string{speakerEnv: "vrrpd"}, knobs{}, speakerEnv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseKnobs(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || got.seed != tc.want.seed || got.steps != tc.want.steps || !slices.Equal(got.speakers, tc.want.speakers) {
				t.Fatalf("parseKnobs = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestChecksum(t *testing.T) {
	// RFC 1071's example: the one's complement sum of these words is 0xddf2.
	if got := checksum([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}); got != ^uint16(0xddf2) {
		t.Errorf("checksum = %#04x, want %#04x", got, ^uint16(0xddf2))
	}
	// An odd length pads with a zero byte.
	if got, want := checksum([]byte{0x12, 0x34, 0x56}), checksum([]byte{0x12, 0x34, 0x56, 0x00}); got != want {
		t.Errorf("odd-length checksum = %#04x, want %#04x", got, want)
	}
}

func TestAdvertFrame(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x04}
	good := advert{ttl: 255, version: 2, typ: 1, priority: 200, addrs: []netip.Addr{vip.Addr()}, pass: authPass}
	for _, tc := range []struct {
		name       string
		a          advert
		vrrpLen    int
		sumOK      bool
		countField byte
	}{
		{"valid", good, 20, true, 1},
		{"bad checksum", func() advert { a := good; a.badSum = true; return a }(), 20, false, 1},
		{"truncated", func() advert { a := good; a.truncate = 10; return a }(), 10, false, 1},
		{"count lies", func() advert { a := good; a.countLies = 4; return a }(), 20, true, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.a.frame(mac, foreignIP)
			if !bytes.Equal(f[6:12], mac) || binary.BigEndian.Uint16(f[12:14]) != 0x0800 {
				t.Fatalf("Ethernet header % x", f[:14])
			}
			ip := f[14:34]
			if checksum(ip) != 0 {
				t.Errorf("IPv4 header checksum does not verify")
			}
			if ip[8] != tc.a.ttl || ip[9] != 112 || netip.AddrFrom4([4]byte(ip[12:16])) != foreignIP ||
				netip.AddrFrom4([4]byte(ip[16:20])) != netip.MustParseAddr("224.0.0.18") {
				t.Errorf("IPv4 header % x", ip)
			}
			msg := f[34:]
			if len(msg) != tc.vrrpLen || int(binary.BigEndian.Uint16(ip[2:4])) != 20+tc.vrrpLen {
				t.Fatalf("VRRP message of %d bytes, IP total length %d; want %d", len(msg), binary.BigEndian.Uint16(ip[2:4]), tc.vrrpLen)
			}
			if msg[0] != 0x21 || msg[1] != vrid || msg[2] != 200 || msg[3] != tc.countField {
				t.Errorf("VRRP header % x", msg[:4])
			}
			if got := checksum(msg) == 0; got != tc.sumOK {
				t.Errorf("VRRP checksum verifies: %v, want %v", got, tc.sumOK)
			}
		})
	}
}

// arpReply builds an Ethernet ARP reply from mac/ip.
func arpReply(mac net.HardwareAddr, ip netip.Addr) []byte {
	f := append([]byte{0x02, 0, 0, 0, 0, 0xfa}, mac...)
	f = append(f, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2)
	f = append(f, mac...)
	a := ip.As4()
	f = append(f, a[:]...)
	return append(f, 0x02, 0, 0, 0, 0, 0xfa, 192, 0, 2, 250)
}

func TestARPReplyFrom(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}
	reply := arpReply(mac, vip.Addr())
	request := slices.Clone(reply)
	request[21] = 1
	for _, tc := range []struct {
		name  string
		frame []byte
		want  string
	}{
		{"reply for the VIP", reply, mac.String()},
		{"reply for another address", arpReply(mac, foreignIP), ""},
		{"request", request, ""},
		{"short", reply[:41], ""},
		{"empty", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := arpReplyFrom(tc.frame, vip.Addr())
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("arpReplyFrom = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}

func FuzzARPReplyFrom(f *testing.F) {
	f.Add(arpReply(net.HardwareAddr{2, 1, 2, 3, 4, 5}, vip.Addr()))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		mac, ok := arpReplyFrom(frame, vip.Addr())
		if ok != (mac != "") {
			t.Fatalf("ok %v with MAC %q", ok, mac)
		}
		if ok {
			if _, err := net.ParseMAC(mac); err != nil || len(frame) < 42 {
				t.Fatalf("accepted a %d-byte frame, MAC %q (%v)", len(frame), mac, err)
			}
		}
	})
}

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       footprint
		wantErr    bool
	}{
		{"kernel layout", "Name:\thavip\nVmRSS:\t   12092 kB\nThreads:\t7\n", footprint{threads: 7, rssKiB: 12092}, false},
		{"no RSS (a zombie)", "Name:\thavip\nThreads:\t1\n", footprint{}, true},
		{"garbage value", "VmRSS:\tlots kB\nThreads:\t7\n", footprint{}, true},
		{"empty value", "VmRSS:\nThreads:\t7\n", footprint{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatus(tc.text)
			if (err != nil) != tc.wantErr || !tc.wantErr && got != tc.want {
				t.Errorf("parseStatus = %+v, %v; want %+v, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add("VmRSS:\t   12092 kB\nThreads:\t7\n")
	f.Add("Threads:\n")
	f.Fuzz(func(t *testing.T, text string) {
		got, err := parseStatus(text)
		if err == nil && (got.threads < 0 || got.rssKiB < 0) {
			t.Fatalf("negative figures %+v from %q", got, text)
		}
	})
}

func TestLogFollowerCountsAcrossReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l := &logFollower{path: path, marker: "Reload complete"}
	if got := l.update(); got != 0 {
		t.Fatalf("a missing file counts %d, want 0", got)
	}
	appendTo := func(s string) {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		write string
		want  int
	}{
		{"Reloading ...\nReload complete\n", 1},
		{"Reload comp", 1},             // a marker split across two reads
		{"lete\nReload complete\n", 3}, // counted once it is whole
		{"nothing here\n", 3},
	} {
		appendTo(step.write)
		if got := l.update(); got != step.want {
			t.Fatalf("after writing %q: %d markers, want %d", step.write, got, step.want)
		}
	}
}

func TestAdvertGapsAndFigures(t *testing.T) {
	base := time.Unix(1000, 0)
	at := func(s float64) float64 { return float64(base.Unix()) + s }
	pkts := []lab.VRRPPacket{
		{Time: at(0), VRID: vrid, Priority: 150},
		{Time: at(1.0), VRID: vrid, Priority: 150},
		{Time: at(1.05), VRID: vrid, Priority: 150}, // an early one
		{Time: at(2.0), VRID: vrid, Priority: 150},
		{Time: at(3.2), VRID: vrid, Priority: 150},
		{Time: at(1.5), VRID: vrid + 1, Priority: 150}, // another VRID
		{Time: at(2.5), VRID: vrid, Priority: 0},       // a release, not an advert at 150
		{Time: at(9), VRID: vrid, Priority: 150},       // after the window
	}
	gaps := advertGaps(pkts, 150, base, base.Add(5*time.Second))
	want := []time.Duration{time.Second, 50 * time.Millisecond, 950 * time.Millisecond, 1200 * time.Millisecond}
	if len(gaps) != len(want) {
		t.Fatalf("gaps %v, want %v", gaps, want)
	}
	for i := range gaps {
		if d := gaps[i] - want[i]; d > time.Millisecond || d < -time.Millisecond {
			t.Fatalf("gaps %v, want %v", gaps, want)
		}
	}
	jitter, short := gapFigures(gaps, time.Second)
	if short != 1 || jitter < 199*time.Millisecond || jitter > 201*time.Millisecond {
		t.Errorf("gapFigures = %v, %d short; want 200ms, 1", jitter, short)
	}
	if n := len(advertGaps(pkts, anyPriority, base, base.Add(5*time.Second))); n != 4 {
		t.Errorf("any priority: %d gaps, want 4 (the priority-0 release is not an advert)", n)
	}
}
