package catalog

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

func FuzzParseIPRanges(f *testing.F) {
	for _, seed := range []string{
		"192.0.2.4-6,192.0.2.9", "2001:db8::1f39-1f3b", "192.0.2.4-192.0.2.6", "10.1.1.100-100",
		"", "-", "1.2.3.4-", "::-ffff", "fe80::1%eth0-2", "192.0.2.1 2001:db8::1", "::ffff:1.2.3.4-5",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addrs, err := ParseIPRanges(s)
		if err != nil {
			if addrs != nil {
				t.Fatalf("addresses returned with an error: %v", addrs)
			}
			return
		}
		if len(addrs) == 0 || len(addrs) > MaxIPRangeAddresses {
			t.Fatalf("accepted %q with %d addresses", s, len(addrs))
		}
		seen := map[netip.Addr]bool{}
		for _, a := range addrs {
			if !a.IsValid() || a.Zone() != "" || seen[a] {
				t.Fatalf("accepted %q yielding invalid, zoned or repeated %v", s, a)
			}
			seen[a] = true
		}
	})
}

// fuzzVersion has one question of every type, all optional, plus a show_if chain.
func fuzzVersion() *Version {
	v := &Version{}
	for _, typ := range questionTypes {
		q := Question{Variable: typ, Label: typ, Type: typ}
		if typ == TypeEnum {
			q.Options = []string{"a", "b"}
		}
		v.Questions = append(v.Questions, q)
	}
	v.Questions = append(v.Questions,
		Question{Variable: "shown_if_a", Type: TypeString, ShowIf: "enum=a && boolean=true", MaxLength: ptr(8), InvalidChars: ";"},
		Question{Variable: "bounded", Type: TypeInt, Min: ptr(int64(-5)), Max: ptr(int64(5))},
	)
	return v
}

func FuzzValidate(f *testing.F) {
	for _, seed := range []struct{ variable, answer string }{
		{"string", "eth0"}, {"string", "x } y"}, {"string", "a\nb"}, {"multiline", "a\n{b}"},
		{"ipv4", "192.0.2.300"}, {"iprange", "192.0.2.4-6"}, {"port", "70000"}, {"enum", "a"},
		{"boolean", "yes"}, {"shown_if_a", "ab;c"}, {"password", "p@ss"}, {"hostname", "a.b"},
		{"cidr", "192.0.2.1/24"}, {"interface", "eth0.10"}, {"float", "1e309"}, {"bounded", "6"},
		{"date", "2026-13-01"}, {"unknown", "x"}, {"string", "a\\b"}, {"string", "\x00"},
	} {
		f.Add(seed.variable, seed.answer, "a", "true")
	}
	v := fuzzVersion()
	f.Fuzz(func(t *testing.T, variable, answer, enum, boolean string) {
		answers := map[string]string{variable: answer, "enum": enum, "boolean": boolean}
		values, err := v.Validate(answers)
		if err != nil {
			if values != nil {
				t.Fatalf("values returned with an error")
			}
			return
		}
		for _, q := range v.allQuestions() {
			text, answered := answers[q.Variable]
			if _, shown := values[q.Variable]; !answered || !shown || text == "" || q.Type == TypeMultiline {
				continue // a question hidden by show_if ignores its answer: nothing reaches a template
			}
			if strings.ContainsAny(text, ForbiddenChars+"\n\r") || strings.ContainsFunc(text, unicode.IsControl) {
				t.Fatalf("accepted %s=%q holding a forbidden character", q.Variable, text)
			}
		}
		for name := range values {
			if _, ok := answers[name]; !ok {
				for _, q := range v.allQuestions() {
					if q.Variable == name && q.Default == "" && !reflect.DeepEqual(values[name], zeroValue(q.Type)) {
						t.Fatalf("unanswered %s has a non-zero value %v", name, values[name])
					}
				}
			}
		}
	})
}

func FuzzLoad(f *testing.F) {
	f.Add("name: T\nversion: 0.1\n", ".catalog:\n  version: v1\n  questions:\n  - variable: a\n    type: port\n    default: \"80\"\n", "questions:\n- variable: b\n  show_if: a=80\n")
	f.Add("name: [", ".catalog: 3", "questions: {}")
	f.Add("name: T\n", ".catalog:\n  questions:\n  - variable: a\n    type: enum\n    options: [x]\n    default: x\n    subquestions:\n    - variable: c\n      show_if: a=x\n", "")
	f.Fuzz(func(t *testing.T, config, rancherCompose, questions string) {
		fsys := layoutFS(map[string]string{
			"t/config.yml": config, "t/0/rancher-compose.yml": rancherCompose, "t/0/questions.yml": questions,
		})
		c, err := Load(fsys)
		if err != nil {
			return
		}
		// Every loaded default must itself validate.
		v := c.Templates[0].Latest()
		if _, err := v.Validate(nil); err != nil && !strings.Contains(err.Error(), "an answer is required") {
			t.Fatalf("loaded version rejects its own defaults: %v", err)
		}
	})
}
