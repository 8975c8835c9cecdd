package netif

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/havip/havip/config/iproute2"
	"github.com/havip/havip/internal/fieldtest"
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
		if !fieldtest.Change(t, v, 0) {
			t.Fatalf("%s.%s: nothing to change", typ.Name(), typ.Field(i).Name)
		}
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
