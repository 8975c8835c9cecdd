package netif

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

// routingTable resolves a table number or name; "" is main.
func routingTable(s string) (uint32, error) {
	if s == "" {
		return unix.RT_TABLE_MAIN, nil
	}
	id, err := iproute2ID("rt_tables", s, tableNames, math.MaxUint32)
	if err != nil {
		return 0, fmt.Errorf("table %q: %w", s, err)
	}
	if id == unix.RT_TABLE_UNSPEC {
		return 0, fmt.Errorf("table %q: table 0 (unspec) is not a routing table", s)
	}
	return id, nil
}

// Names iproute2 knows without its database files.
var (
	tableNames  = map[string]uint32{"main": unix.RT_TABLE_MAIN, "local": unix.RT_TABLE_LOCAL, "default": unix.RT_TABLE_DEFAULT}
	routeScopes = map[string]uint32{"global": uint32(ScopeGlobal), "site": uint32(ScopeSite), "link": uint32(ScopeLink),
		"host": uint32(ScopeHost), "nowhere": uint32(ScopeNowhere)}
	routeProtocols = map[string]uint32{
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

// iproute2Dirs are the directories holding iproute2's name databases (rt_tables, rt_protos, ...),
// searched in order; the first definition of a name wins. Tests point them elsewhere.
var iproute2Dirs = []string{"/etc/iproute2", "/usr/share/iproute2"}

// iproute2ID resolves s the way iproute2 resolves a value from its database db (e.g. "rt_tables"):
// a number (decimal, 0x hex or 0 octal) up to limit, a built-in name, or a name defined in db or
// db.d/*.conf in one of iproute2Dirs.
func iproute2ID(db, s string, builtin map[string]uint32, limit uint32) (uint32, error) {
	if n, err := strconv.ParseUint(s, 0, 32); err == nil {
		if n > uint64(limit) {
			return 0, fmt.Errorf("%d is out of range (0-%d)", n, limit)
		}
		return uint32(n), nil
	}
	if id, ok := builtin[s]; ok {
		return id, nil
	}
	for _, dir := range iproute2Dirs {
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
	return 0, fmt.Errorf("neither a number nor a name known to iproute2 (%s in %s)", db, strings.Join(iproute2Dirs, ", "))
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
