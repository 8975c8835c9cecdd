package lvs

import (
	"context"
	"errors"
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

func (f *fakeVRRP) NotifyLVS(string) {}

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
