package netif_test

import (
	"context"
	"errors"
	"log"
	"net"
	"net/netip"

	"github.com/havip/havip/runtime/netif"
)

// How an engine wires one IPv4 instance on eth0: one receiver and one sender per interface and
// family, the primary address as source, VIPs and gratuitous ARPs when it becomes master.
func Example() {
	src, err := netif.PrimaryAddr("eth0", 4) // IPv6: retry while errors.Is(err, netif.ErrTentative)
	if err != nil {
		log.Fatal(err)
	}
	group := netip.MustParseAddr("224.0.0.18")
	rx, err := netif.ListenVRRP("eth0", 4, []netip.Addr{group})
	if err != nil {
		log.Fatal(err)
	}
	defer rx.Close()
	tx, err := netif.DialVRRP("eth0", 4)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Close()

	go func() {
		buf := make([]byte, 1500)
		for {
			p, err := rx.Read(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				log.Print(err)
				continue
			}
			_ = p // validate (TTL 255, checksum with p.Src/p.Dst) and demultiplex by VRID in runtime/vrrp
		}
	}()
	go func() {
		_ = netif.WatchLinks(context.Background(), []string{"eth0"}, func(ev netif.LinkEvent) {
			log.Printf("%s up=%v", ev.Name, ev.Up) // down -> FAULT
		})
	}()

	advert := []byte{0x21, 51, 120, 1, 0, 1, 0xa4, 0x65, 192, 0, 2, 100, 0, 0, 0, 0, 0, 0, 0, 0} // built by runtime/vrrp
	if err := tx.Send(advert, src, group, netif.DefaultTTL); err != nil {
		log.Print(err)
	}

	vip := netif.VIP{Prefix: netip.MustParsePrefix("192.0.2.100/32"), Dev: "eth0"}
	if err := netif.AddVIP(vip); err != nil {
		log.Print(err)
	}
	ann, err := netif.NewAnnouncer("eth0", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ann.Close()
	if err := ann.GratuitousARP(vip.Prefix.Addr()); err != nil {
		log.Print(err)
	}
}
