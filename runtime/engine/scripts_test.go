package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havip/havip/config"
)

func TestCheckScripts(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.sh", "#!/bin/sh\nexit 0\n", 0o755)
	plain := write("plain.sh", "#!/bin/sh\nexit 0\n", 0o644)
	noShell := write("noshell.sh", "#!/nonexistent/sh\nexit 0\n", 0o755)
	conf := `global_defs {
    script_user root
}
vrrp_script chk_missing {
    script "/nonexistent/chk.sh"
}
vrrp_script chk_plain {
    script "` + plain + `"
}
vrrp_script chk_bare {
    script "true"
}
vrrp_script chk_noshell {
    script "` + noShell + `"
}
vrrp_script chk_probe {
    script "/nonexistent/havip probe tcp 127.0.0.1:80"
}
vrrp_script chk_good {
    script "` + good + ` --flag"
}
vrrp_script chk_unused {
    script "/nonexistent/unused.sh"
}
vrrp_instance VI_1 {
    state BACKUP
    interface lo
    virtual_router_id 51
    priority 100
    notify_master "/nonexistent/notify.sh"
    notify_backup "` + good + `"
    track_script {
        chk_missing
        chk_plain
        chk_bare
        chk_noshell
        chk_probe
        chk_good
    }
    virtual_ipaddress {
        192.0.2.10/24
    }
}
`
	cfg, diags := config.ParseBytes("keepalived.conf", []byte(conf), config.Options{ConfigID: "node1"})
	if diags.HasErrors() {
		t.Fatalf("config does not parse: %v", diags.Err())
	}
	var got []string
	for _, d := range CheckScripts(cfg) {
		got = append(got, d.String())
	}
	want := []string{
		`keepalived.conf:4: warning: vrrp_script chk_missing: script "/nonexistent/chk.sh" is not found: /nonexistent/chk.sh does not exist`,
		`keepalived.conf:7: warning: vrrp_script chk_plain: script "` + plain + `" is not executable`,
		`keepalived.conf:10: warning: vrrp_script chk_bare: script "true" is found by PATH search at /`,
		`keepalived.conf:13: warning: vrrp_script chk_noshell: script "` + noShell + `": ` + noShell + ` is run by /nonexistent/sh`,
		`keepalived.conf:25: warning: vrrp_instance VI_1 notify_master: script "/nonexistent/notify.sh" is not found`,
	}
	if len(got) != len(want) {
		t.Fatalf("CheckScripts reported %d diagnostics, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("diagnostic %d:\n got %s\nwant %s…", i, got[i], want[i])
		}
	}
}
