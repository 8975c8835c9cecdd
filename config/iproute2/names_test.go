package iproute2

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// useDirs points the iproute2 name databases at two fresh directories, standing for
// /etc/iproute2 and /usr/share/iproute2, filled with files (relative path → content), for the
// rest of the test.
func useDirs(t *testing.T, etc, share map[string]string) {
	t.Helper()
	var dirs []string
	for _, files := range []map[string]string{etc, share} {
		dir := t.TempDir()
		for name, content := range files {
			path := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		dirs = append(dirs, dir)
	}
	saved := Dirs
	Dirs = dirs
	t.Cleanup(func() { Dirs = saved })
}

// testDatabases are iproute2 name databases with one name of each kind.
func testDatabases(t *testing.T) {
	useDirs(t, map[string]string{
		"rt_tables":           "# reserved\n255\tlocal\n254\tmain\n100 vrrp # keepalived\n",
		"rt_tables.d/ha.conf": "0x200 ha\n",
		"rt_protos":           "250\thavip\n",
		"rt_scopes":           "200\tcampus\n",
		"rt_dsfield":          "0x28\tAF11\n",
		"rt_realms":           "0\tcosmos\n7\tedge\n",
		"group":               "0\tdefault\n5\tuplinks\n",
	}, map[string]string{
		"rt_protos.d/extra.conf": "251 carrier\n",
	})
}

func TestLookup(t *testing.T) {
	useDirs(t, map[string]string{
		"rt_tables":              "# comment line\n\n100\tvrrp\t# trailing comment\n0x65 hexa\nbroken\n101 shadowed\n",
		"rt_tables.d/a.conf":     "200 fromconf\n",
		"rt_tables.d/b.conf":     "201 fromconf\n",
		"rt_tables.d/ignored.tx": "202 notconf\n",
		"rt_protos":              "x12 badnumber\n",
	}, map[string]string{
		"rt_tables":          "102 shadowed\n103 shareonly\n",
		"rt_tables.d/c.conf": "104 sharedconf\n",
	})
	tests := []struct {
		db, name string
		want     uint32
		wantErr  string
	}{
		{db: "rt_tables", name: "vrrp", want: 100},
		{db: "rt_tables", name: "hexa", want: 0x65},
		{db: "rt_tables", name: "shadowed", want: 101}, // the first directory wins
		{db: "rt_tables", name: "shareonly", want: 103},
		{db: "rt_tables", name: "fromconf", want: 200}, // the first file in order wins
		{db: "rt_tables", name: "sharedconf", want: 104},
		{db: "rt_tables", name: "main", want: unix.RT_TABLE_MAIN}, // built in
		{db: "rt_tables", name: "42", want: 42},
		{db: "rt_tables", name: "0x2a", want: 42},
		{db: "rt_tables", name: "notconf", wantErr: "neither a number nor a name known to iproute2 (rt_tables in "},
		{db: "rt_tables", name: "comment", wantErr: "neither"},
		{db: "rt_realms", name: "vrrp", wantErr: "neither"}, // other database, absent files
		{db: "rt_protos", name: "badnumber", wantErr: `rt_protos:1: "x12" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.db+" "+tt.name, func(t *testing.T) {
			got, err := lookup(tt.db, tt.name, tableNames, 1<<20)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("lookup(%s, %s) = %d, %v; want an error containing %q", tt.db, tt.name, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("lookup(%s, %s) = %d, %v; want %d", tt.db, tt.name, got, err, tt.want)
			}
		})
	}
	if _, err := lookup("rt_tables", "fromconf", nil, 100); err == nil || !strings.Contains(err.Error(), "defines it as 200, out of range (0-100)") {
		t.Errorf("name defined beyond the limit: error %v", err)
	}
}

func TestNames(t *testing.T) {
	testDatabases(t)
	resolve := map[string]func(string) (uint32, error){
		"table":    Table,
		"scope":    func(s string) (uint32, error) { n, err := Scope(s); return uint32(n), err },
		"protocol": func(s string) (uint32, error) { n, err := Protocol(s); return uint32(n), err },
		"dsfield":  func(s string) (uint32, error) { n, err := DSField(s); return uint32(n), err },
		"realms":   Realms,
		"group":    Group,
	}
	tests := []struct {
		kind, value string
		want        uint32
		wantErr     string
	}{
		{kind: "table", value: "main", want: unix.RT_TABLE_MAIN},
		{kind: "table", value: "local", want: unix.RT_TABLE_LOCAL},
		{kind: "table", value: "default", want: unix.RT_TABLE_DEFAULT},
		{kind: "table", value: "vrrp", want: 100},
		{kind: "table", value: "ha", want: 0x200},
		{kind: "table", value: "4294967295", want: 4294967295},
		{kind: "table", value: "0x10", want: 16},
		{kind: "table", value: "0", wantErr: "table 0 (unspec) is not a routing table"},
		{kind: "table", value: "nosuchtable", wantErr: "neither a number nor a name known to iproute2 (rt_tables in "},
		{kind: "table", value: "4294967296", wantErr: "neither a number nor a name"},
		{kind: "scope", value: "global", want: unix.RT_SCOPE_UNIVERSE},
		{kind: "scope", value: "site", want: unix.RT_SCOPE_SITE},
		{kind: "scope", value: "link", want: unix.RT_SCOPE_LINK},
		{kind: "scope", value: "host", want: unix.RT_SCOPE_HOST},
		{kind: "scope", value: "nowhere", want: unix.RT_SCOPE_NOWHERE},
		{kind: "scope", value: "campus", want: 200},
		{kind: "scope", value: "17", want: 17},
		{kind: "scope", value: "256", wantErr: "256 is out of range (0-255)"},
		{kind: "scope", value: "galaxy", wantErr: "neither a number nor a name known to iproute2 (rt_scopes in "},
		{kind: "protocol", value: "keepalived", want: unix.RTPROT_KEEPALIVED},
		{kind: "protocol", value: "static", want: unix.RTPROT_STATIC},
		{kind: "protocol", value: "havip", want: 250},
		{kind: "protocol", value: "carrier", want: 251}, // rt_protos.d in the second directory
		{kind: "protocol", value: "0x10", want: 16},
		{kind: "protocol", value: "pigeon", wantErr: "neither a number nor a name known to iproute2 (rt_protos in "},
		{kind: "dsfield", value: "AF11", want: 0x28},
		{kind: "dsfield", value: "0x10", want: 0x10},
		{kind: "dsfield", value: "fast", wantErr: "(rt_dsfield in "},
		{kind: "dsfield", value: "300", wantErr: "300 is out of range (0-255)"},
		{kind: "realms", value: "3/4", want: 3<<16 | 4},
		{kind: "realms", value: "cosmos/edge", want: 7},
		{kind: "realms", value: "edge", want: 7},
		{kind: "realms", value: "edge/", want: 7 << 16},
		{kind: "realms", value: "0x70001", want: 0x70001},
		{kind: "realms", value: "unknown/edge", want: 7},
		{kind: "realms", value: "nowhere/edge", wantErr: `realm "nowhere": neither a number nor a name known to iproute2 (rt_realms in `},
		{kind: "realms", value: "300/1", wantErr: `realm "300": 300 is out of range (0-255)`},
		{kind: "group", value: "default", want: 0},
		{kind: "group", value: "uplinks", want: 5},
		{kind: "group", value: "2147483648", wantErr: "2147483648 is out of range (0-2147483647)"},
		{kind: "group", value: "downlinks", wantErr: "(group in "},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.value, func(t *testing.T) {
			got, err := resolve[tt.kind](tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("%s %q = %d, %v; want an error containing %q", tt.kind, tt.value, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("%s %q = %d, %v; want %d", tt.kind, tt.value, got, err, tt.want)
			}
		})
	}
}

func TestBuiltinNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{TableName(unix.RT_TABLE_MAIN), "main"},
		{TableName(unix.RT_TABLE_LOCAL), "local"},
		{TableName(100), "100"},
		{ScopeName(unix.RT_SCOPE_LINK), "link"},
		{ScopeName(17), "17"},
		{ProtocolName(unix.RTPROT_KEEPALIVED), "keepalived"},
		{ProtocolName(250), "250"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("name %q, want %q", tt.got, tt.want)
		}
	}
	if n := (Named[uint8]{ID: 18}); n.Set() {
		t.Error("a Named without its word is set")
	}
	if b, _ := ProtocolKeepalived.MarshalText(); string(b) != "keepalived" {
		t.Errorf("MarshalText = %q", b)
	}
}
