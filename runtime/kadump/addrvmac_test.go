package kadump

import (
	"bytes"
	"strings"
	"testing"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/engine"
)

// TestDataAddressVMACLines: the address lines keepalived 2.2.7 writes to keepalived.data (and
// keepalived.json) for addresses on a VMAC, as seen from keepalived itself in a namespace:
// "dev VMAC@INTERFACE", " use_vmac" after it for an address configured with it, and "Use VMAC for
// VIPs on other interfaces" for use_vmac_addr.
func TestDataAddressVMACLines(t *testing.T) {
	tests := []struct {
		name  string
		conf  string
		state string
		devs  []string // the engine's devices, VIPs then eVIPs
		want  []string // lines of keepalived.data
	}{
		{"use_vmac on an address", "virtual_ipaddress {\n192.0.2.100/24\n198.51.100.100/24 dev eth1 use_vmac\n}", "MASTER",
			[]string{"eth0", "vrrp.51"},
			[]string{"     192.0.2.100/24 dev eth0 scope global set", "     198.51.100.100/24 dev vrrp.51@eth1 use_vmac scope global set"}},
		{"as backup", "virtual_ipaddress {\n192.0.2.100/24\n198.51.100.100/24 dev eth1 use_vmac\n}", "BACKUP",
			[]string{"eth0", "vrrp.51"},
			[]string{"     192.0.2.100/24 dev eth0 scope global\n", "     198.51.100.100/24 dev vrrp.51@eth1 use_vmac scope global\n"}},
		{"use_vmac_addr with use_vmac", "use_vmac\nuse_vmac_addr\nvirtual_ipaddress {\n192.0.2.100/24\n198.51.100.100/24 dev eth1\n}", "MASTER",
			[]string{"vrrp.51", "vrrp1.51"},
			[]string{"   Use VMAC for VIPs on other interfaces", "     192.0.2.100/24 dev vrrp.51@eth0 scope global set", "     198.51.100.100/24 dev vrrp1.51@eth1 scope global set"}},
		{"an eVIP", "virtual_ipaddress {\n192.0.2.100/24\n}\nvirtual_ipaddress_excluded {\n198.51.100.100/24 dev eth1 use_vmac\n}", "MASTER",
			[]string{"eth0", "vrrp.51"},
			[]string{"   Virtual IP Excluded :\n     198.51.100.100/24 dev vrrp.51@eth1 use_vmac scope global set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\n" + tt.conf + "\n}\n"
			cfg, diags := config.ParseBytes("/t/keepalived.conf", []byte(src), config.Options{})
			if len(diags) != 0 {
				t.Fatalf("config: %v", diags)
			}
			ci := cfg.Instances[0]
			s := engine.InstanceStatus{Name: ci.Name, Interface: ci.Interface, VRID: ci.VRID, Version: ci.Version, State: tt.state, Config: ci}
			for i, dev := range tt.devs {
				s.Addresses = append(s.Addresses, engine.AddressStatus{Interface: dev, Excluded: i >= len(ci.VirtualAddresses)})
			}
			var b bytes.Buffer
			if err := WriteData(&b, Dump{Snapshot: engine.Snapshot{Instances: []engine.InstanceStatus{s}}, Config: cfg}); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("no %q in:\n%s", w, b.String())
				}
			}
		})
	}
}
