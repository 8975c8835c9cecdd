package templates

import (
	"bufio"
	"bytes"
	"io/fs"
	"net/netip"
	"strings"
	"testing"

	"github.com/havip/havip/catalog"
)

// documentation is where example and default addresses must come from.
var documentation = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("127.0.0.0/8"),
}

func isDocumentation(a netip.Addr) bool {
	for _, p := range documentation {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// addresses parses an address-typed answer.
func addresses(t *testing.T, typ, text string) []netip.Addr {
	t.Helper()
	switch typ {
	case catalog.TypeIP, catalog.TypeIPv4, catalog.TypeIPv6:
		return []netip.Addr{netip.MustParseAddr(text)}
	case catalog.TypeCIDR:
		return []netip.Addr{netip.MustParsePrefix(text).Addr()}
	case catalog.TypeIPRange:
		addrs, err := catalog.ParseIPRanges(text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		return addrs
	}
	return nil
}

func TestCatalog(t *testing.T) {
	c, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Names(), " "); got != "haproxy ipfailover keepalived" {
		t.Fatalf("templates = %s", got)
	}
	for _, tmpl := range c.Templates {
		if tmpl.Name == "" || tmpl.Description == "" || tmpl.Icon == "" || tmpl.Readme == "" || len(tmpl.Versions) == 0 {
			t.Errorf("%s: incomplete config.yml, icon or README: %+v", tmpl.Folder, tmpl)
		}
		for _, v := range tmpl.Versions {
			name := tmpl.Folder + "/" + v.Folder
			if v.Readme == "" || v.Description == "" || v.UUID == "" {
				t.Errorf("%s: README, description or uuid missing", name)
			}
			byVar := map[string]catalog.Question{}
			for _, q := range v.Questions {
				byVar[q.Variable] = q
				if q.Env == "" || q.Label == "" || q.Description == "" {
					t.Errorf("%s: question %s lacks env, label or description", name, q.Variable)
				}
				if q.Default != "" {
					for _, a := range addresses(t, q.Type, q.Default) {
						if !isDocumentation(a) {
							t.Errorf("%s: default of %s, %s, is not a documentation (TEST-NET) address", name, q.Variable, a)
						}
					}
				}
			}
			data, err := fs.ReadFile(v.FS, "answers.txt")
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			answers := map[string]string{}
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				line := strings.TrimSpace(sc.Text())
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				key, value, _ := strings.Cut(line, "=")
				answers[key] = value
				q, ok := byVar[key]
				if !ok {
					t.Errorf("%s: answers.txt answers unknown variable %s", name, key)
					continue
				}
				if value == "" {
					continue
				}
				for _, a := range addresses(t, q.Type, value) {
					if !isDocumentation(a) {
						t.Errorf("%s: answers.txt %s=%s is not a documentation address", name, key, a)
					}
				}
			}
			if _, err := v.Validate(answers); err != nil {
				t.Errorf("%s: sample answers are invalid: %v", name, err)
			}
			// No default VIP: a forgotten answer must stop the render, not start 192.0.2.10 on
			// every host. The VIP is the only answer the defaults lack.
			var vip *catalog.Question
			for i, q := range v.Questions {
				if strings.HasPrefix(q.Variable, "virtual_ip") {
					vip = &v.Questions[i]
				}
			}
			if vip == nil || !vip.Required || vip.Default != "" {
				t.Errorf("%s: the VIP question %+v must be required and have no default", name, vip)
			} else if _, err := v.Validate(map[string]string{vip.Variable: "192.0.2.10"}); err != nil {
				t.Errorf("%s: the defaults and a VIP are invalid: %v", name, err)
			}
		}
	}
}
