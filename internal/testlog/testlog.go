// Package testlog is a log sink for tests whose code under test logs from
// goroutines of its own while the test reads what was logged.
package testlog

import (
	"strings"
	"sync"
)

// Buffer collects writes safely from any goroutine; the zero value is ready.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
