package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestKeywordTables reads every keyword of every block keyword table in its
// block, bare, with an argument and with a block: each is known there, and
// its entry runs on the block's state without panicking.
func TestKeywordTables(t *testing.T) {
	const (
		vs = "virtual_server 192.0.2.1 80 {\n%s\n}\n"
		rs = "virtual_server 192.0.2.1 80 {\nreal_server 192.0.2.2 80 {\n%s\n}\n}\n"
	)
	type table struct {
		block    string
		keywords []string
		config   string // the config with %s for the statement
	}
	tables := []table{
		{"vrrp_instance", slices.Sorted(maps.Keys(instanceKeywords)), "vrrp_instance VI_1 {\n%s\n}\n"},
		{"authentication", slices.Sorted(maps.Keys(authKeywords)), "vrrp_instance VI_1 {\nauthentication {\n%s\n}\n}\n"},
		{"vrrp_script", slices.Sorted(maps.Keys(scriptKeywords)), "vrrp_script chk {\n%s\n}\n"},
		{"vrrp_track_process", slices.Sorted(maps.Keys(trackProcessKeywords)), "vrrp_track_process proc {\n%s\n}\n"},
		{"track_file", slices.Sorted(maps.Keys(trackFileKeywords)), "track_file f {\n%s\n}\n"},
		{"vrrp_track_file", slices.Sorted(maps.Keys(trackFileKeywords)), "vrrp_track_file f {\n%s\n}\n"},
		{"vrrp_sync_group", slices.Sorted(maps.Keys(syncGroupKeywords)), "vrrp_sync_group G {\n%s\n}\n"},
		{"virtual_server", slices.Sorted(maps.Keys(virtualServerKeywords)), vs},
		{"real_server", slices.Sorted(maps.Keys(realServerKeywords)), rs},
		{"url", slices.Sorted(maps.Keys(urlKeywords)), fmt.Sprintf(rs, "HTTP_GET {\nurl {\n%s\n}\n}")},
		{"SMTP_CHECK host", slices.Sorted(maps.Keys(smtpHostKeywords)), fmt.Sprintf(rs, "SMTP_CHECK {\nhost {\n%s\n}\n}")},
	}
	for _, typ := range checkerTypes {
		tables = append(tables, table{typ, slices.Sorted(maps.Keys(checkerKeywords[typ])), fmt.Sprintf(rs, typ+" {\n%s\n}")})
	}
	for _, tt := range tables {
		t.Run(tt.block, func(t *testing.T) {
			if len(tt.keywords) == 0 {
				t.Fatal("no keywords")
			}
			for _, kw := range tt.keywords {
				for _, stmt := range []string{kw, kw + " 1", kw + " {\n}"} {
					src := fmt.Sprintf(tt.config, stmt)
					_, diags := ParseBytes("keywords.conf", []byte(src), Options{ConfigID: "test"})
					for _, d := range diags {
						if strings.Contains(d.Msg, "unknown keyword '"+kw+"'") {
							t.Errorf("%q in %s: %s", stmt, tt.block, d)
						}
					}
				}
			}
		})
	}
}
