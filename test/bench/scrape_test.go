package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havip/havip/internal/testenv"
	"github.com/havip/havip/test/lab"
)

// metricsAddr is where havip serves HTTP in each node's namespace.
const metricsAddr = "127.0.0.1:9165"

// BenchmarkScrape250 measures what the HTTP endpoint costs: the footprint
// scenario (250 VRRPv3 instances at advert_int 0.1, master n1 and backup n2)
// without --http-listen (off), with it but unscraped (idle), and with
// /metrics scraped every second on both nodes (scrape-1s), CPU over a 20 s
// window. It also reports the size of one scrape and its slowest answer.
func BenchmarkScrape250(b *testing.B) {
	testenv.RequireCommand(b, "curl", "curl")
	const n = 250
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("VI_%d", i+1)
	}
	for _, mode := range []string{"off", "idle", "scrape-1s"} {
		b.Run(mode, func(b *testing.B) {
			var m, bk usage
			var size, slowest float64
			for range b.N {
				l := lab.New(b, lab.Options{Nodes: 2})
				var extra []string
				if mode != "off" {
					extra = []string{"--http-listen", metricsAddr}
				}
				master := startHavipWith(b, l.Nodes[0], manyInstances(n, masterPrio), extra...)
				waitStates(b, master, names, "MASTER", 60*time.Second)
				backup := startHavipWith(b, l.Nodes[1], manyInstances(n, backupPrio), extra...)
				waitStates(b, backup, names, "BACKUP", 60*time.Second)
				waitStates(b, master, names, "MASTER", time.Second)
				quiet(master, backup, 3*time.Second, 30*time.Second)

				stop := make(chan struct{})
				var wg sync.WaitGroup
				var mu sync.Mutex
				if mode == "scrape-1s" {
					for _, node := range l.Nodes {
						wg.Add(1)
						go func() {
							defer wg.Done()
							tick := time.NewTicker(time.Second)
							defer tick.Stop()
							for {
								select {
								case <-stop:
									return
								case <-tick.C:
								}
								bytes, secs, err := scrapeOnce(node)
								if err != nil {
									b.Errorf("scraping %s: %v", node.NS, err)
									return
								}
								mu.Lock()
								size, slowest = bytes, max(slowest, secs)
								mu.Unlock()
							}
						}()
					}
				}
				mu1, bu := measure(b, master, backup, 20*time.Second)
				close(stop)
				wg.Wait()
				m, bk = m.max(mu1), bk.max(bu)
				b.Logf("%s: master %s; backup %s", mode, mu1, bu)
				master.stop(b)
				backup.stop(b)
			}
			b.ReportMetric(m.cpu, "master-cpu-%")
			b.ReportMetric(bk.cpu, "backup-cpu-%")
			b.ReportMetric(m.rss, "master-rss-MiB")
			b.ReportMetric(bk.rss, "backup-rss-MiB")
			if mode == "scrape-1s" {
				b.ReportMetric(size/1024, "scrape-KiB")
				b.ReportMetric(slowest*1000, "slowest-scrape-ms")
			}
		})
	}
}

// startHavipWith runs `havip run` on conf in node with extra flags.
func startHavipWith(tb testing.TB, node *lab.Node, conf string, extra ...string) speaker {
	tb.Helper()
	bin, err := havipBinary()
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		tb.Fatal(err)
	}
	return havipSpeaker{node.Start(tb, "havip-"+node.NS, append([]string{bin, "run", "-f", path}, extra...)...)}
}

// scrapeOnce fetches /metrics in node's namespace with curl and returns the
// body's size and curl's total time.
func scrapeOnce(node *lab.Node) (bytes, secs float64, err error) {
	out, err := node.Try("curl", "-s", "-o", "/dev/null", "-m", "5", "-w", "%{http_code} %{size_download} %{time_total}", "http://"+metricsAddr+"/metrics")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(out)
	if len(f) != 3 || f[0] != "200" {
		return 0, 0, fmt.Errorf("curl answered %q", out)
	}
	bytes, _ = strconv.ParseFloat(f[1], 64)
	secs, _ = strconv.ParseFloat(f[2], 64)
	return bytes, secs, nil
}
