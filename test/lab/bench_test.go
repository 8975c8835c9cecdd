package lab

import "testing"

// BenchmarkNew measures building a two-speaker lab with a client, including the
// wait for IPv6 DAD. The labs are torn down by cleanups after the timed loop.
func BenchmarkNew(b *testing.B) {
	RequireRoot(b)
	for b.Loop() {
		New(b, Options{Nodes: 2, Client: true})
	}
}
