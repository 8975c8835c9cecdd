package lab

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// DeliberateData are the keepalived.data fields where havip differs from
// keepalived 2.2.7 by design, with havip's value: higher_prio_send_advert is
// on by default so that a healed split brain's winner re-announces
// (docs/compatibility.md). DeliberateJSON is the same for keepalived.json.
var (
	DeliberateData = map[string]string{"Send advert after receive higher priority advert": "true"}
	DeliberateJSON = map[string]any{"higher_prio_send_advert": float64(1)}
)

// DataInstance is one "VRRP Instance" of a keepalived.data dump, read the
// way keepalived exporters read it: "Key = value" lines, with the lines
// indented under "Virtual IP (N):" collected as VIPs.
type DataInstance struct {
	Name   string
	Fields map[string]string
	VIPs   []string
}

// ParseData reads the VRRP Topology section of a keepalived.data dump
// (keepalived's SIGUSR1 file, or havip's) into its instances by name.
func ParseData(text string) (map[string]*DataInstance, error) {
	out := map[string]*DataInstance{}
	var cur *DataInstance
	inTopology, inVIPs := false, false
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "------<") {
			inTopology = strings.Contains(line, "VRRP Topology")
			cur = nil
			continue
		}
		if !inTopology {
			continue
		}
		switch {
		case strings.HasPrefix(line, " VRRP Instance = "):
			name := strings.TrimSpace(strings.TrimPrefix(line, " VRRP Instance = "))
			if name == "" || out[name] != nil {
				return nil, fmt.Errorf("line %d: instance %q empty or repeated", n, name)
			}
			cur = &DataInstance{Name: name, Fields: map[string]string{}}
			out[name] = cur
			inVIPs = false
		case cur == nil:
			return nil, fmt.Errorf("line %d: %q outside an instance", n, line)
		case strings.HasPrefix(line, "     "):
			if inVIPs {
				cur.VIPs = append(cur.VIPs, strings.TrimSpace(line))
			}
		case strings.HasPrefix(line, "   "):
			inVIPs = strings.HasPrefix(line, "   Virtual IP (")
			if k, v, ok := strings.Cut(strings.TrimSpace(line), " = "); ok {
				cur.Fields[k] = v
			}
		default:
			return nil, fmt.Errorf("line %d: unexpected %q", n, line)
		}
	}
	return out, sc.Err()
}

// ParseStats reads a keepalived.stats dump into each instance's counters,
// keyed "Section/Name" ("Advertisements/Received") or "Name" for the
// counters outside a section ("Became master").
func ParseStats(text string) (map[string]map[string]uint64, error) {
	out := map[string]map[string]uint64{}
	var cur map[string]uint64
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		key, val, _ := strings.Cut(strings.TrimSpace(line), ":")
		val = strings.TrimSpace(val)
		switch {
		case strings.HasPrefix(line, "VRRP Instance: "):
			name := strings.TrimPrefix(line, "VRRP Instance: ")
			if name == "" || out[name] != nil {
				return nil, fmt.Errorf("line %d: instance %q empty or repeated", n, name)
			}
			cur, section = map[string]uint64{}, ""
			out[name] = cur
			continue
		case cur == nil:
			return nil, fmt.Errorf("line %d: %q outside an instance", n, line)
		case strings.HasPrefix(line, "    "):
			if section == "" {
				return nil, fmt.Errorf("line %d: %q outside a section", n, line)
			}
			key = section + "/" + key
		case strings.HasPrefix(line, "  ") && val == "":
			section = key
			continue
		case strings.HasPrefix(line, "  "):
			section = ""
		default:
			return nil, fmt.Errorf("line %d: unexpected %q", n, line)
		}
		v, err := strconv.ParseUint(val, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: %q: not a counter", n, line)
		}
		cur[key] = v
	}
	return out, sc.Err()
}
