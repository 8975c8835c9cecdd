package fieldtest

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

type inner struct {
	On   bool
	Name string
}

type sample struct {
	N      int
	U      uint8
	D      time.Duration
	Addr   netip.Addr
	Prefix netip.Prefix
	Ptr    *inner
	List   []string
	hidden int
}

func filled() sample {
	return sample{N: 1, U: 2, D: time.Second, Addr: netip.MustParseAddr("203.0.113.1"), Prefix: netip.MustParsePrefix("203.0.113.0/25"),
		Ptr: &inner{Name: "a"}, List: []string{"x"}, hidden: 3}
}

// TestChange: each part of a filled value changes in turn, depth first,
// and the value then differs from the original; past the last part Change
// reports false and changes nothing.
func TestChange(t *testing.T) {
	tests := []struct {
		part string
		want func(s *sample)
	}{
		{"N", func(s *sample) { s.N = 2 }},
		{"U", func(s *sample) { s.U = 3 }},
		{"D", func(s *sample) { s.D = time.Second + 1 }},
		{"Addr", func(s *sample) { s.Addr = netip.MustParseAddr("203.0.113.2") }},
		{"Prefix", func(s *sample) { s.Prefix = netip.MustParsePrefix("203.0.113.0/26") }},
		{"Ptr", func(s *sample) { s.Ptr = nil }},
		{"Ptr.On", func(s *sample) { s.Ptr.On = true }},
		{"Ptr.Name", func(s *sample) { s.Ptr.Name = "ax" }},
		{"List", func(s *sample) { s.List = append(s.List, "") }},
		{"List[0]", func(s *sample) { s.List[0] = "xx" }},
	}
	for n, tt := range tests {
		t.Run(tt.part, func(t *testing.T) {
			got, want := filled(), filled()
			if !Change(t, reflect.ValueOf(&got).Elem(), n) {
				t.Fatalf("part %d not changed", n)
			}
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("part %d: got %+v, want %+v", n, got, want)
			}
		})
	}
	s := filled()
	if Change(t, reflect.ValueOf(&s).Elem(), len(tests)) || !reflect.DeepEqual(s, filled()) {
		t.Errorf("part %d changed: %+v", len(tests), s)
	}
}

// TestChangeFromZero: a nil pointer becomes a zero value, a zero address
// and prefix become TEST-NET ones.
func TestChangeFromZero(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want func(s *sample)
	}{
		{"address", 3, func(s *sample) { s.Addr = netip.MustParseAddr("203.0.113.1") }},
		{"prefix", 4, func(s *sample) { s.Prefix = netip.MustParsePrefix("203.0.113.0/25") }},
		{"pointer", 5, func(s *sample) { s.Ptr = &inner{} }},
		{"slice", 6, func(s *sample) { s.List = []string{""} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, want sample
			if !Change(t, reflect.ValueOf(&got).Elem(), tt.n) {
				t.Fatalf("part %d not changed", tt.n)
			}
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// recorder is a testing.TB that records Fatalf instead of stopping.
type recorder struct {
	testing.TB
	fatal string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

// TestChangeUnknownKind: a part of a kind Change does not know fails the
// test, naming its type.
func TestChangeUnknownKind(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"map", &struct{ M map[string]int }{}, "map[string]int"},
		{"float", &struct{ F float64 }{}, "float64"},
		{"func", &struct{ F func() }{}, "func()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			Change(r, reflect.ValueOf(tt.v).Elem(), 0)
			if !strings.Contains(r.fatal, "a "+tt.want+" part") {
				t.Errorf("failure %q, want one naming %s", r.fatal, tt.want)
			}
		})
	}
}
