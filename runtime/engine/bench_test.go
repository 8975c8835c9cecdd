package engine

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/havip/havip/runtime/vrrp"
)

// The scale scenario of the engine benchmarks: 1000 VRRPv3 instances, 250
// on each of 4 interfaces, advertising every 100 ms, two VIPs each. They run
// on the counting fake host and clock, so the figures are the engine's own
// work (state machines, schedule, reload planning, advert encoding and
// decoding) without the kernel's; test/bench measures whole processes
// against keepalived.
const (
	scaleSegments   = 4
	scalePerSegment = 250
	scaleInterval   = 100 * time.Millisecond
)

// scaleConfig is the scenario's keepalived.conf at priority; the instance
// numbered changed (1-based, 0 = none) gets priority+1.
func scaleConfig(priority, changed int) string {
	var b strings.Builder
	n := 0
	for s := range scaleSegments {
		for vrid := 1; vrid <= scalePerSegment; vrid++ {
			n++
			p := priority
			if n == changed {
				p++
			}
			fmt.Fprintf(&b, "vrrp_instance VI_%d {\n  version 3\n  interface eth%d\n  virtual_router_id %d\n  priority %d\n"+
				"  advert_int 0.1\n  virtual_ipaddress {\n    198.51.100.%d/32\n    203.0.113.%d/32\n  }\n}\n", n, s, vrid, p, vrid, vrid)
		}
	}
	return b.String()
}

func scaleRig(b *testing.B, priority int) *rig {
	b.Helper()
	r := newRig(b, scaleConfig(priority, 0))
	r.host.counting = true
	r.start()
	b.Cleanup(r.stop)
	return r
}

// settled checks that every instance is in state.
func (r *rig) settled(b *testing.B, state string) {
	b.Helper()
	for _, st := range r.e.snapshot().Instances {
		if st.State != state {
			b.Fatalf("%s is %s, want %s", st.Name, st.State, state)
		}
	}
}

// transitions counts the instances whose last transition is after t.
func (r *rig) transitionsAfter(t time.Time) int {
	n := 0
	for _, inst := range r.e.instances {
		if inst.since.After(t) {
			n++
		}
	}
	return n
}

func heapMiB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

// cpuPercent is the share of one core the measured loop used for each
// scaleInterval of fake time it simulated.
func cpuPercent(b *testing.B) float64 {
	return 100 * float64(b.Elapsed()) / float64(b.N) / float64(scaleInterval)
}

// BenchmarkScaleMaster: one op is 100 ms of a master of 1000 instances —
// 1000 adverts encoded and sent.
func BenchmarkScaleMaster(b *testing.B) {
	r := scaleRig(b, 200)
	r.advance(time.Second)
	r.settled(b, "MASTER")
	mark := r.clock.Now()
	sent := r.host.nSent
	b.ReportAllocs()
	for b.Loop() {
		r.advance(scaleInterval)
	}
	b.ReportMetric(cpuPercent(b), "cpu-%")
	b.ReportMetric(float64(r.host.nSent-sent)/float64(b.N), "adverts/op")
	b.ReportMetric(float64(r.transitionsAfter(mark)), "flaps")
	b.ReportMetric(heapMiB(), "heap-MiB")
}

// BenchmarkScaleBackup: one op is 100 ms of a backup of 1000 instances —
// 1000 adverts from the master parsed (the socket reader's part),
// demultiplexed and accepted.
func BenchmarkScaleBackup(b *testing.B) {
	r := scaleRig(b, 100)
	type feed struct {
		port    *port
		payload []byte
	}
	var feeds []feed
	src := ip(peer)
	for _, inst := range r.e.instances {
		a := vrrp.Advert{Version: 3, VRID: inst.vrid, Priority: 200, AdverInt: 10, Addrs: inst.vcfg.Addrs}
		payload, err := a.Append(nil, src, group4, vrrp.ChecksumRFC5798)
		if err != nil {
			b.Fatal(err)
		}
		feeds = append(feeds, feed{inst.port, payload})
	}
	deliver := func() {
		for _, f := range feeds {
			in := inbound{port: f.port}
			if reason := vrrp.Parse(&in.rx, f.payload, src, group4, vrrp.TTL); reason != vrrp.DropNone {
				b.Fatal(reason)
			}
			r.e.receive(in)
		}
		r.advance(scaleInterval)
	}
	deliver()
	r.settled(b, "BACKUP")
	mark := r.clock.Now()
	b.ReportAllocs()
	for b.Loop() {
		deliver()
	}
	b.ReportMetric(cpuPercent(b), "cpu-%")
	b.ReportMetric(float64(r.transitionsAfter(mark)), "flaps")
	b.ReportMetric(heapMiB(), "heap-MiB")
}

// BenchmarkScaleReload: one op is a reload of the 1000 running masters in
// which one instance's priority changed, from the config text (parse) to
// the change applied (its advert sent).
func BenchmarkScaleReload(b *testing.B) {
	r := scaleRig(b, 200)
	r.advance(time.Second)
	r.settled(b, "MASTER")
	texts := []string{scaleConfig(200, 500), scaleConfig(200, 0)}
	i := 0
	for b.Loop() {
		sent := r.host.nSent
		if err := r.apply(texts[i%2]); err != nil {
			b.Fatal(err)
		}
		if r.host.nSent != sent+1 {
			b.Fatalf("the reload sent %d adverts, want the changed instance's one", r.host.nSent-sent)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/reload")
}

// BenchmarkScaleStartup: one op plans 1000 address owners and starts them,
// up to the first advert of the last one.
func BenchmarkScaleStartup(b *testing.B) {
	text := scaleConfig(255, 0)
	for b.Loop() {
		r := newRig(b, text)
		r.host.counting = true
		r.start()
		if r.host.nSent != scaleSegments*scalePerSegment {
			b.Fatalf("%d adverts at start-up", r.host.nSent)
		}
		b.StopTimer()
		r.stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/startup")
}
