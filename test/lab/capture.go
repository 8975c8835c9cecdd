package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// captureStartTimeout bounds waiting for tshark to report that it is capturing.
const captureStartTimeout = 15 * time.Second

// captureFlushTimeout bounds waiting for frames to reach the pcap file at Stop;
// dumpcap hands over kernel ring blocks at least every quarter second or so.
const captureFlushTimeout = 10 * time.Second

// captureQuietPeriod is how long the pcap file must stay unchanged at Stop when the
// end marker cannot be sent (the interface is down): longer than dumpcap's block timeout.
const captureQuietPeriod = time.Second

// Capture is a running tshark capture started by Node.Capture.
type Capture struct {
	proc   *Process
	pcap   string
	node   *Node
	iface  string
	marker captureMarker
}

// Capture starts `tshark -i iface -f filter -w FILE` in n's namespace, FILE being a
// fresh pcapng file under t.TempDir(). It returns once tshark's dumpcap is capturing,
// so every frame sent afterwards is in the file. An empty filter captures everything.
//
// The filter is widened by one frame of EtherType 0x88b5 that Stop sends to iface's
// own MAC to learn that the file is complete; raw readers of the file see it, the
// Decode functions ignore it. iface must be a named interface, not "any".
func (n *Node) Capture(t testing.TB, iface, filter string) *Capture {
	t.Helper()
	if iface == "any" || iface == "" {
		t.Fatalf("lab: Capture in %s: interface %q; name one Ethernet interface", n.NS, iface)
	}
	marker, err := newCaptureMarker()
	if err != nil {
		t.Fatalf("lab: Capture in %s: %v", n.NS, err)
	}
	pcap := filepath.Join(t.TempDir(), fmt.Sprintf("%s-%s-%d.pcapng", n.NS, safeFileName(iface), processCounter.Add(1)))
	args := []string{"tshark", "-n", "-q", "-i", iface, "-w", pcap}
	if f := marker.filter(filter); f != "" {
		args = append(args, "-f", f)
	}
	p := n.Start(t, "tshark-"+iface, args...)
	c := &Capture{proc: p, pcap: pcap, node: n, iface: iface, marker: marker}
	// tshark prints "Capturing on" before its dumpcap child has opened the
	// interface; "Capture started." follows once dumpcap captures and writes FILE.
	started := Poll(captureStartTimeout, pollEvery, func() bool {
		return strings.Contains(p.Output(), "Capture started.") || p.exited()
	})
	if !started || p.exited() {
		t.Fatalf("lab: tshark on %s %s (filter %q) did not start capturing: %s", n.NS, iface, filter, p.Output())
	}
	return c
}

// Path returns the pcapng file. The Decode functions may read it while the capture
// is still running (they see the frames dumpcap has flushed so far), e.g. inside
// Eventually.
func (c *Capture) Path() string {
	return c.pcap
}

// Stop waits until every frame captured before the call is in the file, ends tshark
// with SIGINT, waits for it to exit, and returns the path of the pcapng file.
//
// Completeness is learnt from the end marker (see Capture). When the marker cannot
// be sent, typically because iface is down, Stop instead waits until the file has
// not changed for a second.
func (c *Capture) Stop(t testing.TB) string {
	t.Helper()
	if !c.proc.exited() {
		c.flush(t)
		// Only tshark: it stops dumpcap cleanly, whereas a SIGINT to the whole
		// process group kills dumpcap before it writes its last block.
		if err := c.proc.Signal(syscall.SIGINT); err != nil && !c.proc.exited() {
			t.Fatalf("lab: stopping tshark on %s %s: %v", c.node.NS, c.iface, err)
		}
	}
	if err := c.proc.Wait(15 * time.Second); err != nil {
		t.Fatalf("lab: tshark on %s %s: %v\n%s", c.node.NS, c.iface, err, c.proc.Output())
	}
	return c.pcap
}

// flush waits until the frames captured so far are in the file.
func (c *Capture) flush(t testing.TB) {
	t.Helper()
	if err := c.marker.send(c.node.NS, c.iface); err != nil {
		t.Logf("lab: %v; waiting for the capture file to settle instead", err)
		var lastSize int64 = -1
		lastChange := time.Now()
		settled := Poll(captureFlushTimeout, pollEvery, func() bool {
			info, err := os.Stat(c.pcap)
			if err != nil {
				return false
			}
			if info.Size() != lastSize {
				lastSize, lastChange = info.Size(), time.Now()
			}
			return time.Since(lastChange) >= captureQuietPeriod
		})
		if !settled {
			t.Fatalf("lab: capture file %s still growing after %v", c.pcap, captureFlushTimeout)
		}
		return
	}
	if !Poll(captureFlushTimeout, pollEvery, func() bool { return c.marker.inFile(c.pcap) || c.proc.exited() }) {
		t.Fatalf("lab: tshark on %s %s: end marker not in %s after %v", c.node.NS, c.iface, c.pcap, captureFlushTimeout)
	}
}

// tsharkFields runs `tshark -r pcap -Y displayFilter -T fields -e f...` plus extra
// options and returns one line per matching frame. Fields with several occurrences
// are joined with ','.
func tsharkFields(t testing.TB, pcap, displayFilter string, fields []string, extra []string) []string {
	t.Helper()
	args := append([]string{"-n", "-r", pcap}, extra...)
	args = append(args, "-Y", displayFilter, "-T", "fields",
		"-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,", "-E", "quote=n")
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := runCommand("tshark", args...)
	// A capture that is still running may end in a half-written frame; the frames
	// before it are complete.
	if err != nil && !strings.Contains(out, "cut short in the middle of a packet") {
		t.Fatalf("lab: decoding %s: %v\n%s", pcap, err, out)
	}
	var lines []string
	for _, line := range strings.Split(out, "\n") {
		// tshark warns on stderr (merged here) when run as root; frames have all fields.
		if strings.Count(line, "|") == len(fields)-1 {
			lines = append(lines, line)
		}
	}
	return lines
}

// VRRPPacket is one VRRP advertisement as tshark decodes it.
type VRRPPacket struct {
	Time          float64 // seconds since the Unix epoch (frame.time_epoch)
	EthSrc        string  // lower case, colon separated
	IPSrc, IPDst  string
	TTL, HopLimit int    // IPv4 TTL or IPv6 hop limit; the other is 0
	DSField       string // IPv4 DS field or IPv6 traffic class, "0xc0" form
	Version       int
	VRID          int
	Priority      int
	Count         int // address count field
	AdverInt      int // v2 seconds or v3 centiseconds
	AuthType      int // v2 only
	Checksum      string
	ChecksumGood  bool // tshark verified the checksum (status 1)
	Addrs         []string
}

// vrrpFields are the tshark fields parseVRRP expects, in order.
var vrrpFields = []string{
	"frame.time_epoch", "eth.src", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
	"ip.ttl", "ipv6.hlim", "ip.dsfield", "ipv6.tclass",
	"vrrp.version", "vrrp.virt_rtr_id", "vrrp.prio", "vrrp.addr_count",
	"vrrp.adver_int", "vrrp.short_adver_int", "vrrp.auth_type",
	"vrrp.checksum", "vrrp.checksum.status", "vrrp.ip_addr", "vrrp.ipv6_addr",
}

// DecodeVRRP decodes every VRRP advertisement in pcap with tshark (VRRP quoted inside
// ICMP errors is left out). extraTsharkArgs are added to the tshark command line,
// e.g. "-o", "vrrp.v3_checksum_as_in_v2:TRUE" for message-only IPv4 v3 checksums.
func DecodeVRRP(t testing.TB, pcap string, extraTsharkArgs ...string) []VRRPPacket {
	t.Helper()
	var pkts []VRRPPacket
	for _, line := range tsharkFields(t, pcap, "vrrp && !icmp && !icmpv6", vrrpFields, extraTsharkArgs) {
		p, err := parseVRRP(line)
		if err != nil {
			t.Fatalf("lab: %s: %v", pcap, err)
		}
		pkts = append(pkts, p)
	}
	return pkts
}

// fieldReader walks one '|'-separated tshark line and remembers the first error.
type fieldReader struct {
	names  []string
	values []string
	err    error
}

func newFieldReader(line string, names []string) (*fieldReader, error) {
	values := strings.Split(line, "|")
	if len(values) != len(names) {
		return nil, fmt.Errorf("tshark line %q has %d fields, want %d (%s)", line, len(values), len(names), strings.Join(names, " "))
	}
	return &fieldReader{names: names, values: values}, nil
}

// str returns the first occurrence of field i.
func (r *fieldReader) str(i int) string {
	v, _, _ := strings.Cut(r.values[i], ",")
	return strings.TrimSpace(v)
}

// list returns every occurrence of field i.
func (r *fieldReader) list(i int) []string {
	if strings.TrimSpace(r.values[i]) == "" {
		return nil
	}
	var out []string
	for _, v := range strings.Split(r.values[i], ",") {
		out = append(out, strings.TrimSpace(v))
	}
	return out
}

// either returns field i, or field j when i is empty.
func (r *fieldReader) either(i, j int) string {
	if v := r.str(i); v != "" {
		return v
	}
	return r.str(j)
}

// num parses field i as a decimal or 0x-prefixed integer; empty is 0.
func (r *fieldReader) num(i int) int {
	return r.parseNum(i, r.str(i))
}

func (r *fieldReader) parseNum(i int, v string) int {
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 0, 64)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("tshark field %s = %q: want an integer", r.names[i], v)
	}
	return int(n)
}

// numEither parses field i, or field j when i is empty.
func (r *fieldReader) numEither(i, j int) int {
	if v := r.str(i); v != "" {
		return r.parseNum(i, v)
	}
	return r.num(j)
}

// flag parses a tshark boolean ("1"/"0", "True"/"False"); empty is false.
func (r *fieldReader) flag(i int) bool {
	switch strings.ToLower(r.str(i)) {
	case "", "0", "false":
		return false
	case "1", "true":
		return true
	default:
		if r.err == nil {
			r.err = fmt.Errorf("tshark field %s = %q: want a boolean", r.names[i], r.str(i))
		}
		return false
	}
}

// time parses field i as seconds.
func (r *fieldReader) time(i int) float64 {
	v := r.str(i)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("tshark field %s = %q: want seconds", r.names[i], v)
	}
	return f
}

// dsField formats the IPv4 DS field (i) or IPv6 traffic class (j) as "0x%02x".
func (r *fieldReader) dsField(i, j int) string {
	idx := i
	if r.str(i) == "" {
		idx = j
	}
	if r.str(idx) == "" {
		return ""
	}
	return fmt.Sprintf("0x%02x", r.num(idx))
}

func parseVRRP(line string) (VRRPPacket, error) {
	r, err := newFieldReader(line, vrrpFields)
	if err != nil {
		return VRRPPacket{}, err
	}
	p := VRRPPacket{
		Time:         r.time(0),
		EthSrc:       strings.ToLower(r.str(1)),
		IPSrc:        r.either(2, 3),
		IPDst:        r.either(4, 5),
		TTL:          r.num(6),
		HopLimit:     r.num(7),
		DSField:      r.dsField(8, 9),
		Version:      r.num(10),
		VRID:         r.num(11),
		Priority:     r.num(12),
		Count:        r.num(13),
		AdverInt:     r.numEither(14, 15),
		AuthType:     r.num(16),
		Checksum:     r.str(17),
		ChecksumGood: r.str(18) == "1",
		Addrs:        append(r.list(19), r.list(20)...),
	}
	return p, r.err
}

// ARPPacket is one ARP frame as tshark decodes it.
type ARPPacket struct {
	Time                float64 // seconds since the Unix epoch
	EthSrc, EthDst      string
	Op                  int // 1 request, 2 reply
	SenderMAC, SenderIP string
	TargetMAC, TargetIP string
	Gratuitous          bool // tshark's arp.isgratuitous (sender IP == target IP)
}

var arpFields = []string{
	"frame.time_epoch", "eth.src", "eth.dst", "arp.opcode",
	"arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4", "arp.isgratuitous",
}

// DecodeARP decodes every ARP frame in pcap with tshark.
func DecodeARP(t testing.TB, pcap string) []ARPPacket {
	t.Helper()
	var pkts []ARPPacket
	for _, line := range tsharkFields(t, pcap, "arp", arpFields, nil) {
		p, err := parseARP(line)
		if err != nil {
			t.Fatalf("lab: %s: %v", pcap, err)
		}
		pkts = append(pkts, p)
	}
	return pkts
}

func parseARP(line string) (ARPPacket, error) {
	r, err := newFieldReader(line, arpFields)
	if err != nil {
		return ARPPacket{}, err
	}
	p := ARPPacket{
		Time:       r.time(0),
		EthSrc:     strings.ToLower(r.str(1)),
		EthDst:     strings.ToLower(r.str(2)),
		Op:         r.num(3),
		SenderMAC:  strings.ToLower(r.str(4)),
		SenderIP:   r.str(5),
		TargetMAC:  strings.ToLower(r.str(6)),
		TargetIP:   r.str(7),
		Gratuitous: r.flag(8),
	}
	return p, r.err
}

// NAPacket is one ICMPv6 Neighbor Advertisement (type 136) as tshark decodes it.
type NAPacket struct {
	Time                        float64 // seconds since the Unix epoch
	EthSrc, IPSrc, IPDst        string
	HopLimit                    int
	Target                      string
	TargetLLAddr                string // target link-layer address option, "" if absent
	Router, Solicited, Override bool
}

var naFields = []string{
	"frame.time_epoch", "eth.src", "ipv6.src", "ipv6.dst", "ipv6.hlim",
	"icmpv6.nd.na.target_address", "icmpv6.opt.type", "icmpv6.opt.linkaddr",
	"icmpv6.nd.na.flag.r", "icmpv6.nd.na.flag.s", "icmpv6.nd.na.flag.o",
}

// DecodeNA decodes every Neighbor Advertisement in pcap with tshark.
func DecodeNA(t testing.TB, pcap string) []NAPacket {
	t.Helper()
	var pkts []NAPacket
	for _, line := range tsharkFields(t, pcap, "icmpv6.type == 136", naFields, nil) {
		p, err := parseNA(line)
		if err != nil {
			t.Fatalf("lab: %s: %v", pcap, err)
		}
		pkts = append(pkts, p)
	}
	return pkts
}

// ndOptTargetLLAddr is the NDP option type of the target link-layer address.
const ndOptTargetLLAddr = "2"

func parseNA(line string) (NAPacket, error) {
	r, err := newFieldReader(line, naFields)
	if err != nil {
		return NAPacket{}, err
	}
	p := NAPacket{
		Time:      r.time(0),
		EthSrc:    strings.ToLower(r.str(1)),
		IPSrc:     r.str(2),
		IPDst:     r.str(3),
		HopLimit:  r.num(4),
		Target:    r.str(5),
		Router:    r.flag(8),
		Solicited: r.flag(9),
		Override:  r.flag(10),
	}
	// Link-layer address options (types 1 and 2) each carry one icmpv6.opt.linkaddr,
	// in option order; other option types carry none.
	var llTypes []string
	for _, typ := range r.list(6) {
		if typ == "1" || typ == ndOptTargetLLAddr {
			llTypes = append(llTypes, typ)
		}
	}
	addrs := r.list(7)
	if len(addrs) != len(llTypes) {
		return p, fmt.Errorf("tshark NA line %q: %d link-layer options but %d addresses", line, len(llTypes), len(addrs))
	}
	for i, typ := range llTypes {
		if typ == ndOptTargetLLAddr {
			p.TargetLLAddr = strings.ToLower(addrs[i])
		}
	}
	return p, r.err
}

// DecodeIGMPGroups returns the multicast groups of every IGMP membership
// report (v1, v2 or v3 group records) in pcap, as tshark decodes them, in
// order; a v3 report naming several groups adds each.
func DecodeIGMPGroups(t testing.TB, pcap string) []string {
	t.Helper()
	var groups []string
	// Two fields, so that tsharkFields tells frames from tshark's warnings.
	for _, line := range tsharkFields(t, pcap, "igmp.type == 0x12 || igmp.type == 0x16 || igmp.type == 0x22", []string{"frame.number", "igmp.maddr"}, nil) {
		_, maddrs, _ := strings.Cut(line, "|")
		for _, g := range strings.Split(maddrs, ",") {
			if g != "" {
				groups = append(groups, g)
			}
		}
	}
	return groups
}
