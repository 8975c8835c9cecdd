package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProbeHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			http.Error(w, `{"ok":false,"reason":"FAULT"}`, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		args     []string
		code     int
		inOutput string
	}{
		{[]string{"http", srv.URL + "/healthz"}, 0, "up"},
		{[]string{"http", "--timeout", "1s", srv.URL + "/healthz"}, 0, "up"},
		{[]string{"http", srv.URL + "/readyz"}, 1, "503 Service Unavailable"},
		{[]string{"http", "http://127.0.0.1:1/healthz", "--timeout", "1s"}, 1, "down"},
		{[]string{"http", "127.0.0.1:9165/healthz"}, 2, "is not an http:// or https:// URL"},
		{[]string{"http"}, 2, "exactly one URL"},
	} {
		var stdout, stderr bytes.Buffer
		code := execute(append([]string{"probe"}, tc.args...), nil, &stdout, &stderr)
		out := stdout.String() + stderr.String()
		if code != tc.code || !strings.Contains(out, tc.inOutput) {
			t.Errorf("havip probe %v = %d %q, want %d and output containing %q", tc.args, code, out, tc.code, tc.inOutput)
		}
	}
}
