package kadump

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/engine"
)

// WriteData writes keepalived.data: the global settings, every instance's
// settings and state, and the scripts the instances track.
func WriteData(w io.Writer, d Dump) error {
	b := bufio.NewWriter(w)
	writeGlobal(b, d.Config)
	fmt.Fprintln(b, "------< VRRP Topology >------")
	for _, inst := range d.Snapshot.Instances {
		writeInstance(b, inst, d.Config)
	}
	writeScripts(b, d)
	return b.Flush()
}

func writeGlobal(b *bufio.Writer, cfg *config.Config) {
	g := config.GlobalDefs{}
	if cfg != nil {
		g = cfg.Global
	}
	fmt.Fprintln(b, "------< Global definitions >------")
	fmt.Fprintln(b, " Network namespace = (default)")
	fmt.Fprintf(b, " Router ID = %s\n", g.RouterID)
	fmt.Fprintf(b, " Dynamic interfaces = %t\n", g.DynamicInterfaces)
	if g.DefaultInterface != "" {
		fmt.Fprintf(b, " Default interface = %s\n", g.DefaultInterface)
	}
	fmt.Fprintf(b, " VRRP notify priority changes = %t\n", g.NotifyPriorityChanges)
	if g.MulticastGroup4.IsValid() {
		fmt.Fprintf(b, " VRRP IPv4 mcast group = %s\n", g.MulticastGroup4)
	}
	if g.MulticastGroup6.IsValid() {
		fmt.Fprintf(b, " VRRP IPv6 mcast group = %s\n", g.MulticastGroup6)
	}
	fmt.Fprintf(b, " Gratuitous ARP delay = %d\n", seconds(g.GARP.MasterDelay))
	fmt.Fprintf(b, " Gratuitous ARP repeat = %d\n", g.GARP.MasterRepeat)
	fmt.Fprintf(b, " Gratuitous ARP refresh timer = %d\n", seconds(g.GARP.MasterRefresh))
	fmt.Fprintf(b, " Gratuitous ARP refresh repeat = %d\n", g.GARP.MasterRefreshRepeat)
	fmt.Fprintf(b, " Gratuitous ARP lower priority delay = %d\n", seconds(g.GARP.LowerPrioDelay))
	fmt.Fprintf(b, " Gratuitous ARP lower priority repeat = %d\n", g.GARP.LowerPrioRepeat)
	fmt.Fprintf(b, " Num adverts before down = %d\n", g.DownTimerAdverts)
	fmt.Fprintf(b, " Send advert after receive lower priority advert = %t\n", !g.LowerPrioNoAdvert)
	fmt.Fprintf(b, " Send advert after receive higher priority advert = %t\n", g.HigherPrioSendAdvert)
	fmt.Fprintf(b, " Gratuitous ARP interval = %f\n", g.GARP.Interval.Seconds())
	fmt.Fprintf(b, " Gratuitous NA interval = %f\n", g.GARP.NAInterval.Seconds())
	fmt.Fprintf(b, " VRRP default protocol version = %d\n", max(g.VRRPVersion, 2))
	fmt.Fprintf(b, " VRRP check unicast_src = %t\n", g.CheckUnicastSrc)
	fmt.Fprintf(b, " VRRP skip check advert addresses = %t\n", g.SkipCheckAdvAddr)
	fmt.Fprintf(b, " VRRP strict mode = %t\n", g.Strict)
	if g.EnableScriptSecurity {
		fmt.Fprintln(b, " Script security enabled")
	} else {
		fmt.Fprintln(b, " Script security disabled")
	}
	if g.VMACPrefix != "" {
		fmt.Fprintf(b, " VMAC prefix = %s\n", g.VMACPrefix)
	}
	if g.VMACAddrPrefix != "" {
		fmt.Fprintf(b, " VMAC address prefix = %s\n", g.VMACAddrPrefix)
	}
}

func writeInstance(b *bufio.Writer, inst engine.InstanceStatus, cfg *config.Config) {
	c := inst.Config
	if c == nil {
		c = &config.Instance{}
	}
	fmt.Fprintf(b, " VRRP Instance = %s\n", inst.Name)
	fmt.Fprintf(b, "   VRRP Version = %d\n", inst.Version)
	if c.SyncGroup != "" {
		fmt.Fprintf(b, "   Sync group = %s\n", c.SyncGroup)
	}
	fmt.Fprintf(b, "   State = %s\n", inst.State)
	if inst.State == "BACKUP" && inst.Master != "" {
		fmt.Fprintf(b, "   Master router = %s\n", inst.Master)
		fmt.Fprintf(b, "   Master priority = %d\n", inst.MasterPriority)
		if inst.Version == 3 {
			fmt.Fprintf(b, "   Master advert int = %.2f sec\n", inst.MasterAdvertInt.Seconds())
		}
	}
	if c.Unicast() {
		fmt.Fprintln(b, "   Flags:\n     Using unicast")
	} else {
		fmt.Fprintln(b, "   Flags: none")
	}
	fmt.Fprintf(b, "   Wantstate = %s\n", inst.State)
	fmt.Fprintln(b, "   Number of config faults = 0")
	fmt.Fprintf(b, "   Number of interface and track script faults = %d\n", len(inst.Faults))
	fmt.Fprintf(b, "   Number of track scripts init = %d\n", trackersInit(inst))
	if !inst.Since.IsZero() {
		fmt.Fprintf(b, "   Last transition = %s\n", timestamp(inst.Since))
	}
	fmt.Fprintf(b, "   Interface = %s\n", inst.Interface)
	if c.VMAC != nil {
		fmt.Fprintf(b, "   Use VMAC, i/f %s\n", vmacName(c, cfg))
	}
	if c.UseVMACAddr {
		fmt.Fprintln(b, "   Use VMAC for VIPs on other interfaces")
	}
	if inst.Source != "" {
		from := ""
		if c.UnicastSource.IsValid() || c.MulticastSource.IsValid() {
			from = " (from configuration)"
		}
		fmt.Fprintf(b, "   Using src_ip = %s%s\n", inst.Source, from)
	}
	if !c.Unicast() && c.MulticastGroup.IsValid() {
		fmt.Fprintf(b, "   Multicast address %s\n", c.MulticastGroup)
	}
	fmt.Fprintf(b, "   Gratuitous ARP delay = %d\n", seconds(c.GARP.MasterDelay))
	fmt.Fprintf(b, "   Gratuitous ARP repeat = %d\n", c.GARP.MasterRepeat)
	fmt.Fprintf(b, "   Gratuitous ARP refresh = %d\n", seconds(c.GARP.MasterRefresh))
	fmt.Fprintf(b, "   Gratuitous ARP refresh repeat = %d\n", c.GARP.MasterRefreshRepeat)
	fmt.Fprintf(b, "   Gratuitous ARP lower priority delay = %d\n", seconds(c.GARP.LowerPrioDelay))
	fmt.Fprintf(b, "   Gratuitous ARP lower priority repeat = %d\n", c.GARP.LowerPrioRepeat)
	fmt.Fprintf(b, "   Down timer adverts = %d\n", c.DownTimerAdverts)
	fmt.Fprintf(b, "   Send advert after receive lower priority advert = %t\n", !c.LowerPrioNoAdvert)
	fmt.Fprintf(b, "   Send advert after receive higher priority advert = %t\n", c.HigherPrioSendAdvert)
	fmt.Fprintf(b, "   Virtual Router ID = %d\n", inst.VRID)
	fmt.Fprintf(b, "   Priority = %d\n", inst.BasePriority)
	fmt.Fprintf(b, "   Effective priority = %d\n", inst.Priority)
	fmt.Fprintf(b, "   Total priority = %d\n", inst.Priority)
	fmt.Fprintf(b, "   Advert interval = %s\n", advertInterval(c))
	fmt.Fprintf(b, "   Accept = %s\n", enabled(c.Accept))
	fmt.Fprintf(b, "   Preempt = %s\n", enabled(!c.Nopreempt))
	if c.PreemptDelay > 0 {
		fmt.Fprintf(b, "   Preempt delay = %g secs\n", c.PreemptDelay.Seconds())
	}
	fmt.Fprintf(b, "   Promote_secondaries = %s\n", enabled(c.PromoteSecondaries))
	switch typ, pass := authType(c); typ {
	case 1:
		fmt.Fprintln(b, "   Authentication type = SIMPLE_PASSWORD")
		fmt.Fprintf(b, "   Password = %s\n", pass)
	case 2:
		fmt.Fprintln(b, "   Authentication type = IPSEC_AH")
	default:
		fmt.Fprintln(b, "   Authentication type = none")
	}
	set := inst.State == "MASTER"
	if len(c.VirtualAddresses) > 0 {
		fmt.Fprintf(b, "   Virtual IP (%d):\n", len(c.VirtualAddresses))
		for i, a := range c.VirtualAddresses {
			fmt.Fprintf(b, "     %s\n", vipLine(a, c.Interface, runDev(inst, i), set))
		}
	}
	if len(c.ExcludedAddresses) > 0 {
		fmt.Fprintln(b, "   Virtual IP Excluded :")
		for i, a := range c.ExcludedAddresses {
			fmt.Fprintf(b, "     %s\n", vipLine(a, c.Interface, runDev(inst, len(c.VirtualAddresses)+i), set))
		}
	}
	if c.Unicast() {
		fmt.Fprintf(b, "   Unicast TTL = %d\n", c.UnicastTTL)
		fmt.Fprintf(b, "   Check unicast src : %s\n", yesNo(c.CheckUnicastSrc))
		fmt.Fprintln(b, "   Unicast Peer :")
		for _, p := range c.UnicastPeers {
			fmt.Fprintf(b, "     %s\n", peerLine(p))
		}
		fmt.Fprintf(b, "   Unicast checksum compatibility = %s\n", unicastChecksumCompat(c.OldUnicastChecksum))
	}
	var scripts []engine.TrackerStatus
	for _, t := range inst.Trackers {
		if t.Kind == "script" {
			scripts = append(scripts, t)
		}
	}
	if len(scripts) > 0 {
		fmt.Fprintln(b, "   Tracked scripts :")
		for _, t := range scripts {
			fmt.Fprintf(b, "     %s weight %d%s\n", t.Name, t.Weight, reverse(t.Reverse))
		}
	}
	fmt.Fprintf(b, "   Using smtp notification = %s\n", yesNo(c.SMTPAlert))
	if c.Notify.Deleted != nil {
		fmt.Fprintln(b, "   Notify deleted = Deleted")
	} else {
		fmt.Fprintln(b, "   Notify deleted = Fault")
	}
	fmt.Fprintf(b, "   Notify priority changes = %t\n", cfg != nil && cfg.Global.NotifyPriorityChanges)
}

// writeScripts writes the VRRP Scripts section: every vrrp_script an
// instance tracks, with its last result.
func writeScripts(b *bufio.Writer, d Dump) {
	fmt.Fprintln(b, "------< VRRP Scripts >------")
	if d.Config == nil {
		return
	}
	type tracking struct {
		inst   string
		weight int
		state  string
	}
	byScript := map[string][]tracking{}
	for _, inst := range d.Snapshot.Instances {
		for _, t := range inst.Trackers {
			if t.Kind == "script" {
				byScript[t.Name] = append(byScript[t.Name], tracking{inst.Name, t.Weight, t.State})
			}
		}
	}
	for _, s := range d.Config.Scripts {
		users, ok := byScript[s.Name]
		if !ok {
			continue // keepalived drops a script no instance tracks
		}
		result, status, initState := 0, "BAD", "unknown"
		switch users[0].state {
		case "up":
			result, status = s.Rise, "GOOD"
		case "init":
			status, initState = "INIT", "init"
		}
		fmt.Fprintf(b, " VRRP Script = %s\n", s.Name)
		fmt.Fprintf(b, "   Command = '%s'\n", strings.Join(s.Command.Args, " "))
		fmt.Fprintf(b, "   Interval = %d sec\n", seconds(s.Interval))
		fmt.Fprintf(b, "   Timeout = %d sec\n", seconds(s.Timeout))
		fmt.Fprintf(b, "   Weight = %d%s\n", s.Weight, reverse(s.Reverse))
		fmt.Fprintf(b, "   Rise = %d\n", s.Rise)
		fmt.Fprintf(b, "   Fall = %d\n", s.Fall)
		fmt.Fprintf(b, "   Result = %d\n", result)
		fmt.Fprintln(b, "   Insecure = no")
		fmt.Fprintf(b, "   Init state = %s\n", initState)
		fmt.Fprintf(b, "   Status = %s\n", status)
		fmt.Fprintln(b, "   VRRP instances :")
		fmt.Fprintln(b, "   Tracking instances :")
		for _, u := range users {
			fmt.Fprintf(b, "     %s, weight %d\n", u.inst, u.weight)
		}
		fmt.Fprintln(b, "   State = idle")
	}
}

// trackersInit counts the trackers without a first result.
func trackersInit(inst engine.InstanceStatus) int {
	n := 0
	for _, t := range inst.Trackers {
		if t.State == "init" {
			n++
		}
	}
	return n
}

// runDev is the device the engine puts inst's address i (VIPs then eVIPs) on, "" if unknown.
func runDev(inst engine.InstanceStatus, i int) string {
	if i < len(inst.Addresses) {
		return inst.Addresses[i].Interface
	}
	return ""
}

// vipLine prints a virtual address as keepalived does: "192.0.2.100/24 dev
// veth0 scope global", with " set" while it is installed. An address on a VMAC (run, when
// not its configured interface) is "dev VMAC@INTERFACE", followed by " use_vmac" when the
// address has it.
// vipLine prints an address as keepalived 2.2.7's format_ipaddress: the
// prefix length when not a host address, the broadcast, the interface (with
// its base when on a VMAC), the scope, the options, an IPv6 address's
// preferred lifetime, and "set" while installed.
func vipLine(a config.VirtualAddress, ifname, run string, set bool) string {
	var b strings.Builder
	b.WriteString(a.Prefix.Addr().String())
	if n := a.Prefix.Bits(); n != a.Prefix.Addr().BitLen() {
		fmt.Fprintf(&b, "/%d", n)
	}
	if brd, ok := a.Broadcast4(); ok {
		b.WriteString(" brd " + brd.String())
	}
	dev := a.Dev
	if dev == "" {
		dev = ifname
	}
	if run != "" && run != dev {
		dev = run + "@" + dev
	}
	b.WriteString(" dev " + dev)
	if a.UseVMAC {
		b.WriteString(" use_vmac")
	}
	scope := a.Scope
	if scope == "" {
		scope = "global"
	}
	b.WriteString(" scope " + scope)
	if a.Label != "" {
		b.WriteString(" label " + a.Label)
	}
	if a.Peer.IsValid() {
		fmt.Fprintf(&b, " peer %s/%d", a.Peer.Addr(), a.Prefix.Bits())
	}
	for _, f := range []struct {
		on   bool
		word string
	}{{a.Home, "home"}, {a.NoDAD, "-nodad"}, {a.MngTmpAddr, "mngtmpaddr"}, {a.NoPrefixRoute, "noprefixroute"}, {a.AutoJoin, "autojoin"}, {a.NoTrack, "no_track"}} {
		if f.on {
			b.WriteString(" " + f.word)
		}
	}
	if a.TrackGroup != "" {
		b.WriteString(" track_group " + a.TrackGroup)
	}
	if a.Prefix.Addr().Is6() {
		switch lft, ok := a.PreferredLifetime(); {
		case !ok:
			b.WriteString(" preferred_lft forever")
		case lft == 0:
			b.WriteString(" deprecated")
		default:
			fmt.Fprintf(&b, " preferred_lft %d", lft)
		}
	}
	if set {
		b.WriteString(" set")
	}
	return b.String()
}

func peerLine(p config.UnicastPeer) string {
	minTTL, maxTTL := 0, 255
	if p.MinTTL > 0 {
		minTTL = p.MinTTL
	}
	if p.MaxTTL > 0 {
		maxTTL = p.MaxTTL
	}
	return fmt.Sprintf("%s min_ttl %d max_ttl %d", p.Addr, minTTL, maxTTL)
}

// advertInterval prints the interval as keepalived: whole seconds for v2,
// milliseconds for v3.
func advertInterval(c *config.Instance) string {
	if c.Version == 3 && c.AdvertInt%time.Second != 0 {
		return fmt.Sprintf("%d milli-sec", c.AdvertInt.Milliseconds())
	}
	return fmt.Sprintf("%d sec", seconds(c.AdvertInt))
}

// authType returns keepalived's auth type number (0 none, 1 password, 2
// AH) and the password.
func authType(c *config.Instance) (int, string) {
	if c.Auth == nil {
		return 0, ""
	}
	switch c.Auth.Type {
	case config.AuthPass:
		return 1, c.Auth.Password
	case config.AuthAH:
		return 2, ""
	}
	return 0, ""
}

// vmacName is the use_vmac device of c.
func vmacName(c *config.Instance, cfg *config.Config) string {
	if c.VMAC.Name != "" {
		return c.VMAC.Name
	}
	prefix := "vrrp"
	if cfg != nil && cfg.Global.VMACPrefix != "" {
		prefix = cfg.Global.VMACPrefix
	}
	return fmt.Sprintf("%s.%d", prefix, c.VRID)
}

// scriptsByName indexes the vrrp_scripts of cfg.
func scriptsByName(cfg *config.Config) map[string]*config.Script {
	m := map[string]*config.Script{}
	if cfg != nil {
		for _, s := range cfg.Scripts {
			m[s.Name] = s
		}
	}
	return m
}

// stateNumber is keepalived's number for a state.
func stateNumber(state string) int {
	switch state {
	case "BACKUP":
		return 1
	case "MASTER":
		return 2
	case "FAULT":
		return 3
	}
	return 0 // INIT
}

// timestamp prints t as keepalived: "1796334371.577630 (Thu Dec  3 21:46:11.577630 2026)".
func timestamp(t time.Time) string {
	return fmt.Sprintf("%d.%06d (%s)", t.Unix(), t.Nanosecond()/1000,
		t.Format("Mon Jan _2 15:04:05.000000 2006"))
}

// epochSeconds is t in seconds since the epoch, 0 for the zero time.
func epochSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMicro()) / 1e6
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func enabled(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func reverse(r bool) string {
	if r {
		return " reverse"
	}
	return ""
}

// unicastChecksumCompat prints old_unicast_checksum as keepalived's dump
// does: no (not configured), config (configured) or never.
func unicastChecksumCompat(c config.UnicastChecksumCompat) string {
	switch c {
	case config.UnicastChecksumOld:
		return "config"
	case config.UnicastChecksumNever:
		return "never"
	}
	return "no"
}
