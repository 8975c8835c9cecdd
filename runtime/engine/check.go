package engine

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/firewall"
	"github.com/havip/havip/runtime/netif"
)

// Check reports why `havip run` would refuse cfg, a config that passed
// config validation: every route and rule that cannot be installed, each at
// its position, else the first error of planning cfg exactly as New does, on
// a host where every interface exists and has an address. It changes nothing
// on this host: a track_file's init_file is not written, no notify FIFO is
// created (so a FIFO that cannot be created is found by run only, like a
// missing interface).
func Check(cfg *config.Config) config.Diagnostics {
	if diags := CheckRouting(cfg); diags.HasErrors() {
		return diags
	}
	e := newEngine(cfg, Options{Log: slog.New(slog.DiscardHandler), Host: checkHost{}})
	e.checking = true
	p, err := e.plan(cfg)
	if err != nil {
		var pe *posError
		pos := config.Pos{}
		if errors.As(err, &pe) {
			pos = pe.pos
		}
		return config.Diagnostics{{Pos: pos, Severity: config.Error, Msg: err.Error()}}
	}
	p.abort(e.host)
	if len(cfg.Instances) == 0 && len(cfg.VirtualServers) == 0 {
		return config.Diagnostics{{Severity: config.Warning,
			Msg: "the config has no vrrp_instance and no virtual_server: havip runs nothing until a reload adds one, as keepalived (\"no configuration to run\")"}}
	}
	return nil
}

// posError is a planning error about the config element at pos.
type posError struct {
	pos config.Pos
	err error
}

func (e *posError) Error() string { return e.err.Error() }
func (e *posError) Unwrap() error { return e.err }

// atPos ties err to the config element at pos.
func atPos(pos config.Pos, err error) error { return &posError{pos: pos, err: err} }

// checkHost is the host Check plans on: every operation succeeds and
// changes nothing.
type checkHost struct{}

func (checkHost) AddVIP(netif.VIP) error                       { return nil }
func (checkHost) DelVIP(netif.VIP) error                       { return nil }
func (checkHost) RemoveStale([]netif.VIP) ([]netif.VIP, error) { return nil, nil }
func (checkHost) AddRoute(netif.Route) error                   { return nil }
func (checkHost) DelRoute(netif.Route) error                   { return nil }
func (checkHost) AddRule(netif.Rule) error                     { return nil }
func (checkHost) DelRule(netif.Rule) error                     { return nil }
func (checkHost) EnsureVMAC(netif.VMAC) ([]string, error)      { return nil, nil }
func (checkHost) SetVMACUp(string, bool) error                 { return nil }
func (checkHost) DeleteVMAC(string) error                      { return nil }
func (checkHost) EnsureIPVlan(netif.IPVlan) error              { return nil }
func (checkHost) DeleteIPVlan(string) error                    { return nil }
func (checkHost) LinkKind(string) (string, error)              { return "vrf", nil }
func (checkHost) OpenFirewall() (Firewall, error)              { return nopFirewall{}, nil }
func (checkHost) RemoveStaleFirewall() error                   { return nil }
func (checkHost) HasVIP(netif.VIP) (bool, error)               { return false, nil }
func (checkHost) LinkUp(string) (bool, error)                  { return true, nil }

func (checkHost) HasAddr(string, netip.Addr) (bool, error)         { return true, nil }
func (checkHost) SetPromoteSecondaries(string, bool) (bool, error) { return false, nil }
func (checkHost) SetIGMPLinkLocalReports(bool) (bool, error)       { return true, nil }

func (checkHost) WatchAddrRemovals(ctx context.Context, _ func(netif.AddrRemoved)) error {
	<-ctx.Done()
	return nil
}
func (checkHost) WatchRoutingRemovals(ctx context.Context, _ uint8, _ func(netif.RoutingRemoved)) error {
	<-ctx.Done()
	return nil
}
func (checkHost) HasRoute(netif.Route) (bool, error)     { return true, nil }
func (checkHost) HasRule(netif.Rule) (bool, error)       { return true, nil }
func (checkHost) NewAnnouncer(string) (Announcer, error) { return nopSocket{}, nil }
func (checkHost) DialVRRP(string, int) (Sender, error)   { return nopSocket{}, nil }
func (checkHost) ListenVRRP(string, int, []netip.Addr) (Receiver, error) {
	return nopSocket{}, nil
}
func (checkHost) ListenAH(string, []netip.Addr) (Receiver, error) { return nopSocket{}, nil }
func (checkHost) DialAH(string) (DatagramSender, error)           { return nopSocket{}, nil }
func (checkHost) PrimaryAddr(_ string, family int) (netip.Addr, error) {
	if family == 6 {
		return netip.MustParseAddr("fe80::1"), nil
	}
	return netip.MustParseAddr("192.0.2.1"), nil
}
func (checkHost) WatchLinks(ctx context.Context, _ []string, _ func(netif.LinkEvent)) error {
	<-ctx.Done()
	return nil
}
func (checkHost) LinkBeat(ifname string, _ netif.LinkBeatMethod) (netif.LinkEvent, netif.LinkBeatMethod, error) {
	return netif.LinkEvent{Name: ifname, Up: true}, netif.LinkBeatIoctl, nil
}

// nopSocket is checkHost's socket: it sends nothing and receives nothing.
type nopSocket struct{}

func (nopSocket) Read([]byte) (netif.Packet, error)              { return netif.Packet{}, net.ErrClosed }
func (nopSocket) Send([]byte, netip.Addr, netip.Addr, int) error { return nil }
func (nopSocket) SendDatagram([]byte) error                      { return nil }
func (nopSocket) GratuitousARP(netip.Addr) error                 { return nil }
func (nopSocket) UnsolicitedNA(netip.Addr) error                 { return nil }
func (nopSocket) SetReadBuffer(int) error                        { return nil }
func (nopSocket) Close() error                                   { return nil }

// nopFirewall is checkHost's firewall: it changes nothing.
type nopFirewall struct{}

func (nopFirewall) Drop(...netip.Addr) error              { return nil }
func (nopFirewall) Allow(...netip.Addr) error             { return nil }
func (nopFirewall) AcceptVRRP(firewall.Chain, bool) error { return nil }
func (nopFirewall) Close() error                          { return nil }
