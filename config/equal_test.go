package config

import (
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/havip/havip/internal/fieldtest"
)

var (
	posType    = reflect.TypeFor[Pos]()
	addrType   = reflect.TypeFor[netip.Addr]()
	prefixType = reflect.TypeFor[netip.Prefix]()
)

// fill sets every exported field reachable from v to a non-zero value:
// pointers point to filled values, slices hold one filled element. A type
// inside itself (Block's Children) is left zero there. Unexported fields
// stay zero.
func fill(t *testing.T, v reflect.Value, open map[reflect.Type]bool) {
	t.Helper()
	switch v.Type() {
	case posType:
		v.Set(reflect.ValueOf(Pos{File: "a.conf", Line: 1}))
		return
	case addrType:
		v.Set(reflect.ValueOf(netip.MustParseAddr("192.0.2.1")))
		return
	case prefixType:
		v.Set(reflect.ValueOf(netip.MustParsePrefix("192.0.2.0/24")))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		open[v.Type()] = true
		defer delete(open, v.Type())
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i), open)
			}
		}
	case reflect.Pointer:
		if !open[v.Type().Elem()] {
			p := reflect.New(v.Type().Elem())
			fill(t, p.Elem(), open)
			v.Set(p)
		}
	case reflect.Slice:
		elem := v.Type().Elem()
		if elem.Kind() == reflect.Pointer {
			elem = elem.Elem()
		}
		if !open[elem] {
			s := reflect.MakeSlice(v.Type(), 1, 1)
			fill(t, s.Index(0), open)
			v.Set(s)
		}
	case reflect.Bool:
		v.SetBool(true)
	case reflect.String:
		v.SetString("s")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	default:
		t.Fatalf("fill: a %s (%s): teach the test and Equal about it", v.Type(), v.Kind())
	}
}

// mutation is one change to one part of a filled value.
type mutation struct {
	path   string
	steps  []int // field indexes; -1 is a slice's first element or a pointer's target
	change func(v reflect.Value)
	same   bool // Equal must still hold (positions)
}

// mutations lists a change of every part of the filled value v: each
// exported bool, number, string, address and prefix, each position (which
// Equal must ignore), each pointer (to nil, or from nil to a filled value)
// and what it points to, each slice (one more element, none) and its first
// element.
func mutations(t *testing.T, v reflect.Value, path string, steps []int, out *[]mutation) {
	t.Helper()
	add := func(what string, change func(v reflect.Value), same bool) {
		*out = append(*out, mutation{path + " " + what, slices.Clone(steps), change, same})
	}
	switch v.Type() {
	case posType:
		add("moved", func(v reflect.Value) { v.Set(reflect.ValueOf(Pos{File: "b.conf", Line: 2})) }, true)
		return
	case addrType:
		add("other address", func(v reflect.Value) { v.Set(reflect.ValueOf(netip.MustParseAddr("192.0.2.2"))) }, false)
		add("zoned", func(v reflect.Value) {
			v.Set(reflect.ValueOf(netip.MustParseAddr("fe80::1%eth0")))
		}, false)
		return
	case prefixType:
		add("other prefix", func(v reflect.Value) { v.Set(reflect.ValueOf(netip.MustParsePrefix("192.0.2.0/25"))) }, false)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				mutations(t, v.Field(i), path+"."+f.Name, append(steps, i), out)
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			add("set", func(v reflect.Value) {
				p := reflect.New(v.Type().Elem())
				fill(t, p.Elem(), map[reflect.Type]bool{})
				v.Set(p)
			}, false)
			return
		}
		add("nil", func(v reflect.Value) { v.SetZero() }, false)
		mutations(t, v.Elem(), "(*"+path+")", append(steps, -1), out)
	case reflect.Slice:
		add("one more", func(v reflect.Value) {
			e := reflect.New(v.Type().Elem()).Elem()
			fill(t, e, map[reflect.Type]bool{})
			v.Set(reflect.Append(v, e))
		}, false)
		if v.Len() > 0 {
			add("none", func(v reflect.Value) { v.SetZero() }, false)
			mutations(t, v.Index(0), path+"[0]", append(steps, -1), out)
		}
	case reflect.Bool, reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		add("changed", func(v reflect.Value) { fieldtest.Change(t, v, 0) }, false)
	default:
		t.Fatalf("mutations: %s is a %s: teach the test and Equal about it", path, v.Type())
	}
}

// at returns the part of v that steps lead to.
func at(v reflect.Value, steps []int) reflect.Value {
	for _, s := range steps {
		switch {
		case s >= 0:
			v = v.Field(s)
		case v.Kind() == reflect.Slice:
			v = v.Index(0)
		default:
			v = v.Elem()
		}
	}
	return v
}

// checkSeesEveryField fills two values of T alike, changes one part of one
// of them, and requires eq to find them different, or the same when the
// part is a position, and to agree with equalIgnoringPos (the reflective
// comparison Equal replaced); for every part in turn. A field added to T,
// or to a type inside it, that eq does not compare fails here.
func checkSeesEveryField[T any](t *testing.T, eq func(a, b *T) bool) {
	t.Helper()
	fresh := func() *T {
		p := new(T)
		fill(t, reflect.ValueOf(p).Elem(), map[reflect.Type]bool{})
		return p
	}
	if !eq(fresh(), fresh()) || !eq(new(T), new(T)) {
		t.Fatal("a value differs from its copy")
	}
	if eq(new(T), fresh()) {
		t.Fatal("the zero value equals a filled one")
	}
	var ms []mutation
	name := reflect.TypeFor[T]().Name()
	mutations(t, reflect.ValueOf(fresh()).Elem(), name, nil, &ms)
	for _, m := range ms {
		a, b := fresh(), fresh()
		m.change(at(reflect.ValueOf(b).Elem(), m.steps))
		got, back := eq(a, b), eq(b, a)
		if got != m.same || back != m.same {
			t.Errorf("%s: Equal = %v, reversed %v, want %v", m.path, got, back, m.same)
		}
		if old := equalIgnoringPos(reflect.ValueOf(a), reflect.ValueOf(b)); old != got {
			t.Errorf("%s: Equal = %v, the reflective comparison %v", m.path, got, old)
		}
	}
	if len(ms) < reflect.TypeFor[T]().NumField() {
		t.Fatalf("only %d changes of %s", len(ms), name)
	}
}

func TestEqualSeesEveryField(t *testing.T) {
	t.Run("Instance", func(t *testing.T) { checkSeesEveryField(t, (*Instance).Equal) })
	t.Run("Config", func(t *testing.T) { checkSeesEveryField(t, (*Config).Equal) })
}

// TestEqualIgnoresUnexported: what an instance was given (set), what a
// config was read from (inputs) and where a garp_group's interfaces were
// named (ifPos) are no part of the model.
func TestEqualIgnoresUnexported(t *testing.T) {
	a := &Instance{Name: "VI_1", set: map[string]bool{"priority": true}}
	b := &Instance{Name: "VI_1"}
	if !a.Equal(b) || !b.Equal(a) {
		t.Error("set keywords make instances differ")
	}
	c := &Config{Instances: []*Instance{a}, GARPGroups: []GARPGroup{{Interfaces: []string{"eth0"}, ifPos: []Pos{{Line: 1}}}},
		inputs: Inputs{Files: []string{"/etc/keepalived/keepalived.conf"}}}
	d := &Config{Instances: []*Instance{b}, GARPGroups: []GARPGroup{{Interfaces: []string{"eth0"}}}}
	if !c.Equal(d) || !d.Equal(c) {
		t.Error("inputs or interface positions make configs differ")
	}
}

// TestEqualNilAndEmpty: a nil slice equals an empty one (as it did for the
// reflective comparison, which compared lengths), a nil pointer equals only
// nil.
func TestEqualNilAndEmpty(t *testing.T) {
	tests := []struct {
		name string
		a, b *Instance
		want bool
	}{
		{"nil instances", nil, nil, true},
		{"nil and an instance", nil, &Instance{}, false},
		{"nil and empty addresses", &Instance{}, &Instance{VirtualAddresses: []VirtualAddress{}}, true},
		{"nil and empty options", &Instance{VirtualRoutes: []Route{{}}}, &Instance{VirtualRoutes: []Route{{OptionWords: []string{}}}}, true},
		{"nil and empty notify args", &Instance{Notify: Notify{All: &Command{}}}, &Instance{Notify: Notify{All: &Command{Args: []string{}}}}, true},
		{"nil and zero auth", &Instance{}, &Instance{Auth: &Authentication{}}, false},
		{"nil and zero vmac", &Instance{}, &Instance{VMAC: &VMAC{}}, false},
		{"nil and zero notify", &Instance{}, &Instance{Notify: Notify{Master: &Command{}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, back := tt.a.Equal(tt.b), tt.b.Equal(tt.a); got != tt.want || back != tt.want {
				t.Errorf("Equal = %v, reversed %v, want %v", got, back, tt.want)
			}
			if old := equalIgnoringPos(reflect.ValueOf(tt.a), reflect.ValueOf(tt.b)); old != tt.want {
				t.Errorf("the reflective comparison = %v", old)
			}
		})
	}
}

// TestEqualAgreesOnCorpus: on every pair of instances, and of configs, of
// the corpus, Equal and the reflective comparison agree.
func TestEqualAgreesOnCorpus(t *testing.T) {
	var cfgs []*Config
	var insts []*Instance
	for _, f := range corpus(t) {
		for _, id := range []string{"high", "low"} {
			cfg, _ := Load(f, Options{ConfigID: id})
			if cfg == nil {
				continue
			}
			cfgs = append(cfgs, cfg)
			insts = append(insts, cfg.Instances...)
			// A copy from elsewhere: equal but for positions.
			again, _ := ParseBytes(filepath.Base(f)+"."+strconv.Itoa(len(cfgs)), Format(cfg), Options{ConfigID: id})
			if again != nil {
				cfgs = append(cfgs, again)
				insts = append(insts, again.Instances...)
			}
		}
	}
	equalPairs := 0
	for i, a := range insts {
		for _, b := range insts[i:] {
			got := a.Equal(b)
			if got {
				equalPairs++
			}
			if old := equalIgnoringPos(reflect.ValueOf(a), reflect.ValueOf(b)); got != old {
				t.Errorf("%s (%s) and %s (%s): Equal = %v, the reflective comparison %v", a.Name, a.Pos, b.Name, b.Pos, got, old)
			}
		}
	}
	for i, a := range cfgs {
		for _, b := range cfgs[i:] {
			if got, old := a.Equal(b), equalIgnoringPos(reflect.ValueOf(a), reflect.ValueOf(b)); got != old {
				t.Errorf("configs %d and %d: Equal = %v, the reflective comparison %v", i, len(cfgs)-len(cfgs[i:]), got, old)
			}
		}
	}
	if len(insts) < 50 || equalPairs <= len(insts) {
		t.Fatalf("%d instances, %d equal pairs: the corpus tells little", len(insts), equalPairs)
	}
}

// equalIgnoringPos is the reflective comparison Equal replaced:
// reflect.DeepEqual skipping fields of type Pos and unexported fields. It
// is the reference the tests hold Equal to.
func equalIgnoringPos(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalIgnoringPos(a.Elem(), b.Elem())
	case reflect.Struct:
		if a.Type() == posType {
			return true
		}
		for i := range a.NumField() {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			if !equalIgnoringPos(a.Field(i), b.Field(i)) {
				return false
			}
		}
		// Types with only unexported state (netip.Addr, netip.Prefix)
		// compare by value.
		if a.Type().PkgPath() != "github.com/havip/havip/config" {
			return a.Interface() == b.Interface()
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalIgnoringPos(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !equalIgnoringPos(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	default:
		return a.Equal(b)
	}
}

// BenchmarkEqual1000: one op compares each of 1000 instances with its copy
// parsed again (equal but for positions), as a reload with nothing changed
// does; reflective is the comparison Equal replaced.
func BenchmarkEqual1000(b *testing.B) {
	src := config1000()
	first, _ := ParseBytes("a.conf", src, Options{ConfigID: "bench"})
	second, _ := ParseBytes("b.conf", src, Options{ConfigID: "bench"})
	for _, bm := range []struct {
		name string
		eq   func(a, b *Instance) bool
	}{
		{"explicit", (*Instance).Equal},
		{"reflective", func(a, b *Instance) bool { return equalIgnoringPos(reflect.ValueOf(a), reflect.ValueOf(b)) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for i, in := range first.Instances {
					if !bm.eq(in, second.Instances[i]) {
						b.Fatalf("%s differs from its copy", in.Name)
					}
				}
			}
		})
	}
}
