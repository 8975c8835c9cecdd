package engine

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEngineSplitBrainHealReasserts is a healed split brain seen by its
// winner: a master of long standing hears the loser's advert at a lower
// priority, answers it with one advert and a gratuitous ARP burst (a second
// such advert at once is not answered), and runs its master notify again
// once the loser has been quiet for a Master_Down_Interval.
func TestEngineSplitBrainHealReasserts(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "notified")
	script := filepath.Join(dir, "notify.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho master >> "+log+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	// The notify script runs as whoever runs the test.
	global := "global_defs {\n  script_user " + me.Username + "\n}\n"
	r := newRig(t, global+vi("VI_1", 51, 150, "192.0.2.100", `notify_master "`+script+`"`)).start()
	defer r.stop()
	r.advance(4 * time.Second)
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("after Master_Down_Interval: %s", got)
	}
	notified := func(want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			b, _ := os.ReadFile(log)
			n := strings.Count(string(b), "master\n")
			if n == want {
				return
			}
			if n > want || time.Now().After(deadline) {
				t.Fatalf("the master notify ran %d times, want %d", n, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	notified(1)
	r.advance(4 * time.Second) // master for longer than Master_Down_Interval
	r.host.takeSent()
	r.host.takeAnnounced()

	r.advert("eth0", ip(peer), group4, 51, 100, "192.0.2.100")
	if got := adverts(r.host.takeSent()); got != "51:150" {
		t.Fatalf("answer to the other master: adverts %q, want one at our priority", got)
	}
	if got := r.host.takeAnnounced(); len(got) != 5 || got[0] != "eth0 192.0.2.100" {
		t.Fatalf("answer to the other master: announced %v, want 5 GARPs", got)
	}
	r.advert("eth0", ip(peer), group4, 51, 100, "192.0.2.100")
	if got := adverts(r.host.takeSent()); got != "" {
		t.Fatalf("a second lower-priority advert at once was answered: %q", got)
	}
	// The next advert comes one interval after the answer.
	r.advance(999 * time.Millisecond)
	if got := adverts(r.host.takeSent()); got != "" {
		t.Fatalf("advert %q before one interval after the answer", got)
	}
	r.advance(time.Millisecond)
	if got := adverts(r.host.takeSent()); got != "51:150" {
		t.Fatalf("one interval after the answer: adverts %q", got)
	}
	// The other master keeps advertising for a while, then yields: a
	// Master_Down_Interval (3.414 s at priority 150) after its last advert,
	// the master notify runs again, once.
	r.advert("eth0", ip(peer), group4, 51, 100, "192.0.2.100")
	r.advance(3400 * time.Millisecond)
	notified(1)
	r.advance(20 * time.Millisecond)
	notified(2)
	r.advance(10 * time.Second)
	notified(2)
	if got := r.states(); got != "VI_1=MASTER" || r.host.installed() != vipsOn("192.0.2.100") {
		t.Fatalf("the winner changed: %s, VIPs %q", got, r.host.installed())
	}
}
