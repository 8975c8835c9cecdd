package lab

import (
	"os"
	"reflect"
	"testing"
)

// The testdata dumps are keepalived 2.2.7's, for testdata/keepalived.conf
// (a sync group of two MASTERs, a unicast instance in FAULT), made with
// SIGUSR1 and SIGUSR2 in a network namespace.

func TestParseDataOfKeepalived(t *testing.T) {
	b, err := os.ReadFile("testdata/keepalived.data")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseData(string(b))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		state, vrid, prio, iface string
		vips                     []string
	}{
		"VI_1": {"MASTER", "51", "100", "veth0", []string{"192.0.2.100/24 dev veth0 scope global set", "192.0.2.101/24 dev veth0 scope global set"}},
		"VI_2": {"MASTER", "52", "50", "veth0", []string{"192.0.2.102/24 dev veth0 scope global set"}},
		"VI_3": {"FAULT", "53", "90", "veth0", []string{"192.0.2.103/24 dev veth0 scope global"}},
	}
	if len(got) != len(want) {
		t.Fatalf("instances %v, want %d", got, len(want))
	}
	for name, w := range want {
		g := got[name]
		if g == nil {
			t.Fatalf("no instance %s", name)
		}
		f := g.Fields
		if f["State"] != w.state || f["Virtual Router ID"] != w.vrid || f["Priority"] != w.prio || f["Interface"] != w.iface || !reflect.DeepEqual(g.VIPs, w.vips) {
			t.Errorf("%s = %v %v, want %+v", name, f, g.VIPs, w)
		}
	}
	if got["VI_3"].Fields["Authentication type"] != "SIMPLE_PASSWORD" || got["VI_1"].Fields["Sync group"] != "G1" {
		t.Errorf("VI_3 auth %q, VI_1 sync group %q", got["VI_3"].Fields["Authentication type"], got["VI_1"].Fields["Sync group"])
	}
}

func TestParseStatsOfKeepalived(t *testing.T) {
	b, err := os.ReadFile("testdata/keepalived.stats")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseStats(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("instances %v, want 3", got)
	}
	vi1 := got["VI_1"]
	if len(vi1) != 14 || vi1["Advertisements/Sent"] != 3 || vi1["Became master"] != 1 || vi1["Packet Errors/Address List"] != 0 {
		t.Errorf("VI_1 counters = %v", vi1)
	}
	if _, ok := vi1["Authentication Errors/Type Mismatch"]; !ok {
		t.Errorf("VI_1 has no Authentication Errors/Type Mismatch: %v", vi1)
	}
}

func TestParseDumpErrors(t *testing.T) {
	for _, text := range []string{
		"------< VRRP Topology >------\n   State = MASTER\n",
		"------< VRRP Topology >------\n VRRP Instance = A\n VRRP Instance = A\n",
		"------< VRRP Topology >------\n VRRP Instance = A\nState = MASTER\n",
	} {
		if _, err := ParseData(text); err == nil {
			t.Errorf("ParseData(%q) accepted it", text)
		}
	}
	for _, text := range []string{
		"  Became master: 1\n",
		"VRRP Instance: A\n  Became master: x\n",
		"VRRP Instance: A\n    Sent: 1\n",
		"VRRP Instance: A\nVRRP Instance: A\n",
	} {
		if _, err := ParseStats(text); err == nil {
			t.Errorf("ParseStats(%q) accepted it", text)
		}
	}
}

func FuzzParseData(f *testing.F) {
	if b, err := os.ReadFile("testdata/keepalived.data"); err == nil {
		f.Add(string(b))
	}
	f.Add("------< VRRP Topology >------\n VRRP Instance = A\n   Virtual IP (1):\n     192.0.2.1/24\n")
	f.Fuzz(func(t *testing.T, text string) {
		insts, err := ParseData(text)
		if err != nil {
			return
		}
		for name, inst := range insts {
			if name == "" || inst.Name != name {
				t.Fatalf("instance %q named %q", name, inst.Name)
			}
		}
	})
}

func FuzzParseStats(f *testing.F) {
	if b, err := os.ReadFile("testdata/keepalived.stats"); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		stats, err := ParseStats(text)
		if err != nil {
			return
		}
		for name := range stats {
			if name == "" {
				t.Fatal("an instance without a name")
			}
		}
	})
}
