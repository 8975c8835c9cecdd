package lvs

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havip/havip/config"
)

type fakeVRRP struct {
	applied atomic.Int32
	stop    chan error
}

func (f *fakeVRRP) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-f.stop:
		return err
	}
}

func (f *fakeVRRP) Apply(*config.Config) error {
	f.applied.Add(1)
	return nil
}

// TestPair: a VRRP-only config starts no manager; a reload adding a
// virtual server starts one; both halves get every config; the pair stops
// with the VRRP engine and removes the services.
func TestPair(t *testing.T) {
	vrrp := &fakeVRRP{stop: make(chan error)}
	p, err := NewPair(vrrp, parseConfig(t, ""), quiet)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingBackend{}
	p.Options.Backend = rec
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	time.Sleep(20 * time.Millisecond)
	if rec.count() != 0 || p.lvs != nil {
		t.Fatal("a VRRP-only config started the LVS manager")
	}
	if err := p.Apply(parseConfig(t, "virtual_server 192.0.2.10 80 {\n protocol TCP\n real_server 192.0.2.20 80 {\n }\n}\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the pool", func() (bool, string) { d := rec.dests(); return d == "192.0.2.20:80=1 ", d })
	if vrrp.applied.Load() != 1 {
		t.Fatalf("VRRP engine applied %d configs, want 1", vrrp.applied.Load())
	}
	stopErr := errors.New("vrrp failed")
	vrrp.stop <- stopErr
	select {
	case err := <-done:
		if !errors.Is(err, stopErr) {
			t.Fatalf("Run returned %v, want the VRRP error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pair did not stop with the VRRP engine")
	}
	if d := rec.dests(); d != "" {
		t.Fatalf("services left: %q", d)
	}
}

// TestPairWithoutVRRP runs virtual servers alone and refuses a reload
// that adds vrrp_instances, which need a restart.
func TestPairWithoutVRRP(t *testing.T) {
	p, err := NewPair(nil, parseConfig(t, "virtual_server 192.0.2.10 80 {\n protocol TCP\n real_server 192.0.2.20 80 {\n }\n}\n"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingBackend{}
	p.lvs.opts.Backend = rec
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	waitFor(t, "the pool", func() (bool, string) { d := rec.dests(); return d == "192.0.2.20:80=1 ", d })
	st := p.State()
	if len(st) != 1 || st[0].VirtualServer != "[192.0.2.10]:tcp:80" || !st[0].Quorum || len(st[0].RealServers) != 1 || !st[0].RealServers[0].Alive || st[0].RealServers[0].Weight != 1 {
		t.Fatalf("state %+v", st)
	}
	err = p.Apply(parseConfig(t, "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 192.0.2.1\n }\n}\nvirtual_server 192.0.2.10 80 {\n protocol TCP\n real_server 192.0.2.20 80 {\n }\n}\n"))
	if err == nil || !strings.Contains(err.Error(), "restart it to run the new vrrp_instances") {
		t.Fatalf("Apply with instances: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := rec.dests(); d != "" {
		t.Fatalf("services left: %q", d)
	}
}
