package render

import (
	"errors"
	"fmt"
	"net/netip"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/havip/havip/catalog"
)

// removedFuncs lists the sprig functions templates may not call, by reason.
// sprig.HermeticTxtFuncMap already drops some of them; they are listed anyway
// so that this list alone documents (and tests) what is refused.
var removedFuncs = map[string][]string{
	// the process environment: information leakage, and answers would bypass
	// validation (vrrp-brief §6)
	"environment": {"env", "expandenv"},
	// network access; getHostByName also panics on an empty DNS answer
	"dns": {"getHostByName"},
	// non-deterministic output
	"random": {"randAlpha", "randAlphaNum", "randAscii", "randNumeric", "randBytes", "randInt", "shuffle", "uuidv4"},
	// the wall clock: non-deterministic output
	"time": {"now", "ago", "date", "dateInZone", "date_in_zone", "dateModify", "date_modify", "mustDateModify",
		"must_date_modify", "htmlDate", "htmlDateInZone", "toDate", "mustToDate", "unixEpoch", "duration",
		"durationRound"},
	// key material and deliberately slow hashes: CPU-heavy, secret-related, random
	"crypto": {"bcrypt", "htpasswd", "genPrivateKey", "derivePassword", "buildCustomCert", "genCA", "genCAWithKey",
		"genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey", "encryptAES",
		"decryptAES"},
	// allocation bounded only by an argument
	"unbounded": {"until", "untilStep", "seq", "repeat"},
}

// planError marks an error raised by a planning helper; its message is shown
// to the operator without the text/template call-site decoration.
type planError struct{ err error }

func (e *planError) Error() string { return e.err.Error() }
func (e *planError) Unwrap() error { return e.err }

func planErr(err error) error {
	if err == nil {
		return nil
	}
	return &planError{err}
}

// funcs returns the template functions of one render: restricted sprig plus
// the planning helpers bound to the node facts, collecting warnings in *warnings.
func funcs(facts Facts, warnings *[]string) template.FuncMap {
	fm := sprig.HermeticTxtFuncMap()
	for _, names := range removedFuncs {
		for _, name := range names {
			delete(fm, name)
		}
	}
	warnOnce := func(msg string) {
		for _, w := range *warnings {
			if w == msg {
				return
			}
		}
		*warnings = append(*warnings, msg)
	}
	helpers := template.FuncMap{
		"confQuote": func(s string) (string, error) {
			if err := catalog.CheckText(s); err != nil {
				return "", planErr(fmt.Errorf("cannot quote %q for keepalived.conf: %w", s, err))
			}
			return `"` + s + `"`, nil
		},
		"tcpProbe": func(probe string, host netip.Addr, port int64) (string, error) {
			s, err := TCPProbeCommand(probe, host, port)
			return s, planErr(err)
		},
		"splitFamilies": func(addrs []netip.Addr) ([]FamilyAddrs, error) {
			s, err := SplitFamilies(addrs)
			return s, planErr(err)
		},
		"groupVIPs": func(vips []netip.Addr, groups int64) [][]netip.Addr {
			if groups > int64(len(vips)) && len(vips) > 0 {
				warnOnce(fmt.Sprintf("%d VIP groups asked for but only %d VIPs given: using %d groups of one VIP", groups, len(vips), len(vips)))
			}
			return GroupVIPs(vips, int(groups))
		},
		"assignVRIDs": func(count int, offset int64, excluded []int) ([]int, error) {
			ids, err := AssignVRIDs(count, int(offset), excluded)
			return ids, planErr(err)
		},
		"vridList": func(s string) ([]int, error) {
			ids, err := ParseVRIDList(s)
			return ids, planErr(err)
		},
		"nodePriority": func(family int, peers []netip.Addr) (int, error) {
			self := facts.Primary(family)
			if !self.IsValid() {
				warnOnce(fmt.Sprintf("node %s has no IPv%d address on the VRRP interface: priorities are derived from its host name instead (pass --node-address to preview another node)", facts.Hostname, family))
				return HostnamePriority(facts.Hostname), nil
			}
			p, err := NodePriority(self, PeersFor(family, peers, nil))
			return p, planErr(err)
		},
		"failoverPriority": func(group int, replicas int64) (int, error) {
			self := facts.Primary(4)
			if !self.IsValid() {
				self = facts.Primary(6)
			}
			slot := 0
			if self.IsValid() {
				slot = AddressSlot(self)
			} else {
				warnOnce(fmt.Sprintf("node %s has no address on the VRRP interface: priorities are derived from its host name instead (pass --node-address to preview another node)", facts.Hostname))
				slot = HostnameSlot(facts.Hostname)
			}
			p, err := FailoverPriority(slot, group, int(replicas))
			return p, planErr(err)
		},
		"peersFor": func(family int, peers []netip.Addr) []netip.Addr {
			return PeersFor(family, peers, facts.Addresses)
		},
		"preemption": func(s string) (string, error) {
			line, err := ParsePreemption(s)
			return line, planErr(err)
		},
		"distinct": func(addrs []netip.Addr) (bool, error) {
			return true, planErr(Distinct(addrs))
		},
		// checkAddress is the node's own address that OpenShift's TCP check
		// connects to: IPv4, else IPv6, else loopback (with a warning).
		"checkAddress": func() netip.Addr {
			if a := facts.Primary(4); a.IsValid() {
				return a
			}
			if a := facts.Primary(6); a.IsValid() {
				return a
			}
			warnOnce(fmt.Sprintf("node %s has no address on the VRRP interface: the TCP check connects to 127.0.0.1 instead (pass --node-address to preview another node)", facts.Hostname))
			return netip.AddrFrom4([4]byte{127, 0, 0, 1})
		},
		"scrubName": ScrubName,
		"addr": func(s string) (netip.Addr, error) {
			a, err := netip.ParseAddr(s)
			return a, planErr(err)
		},
		// fail replaces sprig's: its message reaches the operator undecorated.
		"fail": func(msg string) (string, error) {
			return "", planErr(errors.New(msg))
		},
		"warn": func(msg string) string {
			warnOnce(msg)
			return ""
		},
	}
	for name, f := range helpers {
		fm[name] = f
	}
	return fm
}

// templateError turns a text/template execution error into the message of
// the planning helper that failed, when one did.
func templateError(err error) error {
	var pe *planError
	if errors.As(err, &pe) {
		return pe.err
	}
	return err
}
