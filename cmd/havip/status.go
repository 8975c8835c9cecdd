package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/havip/havip/runtime/control"
	"github.com/havip/havip/runtime/engine"
)

func newStatusCmd(a *app) *cobra.Command {
	var socket string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--socket PATH] [--json]",
		Short: "show the instances and virtual servers of a running havip: state, priority, master, why",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			return exit(runStatus(socket, asJSON, a.stdout, a.stderr))
		},
	}
	cmd.Flags().StringVar(&socket, "socket", control.DefaultSocket, "the --status-socket `PATH` of the havip to ask")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the snapshot as JSON")
	return cmd
}

// runStatus prints the instances of the havip serving socket: state,
// priority, master, VIPs, and since when and why.
func runStatus(socket string, asJSON bool, stdout, stderr io.Writer) int {
	b, err := control.Query(socket, 5*time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "havip status: %v\n", err)
		return 1
	}
	if asJSON {
		stdout.Write(b)
		return 0
	}
	var snap engine.Snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		fmt.Fprintf(stderr, "havip status: the answer on %s is not a status snapshot: %v\n", socket, err)
		return 1
	}
	printStatus(stdout, snap, time.Now())
	return 0
}

// printStatus writes the instances as a table, then the virtual servers'
// real servers, if any, with the traffic each took when the LVS backend
// counts it.
func printStatus(w io.Writer, snap engine.Snapshot, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tSTATE\tPRIORITY\tMASTER\tVIPS\tSINCE\tWHY")
	for _, s := range snap.Instances {
		prio := fmt.Sprint(s.Priority)
		if s.Priority != s.BasePriority {
			prio = fmt.Sprintf("%d (base %d)", s.Priority, s.BasePriority)
		}
		since := "-"
		if !s.Since.IsZero() {
			since = now.Sub(s.Since).Round(time.Second).String() + " ago"
		}
		why := s.Reason
		if len(s.Faults) > 0 {
			why = strings.Join(s.Faults, "; ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.State, prio, dash(s.Master),
			dash(strings.Join(s.VIPs, ",")), since, dash(why))
	}
	tw.Flush()
	printRemovals(w, snap)
	if len(snap.VirtualServers) == 0 {
		return
	}
	fmt.Fprintln(w)
	traffic := hasTraffic(snap.VirtualServers)
	tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	header := "VIRTUAL SERVER\tQUORUM\tREAL SERVER\tHEALTH\tWEIGHT"
	if traffic {
		header += "\tCONNS\tPKTS IN/OUT\tBYTES IN/OUT"
	}
	fmt.Fprintln(tw, header)
	for _, v := range snap.VirtualServers {
		quorum := "up"
		switch {
		case v.SorryServer:
			quorum = "lost: sorry server"
		case !v.Quorum:
			quorum = "lost"
		}
		if len(v.RealServers) == 0 {
			row := []string{v.Name, quorum, "-", "-", "-"}
			if traffic {
				row = append(row, trafficCells(nil)...)
			}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		for _, r := range v.RealServers {
			health, weight := "down", "out of the pool"
			if r.Alive {
				health = "up"
			}
			if r.Weight >= 0 {
				weight = fmt.Sprint(r.Weight)
			}
			row := []string{v.Name, quorum, r.Address, health, weight}
			if traffic {
				row = append(row, trafficCells(r.Traffic)...)
			}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
	}
	tw.Flush()
}

// printRemovals says what was removed behind havip's back since the start
// (or the last counter reset) and how havip answered, one line each; nothing
// when nothing was.
func printRemovals(w io.Writer, snap engine.Snapshot) {
	for _, s := range snap.Instances {
		if n := s.Stats.VIPRemovals + s.Stats.RoutingRemovals; n > 0 {
			fmt.Fprintf(w, "%s: removals behind havip's back: %d VIPs, %d virtual routes or rules; each time the master resigned and the election restored them\n",
				s.Name, s.Stats.VIPRemovals, s.Stats.RoutingRemovals)
		}
	}
	for _, kind := range slices.Sorted(maps.Keys(snap.StaticRestored)) {
		fmt.Fprintf(w, "static %s: restored %d times after a removal behind havip's back\n", kind, snap.StaticRestored[kind])
	}
}

// hasTraffic reports whether the backend counted traffic for any real
// server: the traffic columns are left out otherwise.
func hasTraffic(vss []engine.VirtualServerStatus) bool {
	for _, v := range vss {
		for _, r := range v.RealServers {
			if r.Traffic != nil {
				return true
			}
		}
	}
	return false
}

// trafficCells are a real server's connections, packets in/out and bytes
// in/out, in human units; "-" when not counted.
func trafficCells(t *engine.LVSTraffic) []string {
	if t == nil {
		return []string{"-", "-", "-"}
	}
	return []string{human(t.Connections), human(t.InPackets) + "/" + human(t.OutPackets), human(t.InBytes) + "/" + human(t.OutBytes)}
}

// human prints a count with decimal SI suffixes, as ipvsadm --stats does:
// 999, 1.2K, 45K, 3.4M, 120G.
func human(n uint64) string {
	if n < 1000 {
		return strconv.FormatUint(n, 10)
	}
	const units = "KMGTPE"
	f, i := float64(n)/1000, 0
	for f >= 999.5 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if f < 9.95 {
		return fmt.Sprintf("%.1f%c", f, units[i])
	}
	return fmt.Sprintf("%.0f%c", f, units[i])
}

// serveStatus answers `havip status` on path while ctx runs. A socket that
// cannot be served is only logged: status must never stop the VRRP engine.
func serveStatus(ctx context.Context, path string, report func() (any, error), log *slog.Logger) {
	if path == "" {
		return
	}
	ln, err := control.Listen(path)
	if err != nil {
		log.Warn("havip status will not reach this process", "err", err)
		return
	}
	go control.Serve(ctx, ln, report, log)
}
