package lvssync

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/mdlayher/netlink/nlenc"
	"golang.org/x/sys/unix"
)

// attr is a netlink attribute as the kernel lays it out: u16 length
// (header included, padding not), u16 type, the payload, padded to 4 bytes.
func attr(typ uint16, payload ...byte) []byte {
	b := append(u16(uint16(4+len(payload))), u16(typ)...)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// nested is IPVS_CMD_ATTR_DAEMON (3) with NLA_F_NESTED (0x8000).
func nested(attrs ...[]byte) []byte { return attr(0x8000|3, bytes.Join(attrs, nil)...) }

// u32 and u16 are host-order integers.
func u32(v uint32) []byte { return nlenc.Uint32Bytes(v) }
func u16(v uint16) []byte { return nlenc.Uint16Bytes(v) }

func TestEncodeStart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state State
		cfg   Config
		want  []byte
	}{{
		name: "master, no options", state: Master, cfg: Config{Interface: "eth0", SyncID: 1},
		want: nested(
			attr(1, u32(1)...),             // IPVS_DAEMON_ATTR_STATE = IP_VS_STATE_MASTER
			attr(2, 'e', 't', 'h', '0', 0), // IPVS_DAEMON_ATTR_MCAST_IFN, NUL-terminated
			attr(3, u32(1)...),             // IPVS_DAEMON_ATTR_SYNC_ID
		),
	}, {
		name: "backup, sync id 0", state: Backup, cfg: Config{Interface: "bond0.100", SyncID: 0},
		want: nested(
			attr(1, u32(2)...), // IP_VS_STATE_BACKUP
			attr(2, append([]byte("bond0.100"), 0)...),
			attr(3, u32(0)...),
		),
	}, {
		name: "every option, IPv4 group", state: Master,
		cfg: Config{Interface: "eth1", SyncID: 255, MaxLen: 1472, Port: 8849, TTL: 3, Group: netip.MustParseAddr("239.1.2.3")},
		want: nested(
			attr(1, u32(1)...),
			attr(2, 'e', 't', 'h', '1', 0),
			attr(3, u32(255)...),
			attr(4, u16(1472)...), // IPVS_DAEMON_ATTR_SYNC_MAXLEN
			attr(7, u16(8849)...), // IPVS_DAEMON_ATTR_MCAST_PORT, host order
			attr(8, 3),            // IPVS_DAEMON_ATTR_MCAST_TTL
			attr(5, 239, 1, 2, 3), // IPVS_DAEMON_ATTR_MCAST_GROUP, network order
		),
	}, {
		name: "IPv6 group", state: Backup,
		cfg: Config{Interface: "eth0", SyncID: 7, Group: netip.MustParseAddr("ff05::81")},
		want: nested(
			attr(1, u32(2)...),
			attr(2, 'e', 't', 'h', '0', 0),
			attr(3, u32(7)...),
			attr(6, 0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81), // IPVS_DAEMON_ATTR_MCAST_GROUP6
		),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := encodeStart(tc.state, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("encodeStart(%v, %+v)\n got % x\nwant % x", tc.state, tc.cfg, got, tc.want)
			}
		})
	}
}

func TestEncodeStop(t *testing.T) {
	for _, tc := range []struct {
		state  State
		syncID uint8
		want   []byte
	}{
		{Master, 1, nested(attr(1, u32(1)...), attr(3, u32(1)...))},
		{Backup, 0, nested(attr(1, u32(2)...), attr(3, u32(0)...))},
		{Backup, 200, nested(attr(1, u32(2)...), attr(3, u32(200)...))},
	} {
		got, err := encodeStop(tc.state, tc.syncID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("encodeStop(%v, %d)\n got % x\nwant % x", tc.state, tc.syncID, got, tc.want)
		}
	}
}

// TestConstantsMatchUAPI reads linux/ip_vs.h and checks the numbers the
// encoder uses.
func TestConstantsMatchUAPI(t *testing.T) {
	const header = "/usr/include/linux/ip_vs.h"
	f, err := os.Open(header)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is absent: install linux-libc-dev to check the constants against the kernel's uapi", header)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Members of the enums, numbered from 0 in order (none of them sets a value).
	values := map[string]int{}
	next := -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "enum"):
			next = 0
		case strings.HasPrefix(line, "}"):
			next = -1
		case next >= 0 && strings.HasPrefix(line, "IPVS_"):
			name := strings.TrimRight(strings.Fields(line)[0], ",")
			values[name] = next
			next++
		case strings.HasPrefix(line, "#define"):
			if fs := strings.Fields(line); len(fs) >= 3 {
				var v int
				if _, err := fmt.Sscan(fs[2], &v); err == nil {
					values[fs[1]] = v
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ours int
	}{
		{"IPVS_GENL_VERSION", genlVersion},
		{"IPVS_CMD_NEW_DAEMON", cmdNewDaemon},
		{"IPVS_CMD_DEL_DAEMON", cmdDelDaemon},
		{"IPVS_CMD_ATTR_DAEMON", cmdAttrDaemon},
		{"IPVS_DAEMON_ATTR_STATE", daemonAttrState},
		{"IPVS_DAEMON_ATTR_MCAST_IFN", daemonAttrMcastIfn},
		{"IPVS_DAEMON_ATTR_SYNC_ID", daemonAttrSyncID},
		{"IPVS_DAEMON_ATTR_SYNC_MAXLEN", daemonAttrSyncMaxlen},
		{"IPVS_DAEMON_ATTR_MCAST_GROUP", daemonAttrMcastGroup},
		{"IPVS_DAEMON_ATTR_MCAST_GROUP6", daemonAttrMcastGroup6},
		{"IPVS_DAEMON_ATTR_MCAST_PORT", daemonAttrMcastPort},
		{"IPVS_DAEMON_ATTR_MCAST_TTL", daemonAttrMcastTTL},
		{"IP_VS_STATE_MASTER", int(Master)},
		{"IP_VS_STATE_BACKUP", int(Backup)},
		{"IP_VS_IFNAME_MAXLEN", IfnameMaxLen},
	} {
		v, ok := values[c.name]
		if !ok {
			t.Errorf("%s is not in %s", c.name, header)
			continue
		}
		if v != c.ours {
			t.Errorf("%s = %d in %s, the encoder uses %d", c.name, v, header, c.ours)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg     Config
		wantErr string
	}{
		{Config{Interface: "eth0"}, ""},
		{Config{Interface: "abcdefghijklmno"}, ""}, // 15 bytes
		{Config{}, "no interface"},
		{Config{Interface: "abcdefghijklmnop"}, "longer than 15 bytes"},
		{Config{Interface: "eth0", Group: netip.MustParseAddr("192.0.2.1")}, "not a multicast address"},
		{Config{Interface: "eth0", Group: netip.MustParseAddr("2001:db8::1")}, "not a multicast address"},
		{Config{Interface: "eth0", Group: netip.MustParseAddr("ff02::1")}, ""},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%+v: Validate() = %v, want %q", tc.cfg, err, tc.wantErr)
		}
	}
}

// TestNetlink runs the real implementation in a network namespace of its
// own: with IPVS, stopping a daemon that does not run is the kernel's
// "no such process"; without (the test kernel), Start and Stop return
// ErrUnavailable.
func TestNetlink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a network namespace and generic netlink IPVS commands need CAP_SYS_ADMIN and CAP_NET_ADMIN")
	}
	type result struct {
		hasIPVS           bool
		startErr, stopErr error
		err               error
	}
	done := make(chan result)
	go func() {
		// The thread moves to a new network namespace and is never
		// unlocked: it ends with the goroutine.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			done <- result{err: fmt.Errorf("unshare: %w", err)}
			return
		}
		var r result
		_, err := os.Stat("/proc/thread-self/net/ip_vs")
		r.hasIPVS = err == nil
		var n Netlink
		r.stopErr = n.Stop(Backup, 42)
		if !r.hasIPVS {
			r.startErr = n.Start(Backup, Config{Interface: "lo", SyncID: 42})
		}
		done <- r
	}()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.hasIPVS {
		if !errors.Is(r.stopErr, unix.ESRCH) {
			t.Fatalf("with IPVS: Stop of a daemon that does not run = %v, want ESRCH", r.stopErr)
		}
		return
	}
	for _, err := range []error{r.startErr, r.stopErr} {
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("without IPVS: got %v, want ErrUnavailable", err)
		}
	}
	t.Logf("no IPVS in this kernel: %v", r.startErr)
}
