package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/engine"
)

func TestPrintStatus(t *testing.T) {
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	printStatus(&b, engine.Snapshot{
		Instances: []engine.InstanceStatus{
			{Name: "VI_1", State: "MASTER", Priority: 120, BasePriority: 110, Master: "192.0.2.1",
				VIPs: []string{"192.0.2.100/24", "192.0.2.101/32"}, Since: now.Add(-90 * time.Second), Reason: "master down timer expired"},
			{Name: "VI_2", State: "FAULT", Priority: 100, BasePriority: 100, Faults: []string{"interface eth1 down", "tracker: script \"chk\" down"}},
		},
		VirtualServers: []engine.VirtualServerStatus{
			{Name: "192.0.2.100:80 TCP", Quorum: true, RealServers: []engine.RealServerStatus{
				{Address: "198.51.100.1:8080", Alive: true, Weight: 2},
				{Address: "198.51.100.2:8080", Alive: false, Weight: -1},
				{Address: "198.51.100.3:8080", Alive: false, Weight: 0},
			}},
			{Name: "192.0.2.101:53 UDP", SorryServer: true},
		},
	}, now)
	want := []string{
		"INSTANCE  STATE   PRIORITY        MASTER     VIPS                           SINCE      WHY",
		"VI_1      MASTER  120 (base 110)  192.0.2.1  192.0.2.100/24,192.0.2.101/32  1m30s ago  master down timer expired",
		`VI_2      FAULT   100             -          -                              -          interface eth1 down; tracker: script "chk" down`,
		"",
		"VIRTUAL SERVER      QUORUM              REAL SERVER        HEALTH  WEIGHT",
		"192.0.2.100:80 TCP  up                  198.51.100.1:8080  up      2",
		"192.0.2.100:80 TCP  up                  198.51.100.2:8080  down    out of the pool",
		"192.0.2.100:80 TCP  up                  198.51.100.3:8080  down    0",
		"192.0.2.101:53 UDP  lost: sorry server  -                  -       -",
	}
	if got := strings.Split(strings.TrimRight(b.String(), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("table:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestStatusWithoutAServer(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := execute([]string{"status", "--socket", t.TempDir() + "/none.sock"}, nil, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "is it running, and is this its --status-socket?") {
		t.Fatalf("havip status without a server = %d, %q", code, stderr.String())
	}
}

func TestPrintRemovals(t *testing.T) {
	tests := []struct {
		name string
		snap engine.Snapshot
		want string
	}{
		{"nothing removed", engine.Snapshot{Instances: []engine.InstanceStatus{{Name: "VI_1"}}}, ""},
		{"instance and static removals", engine.Snapshot{
			Instances: []engine.InstanceStatus{
				{Name: "VI_1", Stats: engine.InstanceStats{VIPRemovals: 2, RoutingRemovals: 1}},
				{Name: "VI_2"},
			},
			StaticRestored: map[string]uint64{"rule": 1, "address": 3},
		}, "VI_1: removals behind havip's back: 2 VIPs, 1 virtual routes or rules; each time the master resigned and the election restored them\n" +
			"static address: restored 3 times after a removal behind havip's back\n" +
			"static rule: restored 1 times after a removal behind havip's back\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			printRemovals(&b, tt.snap)
			if b.String() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestPrintStatusTraffic(t *testing.T) {
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	printStatus(&b, engine.Snapshot{
		VirtualServers: []engine.VirtualServerStatus{
			{Name: "[192.0.2.100]:tcp:80", Quorum: true, RealServers: []engine.RealServerStatus{
				{Address: "198.51.100.1:8080", Alive: true, Weight: 1, Traffic: &engine.LVSTraffic{Connections: 1234, InPackets: 56789, OutPackets: 48000, InBytes: 4_500_000, OutBytes: 1_230_000_000}},
				{Address: "198.51.100.2:8080", Alive: false, Weight: -1},
				{Address: "198.51.100.3:8080", Alive: true, Weight: 1, Traffic: &engine.LVSTraffic{Connections: 3, InPackets: 18, InBytes: 999}},
			}},
			{Name: "fwmark 5", SorryServer: true},
		},
	}, now)
	want := []string{
		"INSTANCE  STATE  PRIORITY  MASTER  VIPS  SINCE  WHY",
		"",
		"VIRTUAL SERVER        QUORUM              REAL SERVER        HEALTH  WEIGHT           CONNS  PKTS IN/OUT  BYTES IN/OUT",
		"[192.0.2.100]:tcp:80  up                  198.51.100.1:8080  up      1                1.2K   57K/48K      4.5M/1.2G",
		"[192.0.2.100]:tcp:80  up                  198.51.100.2:8080  down    out of the pool  -      -            -",
		"[192.0.2.100]:tcp:80  up                  198.51.100.3:8080  up      1                3      18/0         999/0",
		"fwmark 5              lost: sorry server  -                  -       -                -      -            -",
	}
	got := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("table:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, line := range got {
		if len(line) > 120 {
			t.Errorf("%d columns, more than 120: %q", len(line), line)
		}
	}
}

func TestHuman(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{
		{0, "0"},
		{999, "999"},
		{1000, "1.0K"},
		{1234, "1.2K"},
		{9949, "9.9K"},
		{9950, "10K"},
		{45_000, "45K"},
		{999_499, "999K"},
		{999_500, "1.0M"},
		{3_400_000, "3.4M"},
		{120_000_000_000, "120G"},
		{18_446_744_073_709_551_615, "18E"},
	} {
		if got := human(tc.n); got != tc.want {
			t.Errorf("human(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
