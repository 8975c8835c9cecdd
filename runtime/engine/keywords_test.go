package engine

import (
	"strings"
	"testing"
	"time"
)

// TestEngineUnicastFaultNoPeer: with unicast_fault_no_peer, an instance
// without a unicast_peer starts and stays in FAULT, sending nothing, as
// keepalived 2.2.7 counts it as a config fault; with a peer it runs unicast,
// and without the keyword it falls back to multicast. A reload that adds a
// peer or drops the keyword lets it run.
func TestEngineUnicastFaultNoPeer(t *testing.T) {
	withPeer := "unicast_peer {\n    " + peer + "\n  }"
	tests := []struct {
		name   string
		body   []string
		state  string // after 10 s alone
		sentTo string // destination of the adverts, "" for none
	}{
		{"no peer", []string{"unicast_fault_no_peer", "unicast_src_ip 192.0.2.1"}, "FAULT", ""},
		{"no peer, keyword alone", []string{"unicast_fault_no_peer"}, "FAULT", ""},
		{"a peer", []string{"unicast_fault_no_peer", withPeer}, "MASTER", peer},
		{"no keyword: multicast", []string{"unicast_src_ip 192.0.2.1"}, "MASTER", "224.0.0.18"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, vi("VI_1", 51, 100, "192.0.2.100", tt.body...)).start()
			r.advance(10 * time.Second)
			if got := r.states(); got != "VI_1="+tt.state {
				t.Fatalf("state %s, want %s", got, tt.state)
			}
			sent := r.host.takeSent()
			if tt.sentTo == "" && len(sent) > 0 {
				t.Fatalf("a FAULT instance sent %d adverts", len(sent))
			}
			for _, a := range sent {
				if a.dst.String() != tt.sentTo {
					t.Fatalf("advert to %s, want %s", a.dst, tt.sentTo)
				}
			}
			if tt.state == "FAULT" {
				if r.host.installed() != "" {
					t.Fatalf("FAULT holds VIPs %s", r.host.installed())
				}
				st := r.e.snapshot().Instances[0]
				if len(st.Faults) != 1 || !strings.Contains(st.Faults[0], "unicast_fault_no_peer") {
					t.Fatalf("faults %v", st.Faults)
				}
			}
			r.stop()
			if got := r.host.leftovers(); got != "" {
				t.Fatalf("left after stop: %s", got)
			}
		})
	}
}

// TestEngineUnicastFaultNoPeerReload: a reload that keeps the instance (same
// key) without the keyword clears the config fault; one that brings it back
// sets it again.
func TestEngineUnicastFaultNoPeerReload(t *testing.T) {
	faulty := vi("VI_1", 51, 100, "192.0.2.100", "unicast_fault_no_peer")
	plain := vi("VI_1", 51, 100, "192.0.2.100")
	r := newRig(t, faulty).start()
	r.advance(5 * time.Second)
	if got := r.states(); got != "VI_1=FAULT" {
		t.Fatalf("start: %s", got)
	}
	steps := []struct {
		conf, state string
	}{
		{plain, "VI_1=MASTER"},
		{faulty, "VI_1=FAULT"},
		{faulty, "VI_1=FAULT"},
	}
	for i, s := range steps {
		if err := r.apply(s.conf); err != nil {
			t.Fatal(err)
		}
		r.advance(5 * time.Second)
		if got := r.states(); got != s.state {
			t.Fatalf("step %d: %s, want %s", i, got, s.state)
		}
	}
	r.stop()
}
