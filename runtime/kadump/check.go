package kadump

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/script"
)

// WriteCheckData writes keepalived_check.data: the global settings, the SSL
// context, the virtual server groups, the virtual servers with their real
// servers' settings and state, and every health checker with its options,
// as keepalived's checker process does on SIGUSR1. The settings come from
// the running config, the state from the snapshot's virtual servers.
//
// keepalived's lines about what neither holds are left out: the LVS version
// of its build, the groups' per-protocol alive counts, the reload flags,
// the checkers' last runs and last errors, the previous effective weight,
// and the settings havip resolves into each checker instead of keeping
// them on the virtual or real server (delay_loop, connect_timeout, alpha,
// retry, warmup: each checker's lines show them). A checker's Up, Has run,
// Current weight, Retries iterations and Failed URL lines, and its real
// server's failed-checker count, come from the snapshot's checkers; they
// are left out when the snapshot's checkers of the real server do not
// match its configured ones (a reload in between). Real server state lines
// need the snapshot to carry the virtual server (the LVS half runs).
func WriteCheckData(w io.Writer, d Dump) error {
	cfg := d.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	b := bufio.NewWriter(w)
	writeGlobal(b, d.Config)
	writeSSL(b, cfg)
	states := vsStates(cfg.VirtualServers, d.Snapshot.VirtualServers)
	if len(cfg.VirtualServers) > 0 {
		fmt.Fprintln(b, "------< LVS Topology >------")
		for _, g := range cfg.VirtualServerGroups {
			writeVSG(b, g)
		}
		for i, vs := range cfg.VirtualServers {
			writeVS(b, cfg, vs, states[i])
		}
	}
	writeCheckers(b, cfg, states)
	return b.Flush()
}

// HasCheckData reports whether cfg has virtual servers, the condition for
// keepalived to run its checker process and so to write keepalived_check.data.
func HasCheckData(cfg *config.Config) bool {
	return cfg != nil && len(cfg.VirtualServers) > 0
}

// vsStates pairs each configured virtual server with its state in the
// snapshot (nil when the snapshot has none), by name, in order.
func vsStates(vss []*config.VirtualServer, snap []engine.VirtualServerStatus) []*engine.VirtualServerStatus {
	byName := map[string][]*engine.VirtualServerStatus{}
	for i := range snap {
		byName[snap[i].Name] = append(byName[snap[i].Name], &snap[i])
	}
	out := make([]*engine.VirtualServerStatus, len(vss))
	for i, vs := range vss {
		if q := byName[vs.Name()]; len(q) > 0 {
			out[i], byName[vs.Name()] = q[0], q[1:]
		}
	}
	return out
}

// rsState returns rs's state in st, or nil.
func rsState(st *engine.VirtualServerStatus, rs *config.RealServer) *engine.RealServerStatus {
	if st == nil {
		return nil
	}
	addr := netip.AddrPortFrom(rs.Addr, rs.Port).String()
	for i := range st.RealServers {
		if st.RealServers[i].Address == addr {
			return &st.RealServers[i]
		}
	}
	return nil
}

// writeSSL writes the SSL context, which keepalived has when the config has
// an SSL block or an SSL_GET checker (then generated).
func writeSSL(b *bufio.Writer, cfg *config.Config) {
	s := cfg.SSL
	if s == nil && !hasChecker(cfg, config.CheckSSL) {
		return
	}
	fmt.Fprintln(b, "------< SSL definitions >------")
	if s == nil || (s.Password == "" && s.CA == "" && s.Certificate == "" && s.Key == "") {
		fmt.Fprintln(b, " Using autogen SSL context")
		return
	}
	for _, kv := range [][2]string{{"Password", s.Password}, {"CA-file", s.CA}, {"Certificate file", s.Certificate}, {"Key file", s.Key}} {
		if kv[1] != "" {
			fmt.Fprintf(b, " %s : %s\n", kv[0], kv[1])
		}
	}
}

func hasChecker(cfg *config.Config, typ string) bool {
	for _, vs := range cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			for _, ck := range rs.Checkers {
				if ck.Type == typ {
					return true
				}
			}
		}
	}
	return false
}

// writeVSG writes a virtual_server_group: its address entries, then its
// fwmark entries.
func writeVSG(b *bufio.Writer, g *config.VirtualServerGroup) {
	v4, v6 := groupFamilies(g)
	fmt.Fprintln(b, " ------< Virtual server group >------")
	fmt.Fprintf(b, " Virtual Server Group = %s, IPv4 = %s, IPv6 = %s\n", g.Name, yesNo(v4), yesNo(v6))
	for _, e := range g.Entries {
		switch {
		case e.Fwmark != 0:
		case e.First != e.Last:
			fmt.Fprintf(b, "   VIP Range = %s-%s, VPORT = %d\n", e.First, e.Last, e.Port)
		default:
			fmt.Fprintf(b, "   VIP = %s, VPORT = %d\n", e.First, e.Port)
		}
	}
	for _, e := range g.Entries {
		if e.Fwmark != 0 {
			family := ""
			switch e.Family {
			case config.IPv4:
				family = " IPv4"
			case config.IPv6:
				family = " IPv6"
			}
			fmt.Fprintf(b, "   FWMARK = %d%s\n", e.Fwmark, family)
		}
	}
}

// groupFamilies reports whether a group has IPv4 and IPv6 entries: its
// addresses, and its fwmarks given with a family.
func groupFamilies(g *config.VirtualServerGroup) (v4, v6 bool) {
	for _, e := range g.Entries {
		switch {
		case e.First.IsValid():
			v4, v6 = v4 || e.First.Is4(), v6 || !e.First.Is4()
		case e.Family == config.IPv4:
			v4 = true
		case e.Family == config.IPv6:
			v6 = true
		}
	}
	return v4, v6
}

func writeVS(b *bufio.Writer, cfg *config.Config, vs *config.VirtualServer, st *engine.VirtualServerStatus) {
	fmt.Fprintln(b, " ------< Virtual server >------")
	switch {
	case vs.Group != "":
		fmt.Fprintf(b, " VS GROUP = %s\n", vsName(vs))
	case vs.Fwmark != 0:
		fmt.Fprintf(b, " VS FWMARK = %d\n", vs.Fwmark)
	default:
		fmt.Fprintf(b, " VS VIP = %s, VPORT = %d\n", vs.Addr, vs.Port)
	}
	fmt.Fprintf(b, "   Address family = %s\n", vsFamily(cfg, vs))
	fmt.Fprintf(b, "   lvs_sched = %s\n", vs.Scheduler)
	// IP_VS_SVC_F_HASHED is the kernel's; a config never sets it.
	fmt.Fprintln(b, "   Hashed = disabled")
	flag := func(names ...string) string {
		for _, f := range vs.SchedFlags {
			for _, n := range names {
				if f == n {
					return "enabled"
				}
			}
		}
		return "disabled"
	}
	switch vs.Scheduler {
	case "sh", "mh":
		fmt.Fprintf(b, "   %s-port = %s\n", vs.Scheduler, flag("flag-2", "sh-port", "mh-port"))
		fmt.Fprintf(b, "   %s-fallback = %s\n", vs.Scheduler, flag("flag-1", "sh-fallback", "mh-fallback"))
	default:
		fmt.Fprintf(b, "   flag-1 = %s\n", flag("flag-1", "sh-fallback", "mh-fallback"))
		fmt.Fprintf(b, "   flag-2 = %s\n", flag("flag-2", "sh-port", "mh-port"))
		fmt.Fprintf(b, "   flag-3 = %s\n", flag("flag-3"))
	}
	inactive := ""
	if vs.OnePacket && vs.Protocol != "UDP" {
		inactive = " (inactive due to not UDP)"
	}
	fmt.Fprintf(b, "   One packet scheduling = %s%s\n", enabled(vs.OnePacket), inactive)
	if vs.PersistenceTimeout > 0 {
		fmt.Fprintf(b, "   persistence timeout = %d\n", vs.PersistenceTimeout)
	}
	if g := granularity(vs); g != "" {
		fmt.Fprintf(b, "   persistence granularity = %s\n", g)
	}
	fmt.Fprintf(b, "   protocol = %s\n", protocolName(vs.Protocol))
	fmt.Fprintf(b, "   omega is %s\n", onOff(vs.Omega))
	fmt.Fprintf(b, "   quorum = %d, hysteresis = %d\n", vs.Quorum, vs.Hysteresis)
	if vs.QuorumUp != nil {
		fmt.Fprintf(b, "   Quorum up notify script = %s, uid:gid %s\n", cmdStr(vs.QuorumUp.Args), scriptIDs(vs.QuorumUp.User, vs.QuorumUp.Group))
	}
	if vs.QuorumDown != nil {
		fmt.Fprintf(b, "   Quorum down notify script = %s, uid:gid %s\n", cmdStr(vs.QuorumDown.Args), scriptIDs(vs.QuorumDown.User, vs.QuorumDown.Group))
	}
	if vs.HASuspend {
		fmt.Fprintln(b, "   Using HA suspend")
	}
	// havip sends no email: smtp_alert is accepted and has no effect.
	fmt.Fprintln(b, "   Using smtp notification = no")
	fmt.Fprintln(b, forwarding("default ", vs.Method))
	if s := vs.Sorry; s != nil {
		dup := ""
		for _, rs := range vs.RealServers {
			if rs.Addr == s.Addr && rs.Port == s.Port {
				dup = "(duplicates rs) "
			}
		}
		fmt.Fprintf(b, "   sorry server %s= %s\n", dup, serverName(s.Addr, s.Port, vs.Protocol))
		fmt.Fprintln(b, forwarding("  ", s.Method))
		fmt.Fprintf(b, "     Inhibit on failure is %s\n", onOff(s.Inhibit))
	}
	// keepalived 2.2.7 never sets a virtual server's alive flag.
	fmt.Fprintln(b, "   alive = 0")
	if st != nil {
		fmt.Fprintf(b, "   quorum_state_up = %d\n", b2i(st.Quorum))
	}
	for _, rs := range vs.RealServers {
		writeRS(b, rs, rsState(st, rs))
	}
}

func writeRS(b *bufio.Writer, rs *config.RealServer, st *engine.RealServerStatus) {
	eff := effectiveWeight(rs, st)
	fmt.Fprintln(b, "   ------< Real server >------")
	fmt.Fprintf(b, "   RIP = %s, RPORT = %d, WEIGHT = %d EFF WEIGHT = %d\n", rs.Addr, rs.Port, max(eff, 0), eff)
	fmt.Fprintln(b, forwarding("", rs.Method))
	fmt.Fprintf(b, "   connection limit range = %d -> %d\n", rs.LThreshold, rs.UThreshold)
	fmt.Fprintf(b, "   Inhibit on failure is %s\n", onOff(rs.InhibitOnFailure))
	if c := rs.NotifyUp; c != nil {
		fmt.Fprintf(b, "     RS up notify script = %s, uid:gid %s\n", cmdStr(c.Args), scriptIDs(c.User, c.Group))
	}
	if c := rs.NotifyDown; c != nil {
		fmt.Fprintf(b, "     RS down notify script = %s, uid:gid %s\n", cmdStr(c.Args), scriptIDs(c.User, c.Group))
	}
	fmt.Fprintln(b, "   Using smtp notification = no")
	fmt.Fprintf(b, "   initial weight = %d\n", rs.Weight)
	fmt.Fprintf(b, "   effective weight = %d\n", eff)
	if st == nil {
		return
	}
	fmt.Fprintf(b, "   alive = %d\n", b2i(st.Alive))
	if failed, ok := failedCheckers(rs, st); ok {
		fmt.Fprintf(b, "   num failed checkers = %d\n", failed)
	}
	fmt.Fprintf(b, "   RS set = %d\n", b2i(st.Weight >= 0))
}

// effectiveWeight is the real server's weight: its weight in the pool, or,
// out of the pool, its configured weight (a misc_dynamic weight of a real
// server out of the pool is not in the snapshot).
func effectiveWeight(rs *config.RealServer, st *engine.RealServerStatus) int {
	if st != nil && st.Alive && st.Weight >= 0 {
		return st.Weight
	}
	return rs.Weight
}

// checkerStates returns the snapshot's checkers of rs, or nil when the
// snapshot has no state of rs or its checkers are not rs's.
func checkerStates(rs *config.RealServer, st *engine.RealServerStatus) []engine.CheckerStatus {
	if st == nil || len(st.Checkers) != len(rs.Checkers) {
		return nil
	}
	for i, c := range st.Checkers {
		if c.Kind != rs.Checkers[i].Type {
			return nil
		}
	}
	if st.Checkers == nil {
		return []engine.CheckerStatus{}
	}
	return st.Checkers
}

// failedCheckers counts the failed checkers of rs, as keepalived's
// num_failed_checkers; false when the snapshot does not tell.
func failedCheckers(rs *config.RealServer, st *engine.RealServerStatus) (int, bool) {
	cs := checkerStates(rs, st)
	if cs == nil {
		return 0, false
	}
	n := 0
	for _, c := range cs {
		if !c.Up {
			n++
		}
	}
	return n, true
}

// writeCheckers writes the health checkers, in config order as keepalived
// queues them.
func writeCheckers(b *bufio.Writer, cfg *config.Config, states []*engine.VirtualServerStatus) {
	header := false
	for i, vs := range cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			cs := checkerStates(rs, rsState(states[i], rs))
			for j, ck := range rs.Checkers {
				if !header {
					fmt.Fprintln(b, "------< Health checkers >------")
					header = true
				}
				var c *engine.CheckerStatus
				if cs != nil {
					c = &cs[j]
				}
				writeChecker(b, vs, rs, ck, c)
			}
		}
	}
}

// writeChecker writes a checker as keepalived's dump_checker; c is its
// state, nil when the snapshot does not tell it.
func writeChecker(b *bufio.Writer, vs *config.VirtualServer, rs *config.RealServer, ck *config.Checker, c *engine.CheckerStatus) {
	fmt.Fprintf(b, " %s -> %s\n", vsName(vs), serverName(rs.Addr, rs.Port, vs.Protocol))
	// havip runs every checker, ha_suspend or not.
	fmt.Fprintln(b, "   Enabled = yes")
	if c != nil {
		fmt.Fprintf(b, "   Up = %s\n", yesNo(c.Up))
		fmt.Fprintf(b, "   Has run = %s\n", yesNo(c.HasRun))
	}
	if w, ok := currentWeight(rs, ck, c); ok {
		fmt.Fprintf(b, "   Current weight = %d\n", w)
	}
	fmt.Fprintf(b, "   Alpha = %s\n", yesNo(ck.Alpha))
	fmt.Fprintf(b, "   Delay loop = %d us\n", ck.DelayLoop.Microseconds())
	fmt.Fprintf(b, "   Warmup = %d us\n", ck.Warmup.Microseconds())
	fmt.Fprintf(b, "   Retries = %d\n", ck.Retry)
	if ck.Retry > 0 {
		fmt.Fprintf(b, "   Delay before retry = %d us\n", ck.DelayBeforeRetry.Microseconds())
		if c != nil {
			fmt.Fprintf(b, "   Retries iterations = %d\n", c.RetryIterations)
		}
	}
	fmt.Fprintf(b, "   Default delay before retry = %d us\n", defaultRetryWait(ck.Type).Microseconds())
	fmt.Fprintf(b, "   Log all failures = %s\n", yesNo(ck.LogAllFailures))
	if ck.Type != config.CheckMisc {
		dst, port := rs.Addr, rs.Port
		if ck.ConnectIP.IsValid() {
			dst = ck.ConnectIP
		}
		if ck.ConnectPort != 0 {
			port = ck.ConnectPort
		}
		fmt.Fprintln(b, "   Connection")
		fmt.Fprintf(b, "     Dest = [%s]:%d\n", dst, port)
		if ck.BindTo.IsValid() {
			fmt.Fprintf(b, "     Bind to = [%s]:%d\n", ck.BindTo, ck.BindPort)
		}
		if ck.BindIf != "" {
			fmt.Fprintf(b, "     Bind i/f = %s\n", ck.BindIf)
		}
		if ck.Fwmark != 0 {
			fmt.Fprintf(b, "     Mark = %d\n", ck.Fwmark)
		}
		fmt.Fprintf(b, "     Timeout = %f\n", ck.ConnectTimeout.Seconds())
	}
	switch ck.Type {
	case config.CheckHTTP, config.CheckSSL:
		writeHTTP(b, ck)
		if c != nil && c.FailedURL != "" {
			fmt.Fprintf(b, "   Failed URL = %s\n", c.FailedURL)
		}
	case config.CheckMisc:
		m := ck.Misc
		fmt.Fprintln(b, "   Keepalive method = MISC_CHECK")
		fmt.Fprintf(b, "   script = %s\n", cmdStr(m.Path.Args))
		fmt.Fprintf(b, "   timeout = %d\n", seconds(m.Timeout))
		fmt.Fprintf(b, "   dynamic = %s\n", map[bool]string{true: "YES", false: "NO"}[m.Dynamic])
		fmt.Fprintf(b, "   uid:gid = %s\n", scriptIDs(m.User, m.Group))
	case config.CheckUDP:
		writeUDP(b, ck.UDP)
	case config.CheckDNS:
		fmt.Fprintln(b, "   Keepalive method = DNS_CHECK")
		fmt.Fprintf(b, "   Type = %s\n", ck.DNS.Type)
		fmt.Fprintf(b, "   Name = %s\n", ck.DNS.Name)
	case config.CheckSMTP:
		fmt.Fprintln(b, "   Keepalive method = SMTP_CHECK")
		fmt.Fprintf(b, "   helo = %s\n", heloName(ck.SMTP))
	default: // TCP_CHECK, PING_CHECK
		fmt.Fprintf(b, "   Keepalive method = %s\n", ck.Type)
	}
}

// currentWeight is keepalived's cur_weight of a checker: 0 but for an up
// misc_dynamic checker whose script reported a weight, where it is that
// weight less the real server's configured weight; false when the
// snapshot does not tell a misc_dynamic checker's.
func currentWeight(rs *config.RealServer, ck *config.Checker, c *engine.CheckerStatus) (int, bool) {
	switch {
	case ck.Misc == nil || !ck.Misc.Dynamic:
		return 0, true
	case c == nil:
		return 0, false
	case c.Up && c.Weight != nil:
		return *c.Weight - rs.Weight, true
	}
	return 0, true
}

func writeHTTP(b *bufio.Writer, ck *config.Checker) {
	h := ck.HTTP
	proto := "HTTP"
	if ck.Type == config.CheckSSL {
		proto = "SSL"
	}
	fmt.Fprintf(b, "   Keepalive method = %s_GET, http protocol %s\n", proto, h.Protocol)
	// The checker's Host header: its own virtualhost, else its real
	// server's, else its virtual server's.
	if h.Virtualhost != "" {
		fmt.Fprintf(b, "   Virtualhost = %s\n", h.Virtualhost)
	}
	fmt.Fprintf(b, "   Enable SNI %sset\n", map[bool]string{true: "", false: "un"}[h.EnableSNI])
	fmt.Fprintf(b, "   Fast recovery %sset\n", map[bool]string{true: "", false: "un"}[h.FastRecovery])
	for _, u := range h.URLs {
		fmt.Fprintf(b, "   Checked url = %s\n", u.Path)
		if u.Digest != "" {
			fmt.Fprintf(b, "     digest = %s\n", u.Digest)
		}
		fmt.Fprintln(b, "     HTTP Status Code(s)")
		for _, r := range codeRanges(u.StatusCodes) {
			if r.Lo == r.Hi {
				fmt.Fprintf(b, "       %d\n", r.Lo)
			} else {
				fmt.Fprintf(b, "       %d-%d\n", r.Lo, r.Hi)
			}
		}
		if u.Virtualhost != "" {
			fmt.Fprintf(b, "     Virtual host = %s\n", u.Virtualhost)
		}
		if u.Regex != "" {
			fmt.Fprintf(b, "     Regex = \"%s\"\n", u.Regex)
			if u.RegexNoMatch {
				fmt.Fprintln(b, "     Regex no match")
			}
			fmt.Fprintln(b, "     Regex options:")
		}
	}
}

// codeRanges merges status code ranges into the disjoint ascending runs
// keepalived prints from its bit array of codes.
func codeRanges(in []config.CodeRange) []config.CodeRange {
	var set [1000]bool
	for _, r := range in {
		for c := max(r.Lo, 100); c <= min(r.Hi, 999); c++ {
			set[c] = true
		}
	}
	var out []config.CodeRange
	for c := 100; c <= 999; c++ {
		if !set[c] {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Hi == c-1 {
			out[n-1].Hi = c
		} else {
			out = append(out, config.CodeRange{Lo: c, Hi: c})
		}
	}
	return out
}

func writeUDP(b *bufio.Writer, u *config.UDPCheck) {
	fmt.Fprintln(b, "   Keepalive method = UDP_CHECK")
	if u.Payload != "" {
		fmt.Fprintf(b, "   Payload len = %d\n", len(u.Payload)/2)
	} else {
		fmt.Fprintln(b, "   Payload specified = no")
	}
	fmt.Fprintf(b, "   Require reply = %s\n", yesNo(u.RequireReply))
	if u.RequireReply {
		fmt.Fprintf(b, "     Min reply length = %d\n", u.MinReplyLength)
		fmt.Fprintf(b, "     Max reply length = %d\n", u.MaxReplyLength)
		fmt.Fprintf(b, "     Reply data len = %d\n", len(u.ReplyPattern)/2)
		if u.ReplyPattern != "" {
			fmt.Fprintf(b, "     Reply data mask = %s\n", yesNo(strings.Contains(u.ReplyPattern, "x")))
		}
	}
}

// heloName is the HELO an SMTP checker sends: its helo_name, else the host
// name.
func heloName(s *config.SMTPCheck) string {
	if s.HeloName != "" {
		return s.HeloName
	}
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
}

// defaultRetryWait is keepalived's default delay_before_retry of a checker
// type, printed as such even where delay_before_retry is set: 3 s for
// HTTP_GET and SSL_GET, 0 (delay_loop) for DNS_CHECK, 1 s for the others.
func defaultRetryWait(typ string) time.Duration {
	switch typ {
	case config.CheckHTTP, config.CheckSSL:
		return 3 * time.Second
	case config.CheckDNS:
		return 0
	}
	return time.Second
}

// forwarding prints a forwarding method as keepalived's
// dump_forwarding_method, whose GUE and GRE lines leave out the prefix.
func forwarding(prefix string, m config.Method) string {
	if m.Kind != "TUN" {
		return "   " + prefix + "forwarding method = " + m.Kind
	}
	typ, port, csum := "ipip", "", ", no checksum"
	for i := 0; i < len(m.Tunnel); i++ {
		switch m.Tunnel[i] {
		case "type":
			if i+1 < len(m.Tunnel) {
				typ = m.Tunnel[i+1]
				i++
			}
		case "port":
			if i+1 < len(m.Tunnel) {
				port = m.Tunnel[i+1]
				i++
			}
		case "csum":
			csum = ", checksum"
		case "remcsum":
			csum = ", remote checksum"
		}
	}
	switch typ {
	case "gue":
		return "   forwarding method = TUN, type = GUE, port = " + port + csum
	case "gre":
		return "   forwarding method = TUN, type = GRE" + csum
	}
	return "   " + prefix + "forwarding method = TUN, type = IPIP"
}

// vsFamily is keepalived's address family line of a virtual server: a
// group's is only known from ip_family or a (non-tunnel) sorry server.
func vsFamily(cfg *config.Config, vs *config.VirtualServer) string {
	name := func(f config.Family) string {
		if f == config.IPv6 {
			return "inet6"
		}
		return "inet"
	}
	if vs.Group == "" {
		return name(vs.Family)
	}
	switch {
	case vs.IPFamily != 0:
		return name(vs.IPFamily)
	case vs.Sorry != nil && vs.Sorry.Method.Kind != "TUN":
		if vs.Sorry.Addr.Is4() {
			return name(config.IPv4)
		}
		return name(config.IPv6)
	}
	if g := cfg.VirtualServerGroup(vs.Group); g != nil {
		if v4, v6 := groupFamilies(g); v4 && v6 {
			return "IPv4 & IPv6"
		}
	}
	return "unknown"
}

// granularity is the persistence granularity havip applies: a netmask for
// IPv4, a prefix length for IPv6; "" when not set.
func granularity(vs *config.VirtualServer) string {
	g := vs.PersistenceGranularity
	if g == "" {
		return ""
	}
	bits := -1
	if n, err := strconv.Atoi(g); err == nil {
		bits = n
	} else if a, err := netip.ParseAddr(g); err == nil {
		if vs.Family != config.IPv6 {
			return a.String()
		}
		bits = 0
		for _, x := range a.AsSlice() {
			for i := 7; i >= 0 && x&(1<<i) != 0; i-- {
				bits++
			}
		}
	}
	size := 32
	if vs.Family == config.IPv6 {
		size = 128
	}
	switch {
	case bits < 0 || bits > size:
		return g
	case vs.Family == config.IPv6:
		return strconv.Itoa(bits)
	}
	return net.IP(net.CIDRMask(bits, size)).String()
}

func protocolName(p string) string {
	if p == "" {
		return "none"
	}
	return p
}

// vsName is keepalived's FMT_VS: [GROUP]:0, FWM N or [ADDR]:proto:PORT.
func vsName(vs *config.VirtualServer) string {
	switch {
	case vs.Group != "":
		return "[" + vs.Group + "]:0"
	case vs.Fwmark != 0:
		return "FWM " + strconv.FormatUint(uint64(vs.Fwmark), 10)
	}
	return serverName(vs.Addr, vs.Port, vs.Protocol)
}

// serverName is keepalived's FMT_RS: [ADDR]:proto:PORT, the protocol being
// the virtual server's.
func serverName(a netip.Addr, port uint16, protocol string) string {
	p := strings.ToLower(protocolName(protocol))
	return "[" + a.String() + "]:" + p + ":" + strconv.Itoa(int(port))
}

// cmdStr is keepalived's cmd_str: each argument in single quotes, but for
// a first one starting with a redirection.
func cmdStr(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if i == 0 && (strings.HasPrefix(a, "<") || strings.HasPrefix(a, ">")) {
			quoted[i] = a
		} else {
			quoted[i] = "'" + a + "'"
		}
	}
	return strings.Join(quoted, " ")
}

// scriptIDs is the uid:gid an LVS script runs as: its user's, else
// havip's own; "?:?" when the user does not resolve (the script does not
// run).
func scriptIDs(user, group string) string {
	if user == "" {
		return fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
	}
	id, err := script.LookupIdentity(user, group)
	if err != nil {
		return "?:?"
	}
	return fmt.Sprintf("%d:%d", id.UID, id.GID)
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}
