// Package iproute2 resolves the values of ip-route and ip-rule words, as keepalived's
// virtual_routes and virtual_rules write them, to the numbers the kernel takes: table, scope,
// protocol, dsfield, realm and group names from iproute2's databases, and the route and rule
// options. The configuration parser resolves them once; the netlink side takes the numbers.
package iproute2

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Named is a number resolved from a word of the configuration, with that word as written so that
// it prints as written. The zero value is a word not configured.
type Named[T uint8 | uint32] struct {
	ID   T
	Word string // as written; "" = not configured, ID is then the default
}

// Set reports whether the value was configured.
func (n Named[T]) Set() bool { return n.Word != "" }

// MarshalText encodes the value as written.
func (n Named[T]) MarshalText() ([]byte, error) { return []byte(n.Word), nil }

// Table resolves a routing table number or name (main, local, default or one from rt_tables);
// table 0 (unspec) is refused, as keepalived refuses it.
func Table(s string) (uint32, error) {
	id, err := lookup("rt_tables", s, tableNames, math.MaxUint32)
	if err != nil {
		return 0, err
	}
	if id == unix.RT_TABLE_UNSPEC {
		return 0, errors.New("table 0 (unspec) is not a routing table")
	}
	return id, nil
}

// Scope resolves a route scope number or name (global, site, link, host, nowhere or one from
// rt_scopes).
func Scope(s string) (uint8, error) {
	id, err := lookup("rt_scopes", s, scopeNames, math.MaxUint8)
	return uint8(id), err
}

// Protocol resolves a routing protocol number or name (kernel, boot, static, keepalived, ... or one
// from rt_protos).
func Protocol(s string) (uint8, error) {
	id, err := lookup("rt_protos", s, protocolNames, math.MaxUint8)
	return uint8(id), err
}

// DSField resolves a tos / dsfield number or a name from rt_dsfield.
func DSField(s string) (uint8, error) {
	id, err := lookup("rt_dsfield", s, nil, math.MaxUint8)
	return uint8(id), err
}

// Group resolves an interface group number or a name from group.
func Group(s string) (uint32, error) {
	return lookup("group", s, groupNames, math.MaxInt32)
}

// Realms resolves iproute2 realms: a raw 32-bit number, or [FROM/]TO with each realm a number up
// to 255 or a name from rt_realms; the source realm is the upper 16 bits.
func Realms(s string) (uint32, error) {
	if n, err := strconv.ParseUint(s, 0, 32); err == nil {
		return uint32(n), nil
	}
	from, to, hasFrom := strings.Cut(s, "/")
	if !hasFrom {
		from, to = "", s
	}
	var realms uint32
	for _, part := range []string{from, to} {
		realms <<= 16
		if part == "" {
			continue
		}
		id, err := lookup("rt_realms", part, realmNames, math.MaxUint8)
		if err != nil {
			return 0, fmt.Errorf("realm %q: %w", part, err)
		}
		realms |= id
	}
	return realms, nil
}

// ProtocolKeepalived is keepalived's routing protocol (RTPROT_KEEPALIVED), which marks the routes
// and rules it tracks.
var ProtocolKeepalived = Named[uint8]{ID: unix.RTPROT_KEEPALIVED, Word: "keepalived"}

// Names iproute2 knows without its database files.
var (
	tableNames = map[string]uint32{"main": unix.RT_TABLE_MAIN, "local": unix.RT_TABLE_LOCAL, "default": unix.RT_TABLE_DEFAULT}
	scopeNames = map[string]uint32{"global": unix.RT_SCOPE_UNIVERSE, "site": unix.RT_SCOPE_SITE, "link": unix.RT_SCOPE_LINK,
		"host": unix.RT_SCOPE_HOST, "nowhere": unix.RT_SCOPE_NOWHERE}
	protocolNames = map[string]uint32{
		"redirect": unix.RTPROT_REDIRECT, "kernel": unix.RTPROT_KERNEL, "boot": unix.RTPROT_BOOT,
		"static": unix.RTPROT_STATIC, "gated": unix.RTPROT_GATED, "ra": unix.RTPROT_RA, "mrt": unix.RTPROT_MRT,
		"zebra": unix.RTPROT_ZEBRA, "bird": unix.RTPROT_BIRD, "dnrouted": unix.RTPROT_DNROUTED,
		"xorp": unix.RTPROT_XORP, "ntk": unix.RTPROT_NTK, "dhcp": unix.RTPROT_DHCP,
		"keepalived": unix.RTPROT_KEEPALIVED, "babel": unix.RTPROT_BABEL, "openr": unix.RTPROT_OPENR,
		"bgp": unix.RTPROT_BGP, "isis": unix.RTPROT_ISIS, "ospf": unix.RTPROT_OSPF, "rip": unix.RTPROT_RIP,
		"eigrp": unix.RTPROT_EIGRP,
	}
	realmNames = map[string]uint32{"unknown": 0}
	groupNames = map[string]uint32{"default": 0}
)

// builtinName returns the built-in name of id in names, or its decimal number.
func builtinName(names map[string]uint32, id uint32) string {
	for name, n := range names {
		if n == id {
			return name
		}
	}
	return strconv.FormatUint(uint64(id), 10)
}

// TableName, ScopeName and ProtocolName print a number as iproute2 does without its database
// files: a built-in name, else the number.
func TableName(id uint32) string   { return builtinName(tableNames, id) }
func ScopeName(id uint8) string    { return builtinName(scopeNames, uint32(id)) }
func ProtocolName(id uint8) string { return builtinName(protocolNames, uint32(id)) }

// Dirs are the directories holding iproute2's name databases (rt_tables, rt_protos, ...), searched
// in order; the first definition of a name wins. Tests point them elsewhere.
var Dirs = []string{"/etc/iproute2", "/usr/share/iproute2"}

// lookup resolves s the way iproute2 resolves a value from its database db (e.g. "rt_tables"): a
// number (decimal, 0x hex or 0 octal) up to limit, a built-in name, or a name defined in db or
// db.d/*.conf in one of Dirs.
func lookup(db, s string, builtin map[string]uint32, limit uint32) (uint32, error) {
	if n, err := strconv.ParseUint(s, 0, 32); err == nil {
		if n > uint64(limit) {
			return 0, fmt.Errorf("%d is out of range (0-%d)", n, limit)
		}
		return uint32(n), nil
	}
	if id, ok := builtin[s]; ok {
		return id, nil
	}
	for _, dir := range Dirs {
		confs, err := filepath.Glob(filepath.Join(dir, db+".d", "*.conf"))
		if err != nil {
			return 0, err
		}
		for _, path := range append([]string{filepath.Join(dir, db)}, confs...) {
			id, found, err := lookupName(path, s)
			switch {
			case err != nil:
				return 0, err
			case found && id > limit:
				return 0, fmt.Errorf("%s defines it as %d, out of range (0-%d)", path, id, limit)
			case found:
				return id, nil
			}
		}
	}
	return 0, fmt.Errorf("neither a number nor a name known to iproute2 (%s in %s)", db, strings.Join(Dirs, ", "))
}

// lookupName finds name in an iproute2 database file of "NUMBER NAME" lines with # comments. A
// missing file defines nothing.
func lookupName(path, name string) (id uint32, found bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	return scanName(f, path, name)
}

// scanName finds name in r, an iproute2 database read from path (named in errors).
func scanName(r io.Reader, path, name string) (id uint32, found bool, err error) {
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) < 2 || fields[1] != name {
			continue
		}
		num, base := fields[0], 10
		if hex, ok := strings.CutPrefix(num, "0x"); ok {
			num, base = hex, 16
		}
		n, err := strconv.ParseUint(num, base, 32)
		if err != nil {
			return 0, false, fmt.Errorf("%s:%d: %q is not a number", path, line, fields[0])
		}
		return uint32(n), true, nil
	}
	if err := sc.Err(); err != nil {
		return 0, false, fmt.Errorf("read %s: %w", path, err)
	}
	return 0, false, nil
}
