package config

import "reflect"

var posType = reflect.TypeFor[Pos]()

// Equal reports whether two instances are the same ignoring source
// positions: the supervisor's "did this instance change" test.
func (in *Instance) Equal(other *Instance) bool {
	return equalIgnoringPos(reflect.ValueOf(in), reflect.ValueOf(other))
}

// Equal reports whether two configs are the same ignoring source positions.
func (c *Config) Equal(other *Config) bool {
	return equalIgnoringPos(reflect.ValueOf(c), reflect.ValueOf(other))
}

// equalIgnoringPos is reflect.DeepEqual that skips fields of type Pos and
// unexported fields. Models are trees (no cycles).
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
