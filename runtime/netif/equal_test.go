package netif

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/havip/havip/config/iproute2"
	"golang.org/x/sys/unix"
)

// filledRoute and filledRule set every field to a non-zero value.
func filledRoute() Route {
	return Route{Type: unix.RTN_UNICAST, Dst: netip.MustParsePrefix("198.51.100.0/24"), Src: netip.MustParseAddr("192.0.2.1"),
		Via: netip.MustParseAddr("192.0.2.254"), Or: netip.MustParseAddr("192.0.2.253"), Dev: "eth0", Table: 100,
		Metric: 10, Scope: unix.RT_SCOPE_LINK, Protocol: unix.RTPROT_STATIC, Options: iproute2.RouteOptions{MTU: 1400}}
}

func filledRule() Rule {
	return Rule{Family: 4, Not: true, From: netip.MustParsePrefix("192.0.2.0/24"), To: netip.MustParsePrefix("198.51.100.0/24"),
		Table: 100, Preference: 100, Fwmark: 0x1, FwmarkMask: 0xff, Iif: "eth0", Oif: "eth1", Options: iproute2.RuleOptions{TOS: 0x10}}
}

// changeField changes field v of a filled value so that it differs; it fails
// the test for a kind it does not know, so that a new field of another kind
// makes the test (and Equal) be looked at.
func changeField(t *testing.T, name string, v reflect.Value) {
	t.Helper()
	switch v.Interface().(type) {
	case netip.Addr:
		v.Set(reflect.ValueOf(netip.MustParseAddr("203.0.113.1")))
		return
	case netip.Prefix:
		v.Set(reflect.ValueOf(netip.MustParsePrefix("203.0.113.0/25")))
		return
	case []string:
		v.Set(reflect.Append(v, reflect.ValueOf("onlink")))
		return
	case iproute2.RouteOptions:
		v.Set(reflect.ValueOf(iproute2.RouteOptions{OnLink: true}))
		return
	case iproute2.RuleOptions:
		v.Set(reflect.ValueOf(iproute2.RuleOptions{Goto: 200}))
		return
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
		t.Fatalf("%s is a %s: teach the test and Equal about it", name, v.Type())
	}
}

// checkSeesEveryField changes each field of a filled value in turn and
// requires eq to tell it from the original, as reflect.DeepEqual (which it
// replaced) does.
func checkSeesEveryField[T any](t *testing.T, filled func() T, eq func(a, b T) bool) {
	t.Helper()
	if !eq(filled(), filled()) {
		t.Fatal("a value differs from its copy")
	}
	typ := reflect.TypeFor[T]()
	for i := range typ.NumField() {
		b := filled()
		v := reflect.ValueOf(&b).Elem().Field(i)
		if v.IsZero() {
			t.Fatalf("%s.%s is not filled", typ.Name(), typ.Field(i).Name)
		}
		changeField(t, typ.Field(i).Name, v)
		if eq(filled(), b) || eq(b, filled()) {
			t.Errorf("%s.%s changed: still Equal", typ.Name(), typ.Field(i).Name)
		}
		if reflect.DeepEqual(filled(), b) {
			t.Errorf("%s.%s changed: still DeepEqual", typ.Name(), typ.Field(i).Name)
		}
	}
	var zero T
	if !eq(zero, zero) || eq(zero, filled()) {
		t.Error("zero values compare wrong")
	}
}

func TestRouteEqual(t *testing.T) {
	checkSeesEveryField(t, filledRoute, Route.Equal)
}

func TestRuleEqual(t *testing.T) {
	checkSeesEveryField(t, filledRule, Rule.Equal)
}
