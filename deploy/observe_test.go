package deploy

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestComposeHealthcheck: the healthcheck runs havip's own HTTP probe (the image has no shell)
// against /healthz on the port havip listens on.
func TestComposeHealthcheck(t *testing.T) {
	s := load(t, "compose/docker-compose.yml")
	listen := environment(s)["HAVIP_HTTP_LISTEN"]
	if listen != ":9165" {
		t.Fatalf("HAVIP_HTTP_LISTEN = %q, want :9165 by default", listen)
	}
	hc := s.HealthCheck
	if hc == nil || len(hc.Test) < 5 {
		t.Fatalf("healthcheck = %+v, want CMD havip probe http URL", hc)
	}
	if !slices.Equal(hc.Test[:4], []string{"CMD", "/usr/local/bin/havip", "probe", "http"}) {
		t.Fatalf("healthcheck test = %q, want CMD /usr/local/bin/havip probe http ...", hc.Test)
	}
	u, err := url.Parse(hc.Test[len(hc.Test)-1])
	if err != nil || u.Scheme != "http" || u.Path != "/healthz" || !strings.HasSuffix(listen, ":"+u.Port()) || u.Hostname() != "127.0.0.1" {
		t.Fatalf("healthcheck URL %q (%v): want http://127.0.0.1%s/healthz", hc.Test[len(hc.Test)-1], err, listen)
	}
	if hc.Interval == nil || hc.Timeout == nil || *hc.Timeout >= *hc.Interval {
		t.Fatalf("healthcheck interval %v, timeout %v: want both, timeout shorter", hc.Interval, hc.Timeout)
	}
}
