package engine

import (
	"reflect"
	"testing"
	"time"

	"github.com/havip/havip/runtime/track"
	"github.com/havip/havip/runtime/vrrp"
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

	got := e.snapshot().Instances
	want := []InstanceStatus{{Name: "VI_1", Interface: "eth0", VRID: 51, Version: 2, State: "FAULT",
		Priority: 110, BasePriority: 110, VIPs: []string{"192.0.2.100/24"}, Since: since, Reason: "startup",
		Addresses: []AddressStatus{{Address: "192.0.2.100/24", Interface: "eth0"}}, GarpMasterDelay: 5,
		Faults: []string{"waiting for a usable source address on eth0"}, Config: ci}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot without a machine:\n got %+v\nwant %+v", got, want)
	}

	inst.setFault("link eth0", "interface eth0 down", true)
	if got := e.snapshot().Instances[0].Faults; !reflect.DeepEqual(got, []string{"interface eth0 down"}) {
		t.Fatalf("faults = %v, want the recorded reason only", got)
	}
}

func TestSnapshotCountsDropsByVRIDAndClears(t *testing.T) {
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
	p := &port{key: portKey{ifname: "eth0", family: 4}}
	inst.port = p
	e := &Engine{instances: []*instance{inst}, ports: map[portKey]*port{p.key: p}, calls: make(chan func()), done: make(chan struct{})}

	var rx vrrp.Received
	p.count(vrrp.DropChecksum, &rx, []byte{0x21, 51, 0, 0})
	p.count(vrrp.DropChecksum, &rx, []byte{0x21, 52, 0, 0}) // another VRID
	p.count(vrrp.DropTooShort, &rx, []byte{0x21})           // too short to name a VRID
	p.count(vrrp.DropNone, &rx, []byte{0x21, 51, 0, 0})
	p.countUnknownVRID()
	inst.stats.Tally([]vrrp.Action{vrrp.SendAdvert{Priority: 110}, vrrp.Transition{From: vrrp.StateBackup, To: vrrp.StateMaster}})

	snap := e.snapshot()
	got := snap.Instances[0].Stats
	if got.AdvertsSent != 1 || got.BecameMaster != 1 || got.Dropped(vrrp.DropChecksum) != 1 || len(got.Drops) != 1 {
		t.Fatalf("instance stats = %+v, want 1 sent, 1 became master, 1 checksum drop for VRID 51 only", got)
	}
	wantPort := PortStatus{Interface: "eth0", Family: 4, Accepted: 1, UnknownVRID: 1,
		Drops:     map[vrrp.DropReason]uint64{vrrp.DropChecksum: 2, vrrp.DropTooShort: 1},
		Checksums: map[string]uint64{vrrp.ChecksumRFC5798.String(): 1}} // the zero rx.Checksum
	if len(snap.Ports) != 1 || !reflect.DeepEqual(snap.Ports[0], wantPort) {
		t.Fatalf("ports = %+v, want [%+v]", snap.Ports, wantPort)
	}

	go func() { (<-e.calls)() }()
	if err := e.ClearStats(); err != nil {
		t.Fatal(err)
	}
	snap = e.snapshot()
	if s := snap.Instances[0].Stats; s.AdvertsSent != 0 || s.Drops != nil {
		t.Fatalf("after ClearStats: instance stats = %+v, want zero", s)
	}
	if p := snap.Ports[0]; p.Accepted != 0 || p.Drops != nil || p.UnknownVRID != 0 || p.Checksums != nil {
		t.Fatalf("after ClearStats: port = %+v, want zero", p)
	}
	close(e.done)
	if err := e.ClearStats(); err == nil {
		t.Fatal("ClearStats on a stopped engine succeeded")
	}
}

func TestTrackerStatusStates(t *testing.T) {
	key := track.Key{Kind: track.KindScript, Name: "chk"}
	ref := track.Ref{Key: key, Weight: -10}
	for _, tc := range []struct {
		name   string
		result *track.Result
		want   string
	}{
		{"before the first result", nil, "init"},
		{"up", &track.Result{Key: key, Up: true}, "up"},
		{"down", &track.Result{Key: key}, "down"},
		{"cannot run", &track.Result{Key: key, Disabled: true, Detail: "disabled: not found"}, "disabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &Engine{results: map[track.Key]track.Result{}, trackers: map[track.Key]*trackerRun{}}
			if tc.result != nil {
				e.results[key] = *tc.result
			}
			if got := e.trackerStatus(ref); got.State != tc.want || got.Weight != -10 || got.Name != "chk" {
				t.Fatalf("trackerStatus = %+v, want state %q", got, tc.want)
			}
		})
	}
}
