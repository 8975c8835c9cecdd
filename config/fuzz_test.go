package config

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// addCorpus seeds a fuzz target with every corpus config and a few
// grammar corner cases.
func addCorpus(f *testing.F) {
	files, _ := filepath.Glob("testdata/diff/*.conf")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"x { y { z } }\n}\n{\n",
		"$A=1\n$B=$A $A\n~SEQ(i,1,3) ~LST(j,a,b) v ${i}$j $B\n",
		"$M=a \\\n b \\\n c\n@^x $M\n",
		`notify_master "a\x41\101'b c'" u g` + "\n",
		"garp_group {\ngarp_interval 0\ninterface e\ninterfaces {\nf\ne\n}\n}\ngarp_group { gna_interval 0.5 interface e }\n",
		"vrrp_instance V { interface e\nvirtual_router_id 1\nvirtual_ipaddress { 2001:db8::1 dev e scope link }\nunicast_peer { 2001:db8::2 min_ttl 1 }\n}\n",
		"global_defs {\nvrrp_garp_extra_if all 5\nfifo_write_vrrp_states_on_reload\nstartup_script /bin/u\nshutdown_script_timeout 3\n}\n" +
			"vrrp_instance V {\ninterface e\nvirtual_router_id 1\nversion 3\nold_unicast_checksum\ngarp_extra_if 0\n" +
			"unicast_peer {\n192.0.2.2\n}\nvirtual_ipaddress {\n192.0.2.1\n}\n}\n",
		"global_defs {\nlvs_sync_daemon e V 3 maxlen 1400 port 0 ttl 2 group ff05::81 x\n}\nvrrp_instance V { interface e\nvirtual_router_id 1\n}\n",
		"vrrp_instance V { interface e\nvirtual_router_id 1\nlvs_sync_daemon_interface f\n}\n",
	} {
		f.Add([]byte(s))
	}
}

// fuzzable drops inputs with include lines: they would read files of the
// host running the fuzzer.
func fuzzable(data []byte) bool {
	return !bytes.Contains(data, []byte("include"))
}

var fuzzOpts = Options{ConfigID: "fuzz", LookupEnv: func(string) (string, bool) { return "env", true }}

// FuzzLex runs the line reader and both tokenisers on arbitrary input.
func FuzzLex(f *testing.F) {
	addCorpus(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if !fuzzable(data) {
			return
		}
		rep := &reporter{}
		lx := newLexer(rep, fuzzOpts)
		lx.lexFile("fuzz.conf", data)
		for _, l := range lx.out {
			if l.pos.Line < 1 {
				t.Fatalf("line without position: %+v", l)
			}
			splitPlain(l.text)
			splitQuotedEscaped(l.text)
		}
	})
}

// FuzzParse parses arbitrary input; a config without errors must print
// to text that parses back, without errors, to an Equal model.
func FuzzParse(f *testing.F) {
	addCorpus(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if !fuzzable(data) {
			return
		}
		cfg, diags := ParseBytes("fuzz.conf", data, fuzzOpts)
		if cfg == nil {
			t.Fatal("nil config")
		}
		text := Format(cfg)
		again, diags2 := ParseBytes("formatted.conf", text, fuzzOpts)
		if diags.HasErrors() {
			return
		}
		if diags2.HasErrors() {
			t.Fatalf("formatted config has errors:\n%v\ninput:\n%s\nformatted:\n%s", diags2.Err(), data, text)
		}
		if !cfg.Equal(again) {
			t.Fatalf("model changed through Format\ninput:\n%s\nformatted:\n%s", data, text)
		}
	})
}
