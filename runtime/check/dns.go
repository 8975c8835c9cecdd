package check

import (
	"context"
	"fmt"

	"github.com/miekg/dns"
)

type dnsProber struct {
	t     Target
	qtype string
	name  string
}

// Probe sends one query over UDP; a reply with the query's id and rcode
// NOERROR is success.
func (p dnsProber) Probe(ctx context.Context) Result {
	ctx, cancel := bounded(ctx, p.t.Timeout)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(p.name), dns.StringToType[p.qtype])
	m.RecursionDesired = true
	c := &dns.Client{Net: "udp", Dialer: p.t.dialer("udp"), Timeout: p.t.Timeout}
	r, _, err := c.ExchangeContext(ctx, m, p.t.Addr.String())
	if err != nil {
		return fail("dns %s %s at %s: %v", p.qtype, p.name, p.t.Addr, err)
	}
	if r.Rcode != dns.RcodeSuccess {
		return fail("dns %s %s at %s: rcode %s", p.qtype, p.name, p.t.Addr, dns.RcodeToString[r.Rcode])
	}
	return Result{OK: true, Detail: fmt.Sprintf("dns %s %s at %s: %d answer(s)", p.qtype, p.name, p.t.Addr, len(r.Answer))}
}
