package observe

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/vrrp"
)

// BenchmarkScrape250 serves /metrics for 250 instances with two VIPs each,
// as the footprint scenario runs them (uncompressed, as curl asks).
func BenchmarkScrape250(b *testing.B) {
	e := &fakeEngine{beat: time.Now()}
	for i := 1; i <= 250; i++ {
		e.snap.Instances = append(e.snap.Instances, engine.InstanceStatus{
			Name: fmt.Sprintf("VI_%d", i), Interface: "eth0", VRID: uint8(i), State: "MASTER", Priority: 120, BasePriority: 120,
			Addresses: []engine.AddressStatus{{Address: fmt.Sprintf("198.51.100.%d/32", i), Interface: "eth0"},
				{Address: fmt.Sprintf("203.0.113.%d/32", i), Interface: "eth0"}},
			Stats: engine.InstanceStats{Stats: vrrp.Stats{AdvertsSent: 10000, BecameMaster: 1},
				Transitions: []engine.TransitionCount{{From: "INIT", To: "BACKUP", Reason: engine.ReasonStartup, Count: 1},
					{From: "BACKUP", To: "MASTER", Reason: engine.ReasonMasterDown, Count: 1}}},
		})
	}
	h := Handler(Options{Engine: func() Engine { return e }})
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	b.ReportAllocs()
	var size int
	cpu0 := cpuTime(b)
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
		body, _ := io.ReadAll(w.Body)
		size = len(body)
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(size)/1024, "KiB")
}

// cpuTime returns the user and system CPU time of this process so far: on a
// loaded host ns/op is wall time, this is what a scrape costs.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
