// Package fieldtest changes the parts of a value by reflection, for tests
// that hold a comparison (an Equal method, a reload's "unchanged" check) to
// every field of a type: a test changes each part of a filled value in turn
// and requires the comparison to tell it from the original. A part of a
// kind fieldtest cannot change fails the test, so that a new field of a new
// kind makes the comparison and its test be looked at.
package fieldtest

import (
	"net/netip"
	"reflect"
	"testing"
)

var (
	addrType   = reflect.TypeFor[netip.Addr]()
	prefixType = reflect.TypeFor[netip.Prefix]()
)

// Change changes the n-th changeable part of v (0 is the first), depth
// first: each settable bool, number, string, netip.Addr and netip.Prefix,
// each pointer (to nil, or from nil to a zero value) and what it points to,
// each slice (one more element) and its elements. It reports false when v
// has n parts or fewer, and fails the test at a part it cannot change.
func Change(t testing.TB, v reflect.Value, n int) bool {
	t.Helper()
	return change(t, v, &n)
}

func change(t testing.TB, v reflect.Value, n *int) bool {
	t.Helper()
	switch {
	case v.Type() == addrType, v.Type() == prefixType:
		// Leaves: their state is unexported.
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() && change(t, f, n) {
				return true
			}
		}
		return false
	case v.Kind() == reflect.Pointer:
		if *n == 0 {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			} else {
				v.SetZero()
			}
			return true
		}
		*n--
		return !v.IsNil() && change(t, v.Elem(), n)
	case v.Kind() == reflect.Slice:
		if *n == 0 {
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
			return true
		}
		*n--
		for i := range v.Len() {
			if change(t, v.Index(i), n) {
				return true
			}
		}
		return false
	}
	if *n > 0 {
		*n--
		return false
	}
	switch v.Type() {
	case addrType:
		other := netip.MustParseAddr("203.0.113.1")
		if v.Interface() == other {
			other = other.Next()
		}
		v.Set(reflect.ValueOf(other))
		return true
	case prefixType:
		other := netip.MustParsePrefix("203.0.113.0/25")
		if v.Interface() == other {
			other = netip.MustParsePrefix("203.0.113.0/26")
		}
		v.Set(reflect.ValueOf(other))
		return true
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	default:
		t.Fatalf("fieldtest: a %s part: teach fieldtest how to change it, and the comparison to see it", v.Type())
	}
	return true
}
