package main

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// parseSupervise parses supervise's command line as the command does.
func parseSupervise(args []string, environ map[string]string, stderr io.Writer) (superviseFlags, int) {
	var f superviseFlags
	fs := pflag.NewFlagSet("supervise", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	addSuperviseFlags(fs, environ, &f)
	if err := fs.Parse(args); err != nil {
		return f, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q", fs.Arg(0))
		return f, 2
	}
	if err := f.settle(fs.Changed); err != nil {
		fmt.Fprintln(stderr, err)
		return f, 2
	}
	return f, -1
}

func TestSuperviseFlags(t *testing.T) {
	defaults := daemonFlags{logFormat: "text", logLevel: "info", statusSocket: "/run/havip/havip.sock", dumpDir: "/tmp", heartbeatBound: "10s"}
	with := func(change func(*daemonFlags)) daemonFlags {
		d := defaults
		change(&d)
		return d
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		code    int
		want    superviseFlags // compared when code is -1
		wantErr string         // in stderr otherwise
	}{
		{name: "file", args: []string{"-f", "/etc/keepalived/keepalived.conf"}, code: -1,
			want: superviseFlags{file: "/etc/keepalived/keepalived.conf", output: "/run/havip", daemon: defaults}},
		{name: "compose contract from the environment",
			env:  map[string]string{"HAVIP_TEMPLATE": "keepalived", "HAVIP_VERSION": "0", "HAVIP_OUTPUT_DIR": "/tmp/o", "HAVIP_CONFIG_ID": "n1"},
			code: -1,
			want: superviseFlags{template: "keepalived", version: "0", output: "/tmp/o", configID: "n1", daemon: defaults}},
		{name: "flag wins over environment", env: map[string]string{"HAVIP_TEMPLATE": "keepalived", "HAVIP_ANSWERS": "/a.txt"},
			args: []string{"--answers", "/b.txt", "--log-format", "json"}, code: -1,
			want: superviseFlags{template: "keepalived", answers: "/b.txt", output: "/run/havip", daemon: with(func(d *daemonFlags) { d.logFormat = "json" })}},
		{name: "-f replaces the environment's template",
			env:  map[string]string{"HAVIP_TEMPLATE": "keepalived", "HAVIP_VERSION": "0", "HAVIP_ANSWERS": "/a.txt"},
			args: []string{"-f", "/k.conf"}, code: -1,
			want: superviseFlags{file: "/k.conf", output: "/run/havip", daemon: defaults}},
		{name: "--template replaces the environment's file", env: map[string]string{"HAVIP_CONFIG": "/k.conf"},
			args: []string{"--template", "keepalived"}, code: -1,
			want: superviseFlags{template: "keepalived", output: "/run/havip", daemon: defaults}},
		{name: "status socket from the environment, or none by flag",
			env:  map[string]string{"HAVIP_CONFIG": "/k.conf", "HAVIP_STATUS_SOCKET": "/tmp/h.sock"},
			code: -1,
			want: superviseFlags{file: "/k.conf", output: "/run/havip", daemon: with(func(d *daemonFlags) { d.statusSocket = "/tmp/h.sock" })}},
		{name: "no status socket", args: []string{"-f", "/k.conf", "--status-socket", ""}, code: -1,
			want: superviseFlags{file: "/k.conf", output: "/run/havip", daemon: with(func(d *daemonFlags) { d.statusSocket = "" })}},
		{name: "neither input", code: 2, wantErr: "either -f FILE or --template NAME"},
		{name: "both inputs in the environment", env: map[string]string{"HAVIP_CONFIG": "/k.conf", "HAVIP_TEMPLATE": "keepalived"},
			code: 2, wantErr: "either -f FILE or --template NAME"},
		{name: "both inputs", args: []string{"-f", "/k.conf", "--template", "keepalived"},
			code: 2, wantErr: "either -f FILE or --template NAME"},
		{name: "answers without a template", args: []string{"-f", "/k.conf", "--answers", "/a.txt"}, code: 2,
			wantErr: "go with --template"},
		{name: "stray argument", args: []string{"-f", "/k.conf", "extra"}, code: 2, wantErr: `unexpected argument "extra"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got, code := parseSupervise(tc.args, tc.env, &stderr)
			if code != tc.code {
				t.Fatalf("code %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			if code == -1 && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("flags = %+v\nwant    %+v", got, tc.want)
			}
			if tc.wantErr != "" && !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tc.wantErr)
			}
		})
	}
}

func TestSuperviseSource(t *testing.T) {
	for _, tc := range []struct {
		flags superviseFlags
		want  string // the source's name, or the error
	}{
		{superviseFlags{file: "/etc/keepalived/keepalived.conf"}, "/etc/keepalived/keepalived.conf"},
		{superviseFlags{template: "keepalived", version: "0", answers: "/cfg/answers.txt"}, "template keepalived version 0 with answers.txt"},
		{superviseFlags{template: "nosuch"}, "nosuch"},
		{superviseFlags{template: "keepalived", version: "99"}, "--version"},
	} {
		src, err := superviseSource(tc.flags, nil)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = src.String()
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("superviseSource(%+v) = %q, want %q", tc.flags, got, tc.want)
		}
	}
}

func TestSuperviseRefusesAnInvalidFirstConfig(t *testing.T) {
	var stderr bytes.Buffer
	code := execute([]string{"supervise", "-f", "/nonexistent/keepalived.conf", "--output", t.TempDir(), "--status-socket", ""}, nil, io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "/nonexistent/keepalived.conf") {
		t.Fatalf("exit %d, stderr %q; want 1 naming the file", code, stderr.String())
	}
}
