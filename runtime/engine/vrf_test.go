package engine

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

// vrfConf is VI_1 on eth0 with a vrf given before its interface: keepalived 2.2.7 looks the
// device up, then clears the vrf (it can only be used without interface).
func vrfConf(vrf string) string {
	return strings.Replace(vi("VI_1", 51, 100, "192.0.2.100"), "  interface eth0\n", "  vrf "+vrf+"\n  interface eth0\n", 1)
}

func TestEngineVRF(t *testing.T) {
	for _, tc := range []struct {
		name, kind string // kind "" = the device is missing
		wantErr    string
	}{
		{"a VRF device: cleared, the instance runs", "vrf", ""},
		{"a loopback: ignored", "loopback", ""},
		{"missing: refused, as keepalived refuses to start", "", "vrf red: the VRF interface does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := newFakeHost()
			host.linkKinds = map[string]string{}
			if tc.kind != "" {
				host.linkKinds["red"] = tc.kind
			}
			cfg := parseConfig(t, vrfConf("red"))
			e, err := NewWithOptions(cfg, Options{Log: slog.New(slog.DiscardHandler), Host: host, Clock: newFakeClock()})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := &rig{t: t, e: e, host: host, clock: e.clock.(*fakeClock)}
			r.start()
			r.advance(4 * time.Second)
			// The vrf is cleared: the instance's sockets are on eth0, the VIP too.
			if got := r.states(); got != "VI_1=MASTER" || r.host.installed() != vipsOn("192.0.2.100") || r.e.ports[portKey{"eth0", 4}] == nil {
				t.Fatalf("%s, VIPs %q, ports %v", got, r.host.installed(), r.e.ports)
			}
		})
	}
}
