package engine

import (
	"reflect"
	"testing"
	"time"
)

func TestSnapshotOfInstancesWithoutMachine(t *testing.T) {
	cfg, ci := parse(t, `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 110
  virtual_ipaddress {
    192.0.2.100/24
  }
}`)
	inst, err := newInstance(ci, &cfg.Global)
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	inst.since, inst.reason = since, "startup"
	e := &Engine{instances: []*instance{inst}}

	got := e.snapshot()
	want := []InstanceStatus{{Name: "VI_1", Interface: "eth0", VRID: 51, Version: 2, State: "FAULT",
		Priority: 110, BasePriority: 110, VIPs: []string{"192.0.2.100/24"}, Since: since, Reason: "startup",
		Faults: []string{"waiting for a usable source address on eth0"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot without a machine:\n got %+v\nwant %+v", got, want)
	}

	inst.setFault("link eth0", "interface eth0 down", true)
	if got := e.snapshot()[0].Faults; !reflect.DeepEqual(got, []string{"interface eth0 down"}) {
		t.Fatalf("faults = %v, want the recorded reason only", got)
	}
}
