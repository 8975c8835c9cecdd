package script

import (
	"context"
	"testing"
)

func BenchmarkRunDirect(b *testing.B) {
	r := &Runner{}
	c := Command{Args: []string{"/bin/true"}}
	for b.Loop() {
		if res := r.Run(context.Background(), c); !res.OK() {
			b.Fatal(res.Err)
		}
	}
}

func BenchmarkRunShell(b *testing.B) {
	r := &Runner{}
	c := Command{Text: "true && true"}
	for b.Loop() {
		if res := r.Run(context.Background(), c); !res.OK() {
			b.Fatal(res.Err)
		}
	}
}
