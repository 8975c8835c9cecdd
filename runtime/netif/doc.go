// Package netif is the operating-system side of the VRRP engine on Linux: raw IP protocol 112
// sockets that move VRRP messages (it never parses them) and protocol 51 ones for keepalived's
// IPsec-AH authentication, virtual IP addresses added and removed
// with netlink using keepalived's semantics, the routes and policy rules of virtual_routes,
// virtual_rules and static_*, the link watch that drives the FAULT state, and the gratuitous
// ARP / unsolicited neighbour advertisements sent when an instance becomes master.
//
// Every socket and netlink request acts in the network namespace of the calling OS thread, which
// is the host namespace in production. Tests that work inside a namespace lock the goroutine to
// its thread and switch the thread into the namespace around the calls.
package netif
