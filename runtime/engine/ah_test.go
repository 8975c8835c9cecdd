package engine

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"

	"github.com/havip/havip/runtime/firewall"
	"github.com/havip/havip/runtime/netif"
	"github.com/havip/havip/runtime/vrrp"
)

const ahAuth = "authentication {\n    auth_type AH\n    auth_pass s3cret\n  }"

// ahInbound is an AH advert from src as the AH socket reader hands it to the
// event loop, keyed by pass.
func (r *rig) ahInbound(src string, vrid, priority uint8, seq uint32, pass string) inbound {
	r.t.Helper()
	a := vrrp.Advert{Version: 2, VRID: vrid, Priority: priority, AdverInt: 1, Addrs: []netip.Addr{ip("192.0.2.100")}}
	var key [8]byte
	copy(key[:], pass)
	d, err := a.AppendAH(nil, vrrp.AHPacket{Src: ip(src), Dst: group4, TTL: vrrp.TTL, ID: 1, Seq: seq, Key: key})
	if err != nil {
		r.t.Fatal(err)
	}
	in := inbound{port: r.e.ports[portKey{ifname: "eth0", family: 4}]}
	if reason := vrrp.ParseAH(&in.rx, d); reason != vrrp.DropNone {
		r.t.Fatalf("test advert refused: %v", reason)
	}
	return in
}

// openOn counts the open sockets whose description starts with prefix.
func (h *fakeHost) openOn(prefix string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, what := range h.open {
		if strings.HasPrefix(what, prefix) {
			n++
		}
	}
	return n
}

// TestEngineAH: an auth_type AH instance opens the AH sockets, sends AH
// datagrams with increasing sequence numbers, yields to an authenticated
// higher priority, counts an advert with another key as an authentication
// failure, and closes the AH sockets when a reload drops AH.
func TestEngineAH(t *testing.T) {
	r := newRig(t, vi("VI_1", 51, 150, "192.0.2.100", ahAuth)).start()
	defer r.stop()
	if r.host.openOn("rx AH eth0 [224.0.0.18]") != 1 || r.host.openOn("tx AH eth0") != 1 || r.host.openOn("rx eth0") != 1 {
		t.Fatalf("open sockets: %v", r.host.open)
	}
	r.advance(5 * time.Second)
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("after Master_Down_Interval: %s", got)
	}
	sent := r.host.takeSent()
	if len(sent) < 2 {
		t.Fatalf("sent %v, want adverts", sent)
	}
	for i, a := range sent {
		if !a.ah || a.seq != uint32(i+1) || a.src != ip("192.0.2.1") || a.dst != group4 || a.priority != 150 {
			t.Fatalf("advert %d: %+v, want an AH advert with sequence number %d", i, a, i+1)
		}
	}

	r.e.receive(r.ahInbound(peer, 51, 200, 7, "wrong"))
	r.e.receive(r.ahInbound(peer, 51, 200, 1, "s3cret")) // not above our counter: our own last sequence number
	if got := r.states(); got != "VI_1=MASTER" {
		t.Fatalf("after unauthenticated adverts: %s", got)
	}
	r.e.receive(r.ahInbound(peer, 51, 200, 100, "s3cret"))
	if got := r.states(); got != "VI_1=BACKUP" {
		t.Fatalf("after an authenticated higher priority: %s", got)
	}
	st := r.e.snapshot().Instances[0]
	if st.Stats.Drops[vrrp.DropAuthPass] != 2 {
		t.Fatalf("drops %v, want 2 authentication failures", st.Stats.Drops)
	}

	if err := r.apply(vi("VI_1", 51, 150, "192.0.2.100")); err != nil {
		t.Fatal(err)
	}
	if r.host.openOn("rx AH") != 0 || r.host.openOn("tx AH") != 0 || r.host.openOn("rx eth0") != 1 {
		t.Fatalf("after dropping AH, open sockets: %v", r.host.open)
	}
}

// TestPortReadAH: the AH socket's reader parses whole datagrams, hands the
// event loop its own copy, and counts refusals by VRID.
func TestPortReadAH(t *testing.T) {
	h := newFakeHost()
	pt, err := openPort(h, portKey{ifname: "eth0", family: 4}, []netip.Addr{group4}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer pt.close()
	a := vrrp.Advert{Version: 2, VRID: 51, Priority: 100, AdverInt: 1, Addrs: []netip.Addr{ip("192.0.2.100")}}
	good, err := a.AppendAH(nil, vrrp.AHPacket{Src: ip(peer), Dst: group4, TTL: vrrp.TTL, ID: 1, Seq: 1})
	if err != nil {
		t.Fatal(err)
	}
	notVRRP := append([]byte(nil), good...)
	notVRRP[20] = 6 // AH for TCP
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan inbound, 1)
	done := make(chan struct{})
	go func() { pt.read(ctx, pt.ahRx, true, out, slog.New(slog.DiscardHandler)); close(done) }()
	for _, d := range [][]byte{notVRRP, good} {
		h.deliverAH(t, "eth0", netif.Packet{Datagram: d, Payload: d[20:], Src: ip(peer), Dst: group4, TTL: 255})
	}
	select {
	case in := <-out:
		if !in.rx.AH || in.rx.VRID != 51 || in.rx.AuthHeader.Seq != 1 || string(in.rx.Datagram) != string(good) {
			t.Fatalf("inbound %+v", in.rx)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no inbound advert")
	}
	pt.mu.Lock()
	drops, accepted := pt.byVRID[51].Dropped(vrrp.DropNotVRRP), pt.counters.Accepted
	pt.mu.Unlock()
	if drops != 1 || accepted != 1 {
		t.Fatalf("VRID 51: %d not-VRRP drops, %d accepted; want 1 and 1", drops, accepted)
	}
	pt.closeReceiver()
	<-done
}

// TestAcceptVRRPWithAH: the accept rules in the host's chains let IPsec-AH in
// exactly while an instance uses auth_type AH, at start and after reloads.
func TestAcceptVRRPWithAH(t *testing.T) {
	chain := firewall.Chain{Family: nftables.TableFamilyIPv4, Table: "filter", Name: "INPUT"}
	plain := vi("VI_1", 51, 100, "192.0.2.100")
	withAH := vi("VI_1", 51, 100, "192.0.2.100", ahAuth)
	r := newRig(t, withAH)
	r.e.AcceptVRRPIn(chain)
	r.start()
	steps := []struct {
		reload string
		want   []string
	}{
		{"", []string{"ip filter INPUT +ah"}},
		{withAH, []string{"ip filter INPUT +ah"}}, // no change: the rules stay
		{plain, []string{"ip filter INPUT +ah", "ip filter INPUT"}},
		{plain + vi("VI_2", 52, 100, "192.0.2.101", ahAuth), []string{"ip filter INPUT +ah", "ip filter INPUT", "ip filter INPUT +ah"}},
	}
	for i, s := range steps {
		if s.reload != "" {
			if err := r.apply(s.reload); err != nil {
				t.Fatal(err)
			}
		}
		r.host.mu.Lock()
		got := slices.Clone(r.host.firewall.accept)
		r.host.mu.Unlock()
		if !slices.Equal(got, s.want) {
			t.Fatalf("step %d: accept rules inserted %q, want %q", i, got, s.want)
		}
	}
	r.stop()
	if got := r.host.leftovers(); got != "" {
		t.Fatalf("left after stop: %s", got)
	}
}
