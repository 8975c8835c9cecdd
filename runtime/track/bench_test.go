package track

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func BenchmarkEffective(b *testing.B) {
	refs := make([]Ref, 0, 16)
	results := map[Key]Result{}
	for i := range 16 {
		k := Key{Kind(i%4 + 1), fmt.Sprint("t", i)}
		refs = append(refs, Ref{Key: k, Weight: i - 8})
		results[k] = Result{Key: k, Up: i%3 == 0, Value: int64(i)}
	}
	for b.Loop() {
		Effective(100, refs, results)
	}
}

func BenchmarkProcessScan(b *testing.B) {
	tr := &processTracker{spec: ProcessSpec{Process: "havip-no-such"}, procRoot: "/proc"}
	for b.Loop() {
		if _, err := tr.scan(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProbe(b *testing.B) {
	_, addr := listen(b)
	for b.Loop() {
		if err := Probe(context.Background(), addr, time.Second); err != nil {
			b.Fatal(err)
		}
	}
}
