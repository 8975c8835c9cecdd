package observe

import (
	"context"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/havip/havip/runtime/alert"
	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/vrrp"
)

// Label sets. The keepalived_ families keep the exporters' labels
// (mehdy/keepalived-exporter: iname, intf, vrid, ip_address;
// gen2brain/keepalived_exporter: name, intf, vrid, state).
var (
	instLabels  = []string{"iname", "intf", "vrid"}
	vipLabels   = []string{"iname", "intf", "vrid", "ip_address"}
	g2bLabels   = []string{"name", "intf", "vrid", "state"}
	nameLabels  = []string{"name"}
	portLabels  = []string{"intf", "family"}
	withLabel   = func(extra ...string) []string { return append(append([]string{}, instLabels...), extra...) }
	stateValues = map[string]float64{"INIT": 0, "BACKUP": 1, "MASTER": 2, "FAULT": 3}
)

// counterFamily is one per-instance counter exported under both exporters' names.
type counterFamily struct {
	mehdy, g2b *prometheus.Desc
	value      func(s *engine.InstanceStats) uint64
}

// collector reads the engine's snapshot at scrape time.
type collector struct {
	opts Options

	up, vrrpState, excludedState, checkScript, garpDelay *prometheus.Desc
	counters                                             []counterFamily
	scriptStatus, scriptState                            *prometheus.Desc

	transitions, priority, basePriority, trackerStatus, trackerWeight, trackerDisabled *prometheus.Desc
	scriptRuns, scriptFailures, scriptSeconds, scriptLastSeconds                       *prometheus.Desc
	scriptLastExit, scriptRunning                                                      *prometheus.Desc
	advertsRcvd, advertsSent, advertsDropped                                           *prometheus.Desc
	foreignAdverts, foreignRouters, mastersSeen, vipRemovals, routingRemovals          *prometheus.Desc
	staticRestored                                                                     *prometheus.Desc
	portAccepted, portDropped, portUnknownVRID, portChecksums                          *prometheus.Desc
	reloads, reloadsFailed, reloadLastSuccess, configInfo                              *prometheus.Desc
	notifyDepth, notifyDropped, buildInfo, heartbeat                                   *prometheus.Desc
	smtpAlerts                                                                         *prometheus.Desc
	vsQuorum, vsSorry, rsUp, rsWeight, checkerUp                                       *prometheus.Desc
	lvsVIP, lvsRS                                                                      []lvsFamily
}

// lvsFamily is one of gen2brain/keepalived_exporter's IPVS counters.
type lvsFamily struct {
	desc  *prometheus.Desc
	value func(t *engine.LVSTraffic) uint64
}

func newCollector(opts Options) *collector {
	d := prometheus.NewDesc
	c := &collector{
		opts:          opts,
		up:            d("keepalived_up", "Whether havip's VRRP engine runs and answered (1) or not (0).", nil, nil),
		vrrpState:     d("keepalived_vrrp_state", "State of the instance per virtual_ipaddress: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.", vipLabels, nil),
		excludedState: d("keepalived_vrrp_excluded_state", "State of the instance per virtual_ipaddress_excluded: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.", vipLabels, nil),
		checkScript:   d("keepalived_check_script_status", "Per VIP: 1 when every track_script of the instance succeeds (or it has none), 0 otherwise.", vipLabels, nil),
		garpDelay:     d("keepalived_gratuitous_arp_delay_total", "garp_master_delay of the instance, in seconds.", instLabels, nil),
		scriptStatus:  d("keepalived_script_status", "vrrp_script result: 1 GOOD, 0 BAD (absent before the first result).", nameLabels, nil),
		scriptState:   d("keepalived_script_state", "vrrp_script run state: 0 idle, 1 running.", nameLabels, nil),

		transitions:       d("havip_vrrp_transitions_total", "State changes by from, to and reason class.", withLabel("from", "to", "reason"), nil),
		priority:          d("havip_vrrp_priority", "Effective priority (base ± tracker weights).", instLabels, nil),
		basePriority:      d("havip_vrrp_base_priority", "Configured priority.", instLabels, nil),
		trackerStatus:     d("havip_tracker_status", "Tracker result per instance: 1 up, 0 down (absent before the first result).", withLabel("kind", "name"), nil),
		trackerWeight:     d("havip_tracker_weight", "Weight of the tracker for the instance (0: FAULT when down).", withLabel("kind", "name"), nil),
		trackerDisabled:   d("havip_tracker_disabled", "1 while a vrrp_script cannot run (not found, not executable, unsafe) and the instance ignores it, as keepalived does.", withLabel("kind", "name"), nil),
		scriptRuns:        d("havip_script_runs_total", "Finished runs of a vrrp_script (or native TCP check).", nameLabels, nil),
		scriptFailures:    d("havip_script_failures_total", "Failed runs of a vrrp_script: non-zero exit, timeout, TCP connect error.", nameLabels, nil),
		scriptSeconds:     d("havip_script_run_seconds_total", "Time spent running a vrrp_script.", nameLabels, nil),
		scriptLastSeconds: d("havip_script_last_run_seconds", "Duration of the last run of a vrrp_script.", nameLabels, nil),
		scriptLastExit:    d("havip_script_last_exit_code", "Exit status of the last run of a vrrp_script; -1 when killed or not started.", nameLabels, nil),
		scriptRunning:     d("havip_script_running", "1 while a run of the vrrp_script is in progress.", nameLabels, nil),
		advertsRcvd:       d("havip_vrrp_adverts_received_total", "Adverts for the instance's VRID that passed the packet checks.", instLabels, nil),
		advertsSent:       d("havip_vrrp_adverts_sent_total", "Adverts sent.", instLabels, nil),
		advertsDropped:    d("havip_vrrp_adverts_dropped_total", "Adverts for the instance's VRID dropped, by reason.", withLabel("reason"), nil),
		foreignAdverts:    d("havip_vrrp_foreign_adverts_total", "Adverts for our VRID from routers that are not ours: auth_mismatch, source (not a unicast peer) or address_list.", withLabel("kind"), nil),
		foreignRouters:    d("havip_vrrp_foreign_routers", "Distinct foreign routers seen on our VRID (bounded at 16 per kind).", withLabel("kind"), nil),
		mastersSeen:       d("havip_vrrp_masters_seen_total", "Adverts from another master while MASTER (a split brain healing), by outcome: yielded, reasserted or won.", withLabel("outcome"), nil),
		vipRemovals:       d("havip_vrrp_vip_removals_total", "VIPs removed behind the master's back; each made it resign and re-run the election, which restores the VIP.", instLabels, nil),
		routingRemovals:   d("havip_vrrp_routing_removals_total", "Virtual routes and rules removed behind the master's back; each made it resign and re-run the election, which restores them.", instLabels, nil),
		staticRestored:    d("havip_static_restored_total", "Static addresses, routes and rules removed behind havip's back and installed again, by kind: address, route or rule.", []string{"kind"}, nil),
		portAccepted:      d("havip_port_adverts_accepted_total", "Packets that passed the packet-level checks on an interface.", portLabels, nil),
		portDropped:       d("havip_port_adverts_dropped_total", "Packets dropped by the packet-level checks on an interface, by reason.", append(append([]string{}, portLabels...), "reason"), nil),
		portUnknownVRID:   d("havip_port_unknown_vrid_total", "Adverts for a VRID not configured on the interface.", portLabels, nil),
		portChecksums:     d("havip_port_checksum_forms_total", "Accepted packets by the checksum form that matched (keepalived's unicast checksum shows as legacy-unicast-pseudo-header).", append(append([]string{}, portLabels...), "form"), nil),
		reloads:           d("havip_reloads_total", "Config reloads attempted by the supervisor.", nil, nil),
		reloadsFailed:     d("havip_reloads_failed_total", "Config reloads that left the running config running.", nil, nil),
		reloadLastSuccess: d("havip_reload_last_success_timestamp_seconds", "When the running config was applied.", nil, nil),
		configInfo:        d("havip_config_info", "The running config's sha256.", []string{"sha256"}, nil),
		notifyDepth:       d("havip_notify_queue_depth", "Notify script events waiting to run.", nil, nil),
		notifyDropped:     d("havip_notify_dropped_total", "Notify events dropped: from a full script queue (queue=script) or a full FIFO (queue=fifo).", []string{"queue"}, nil),
		smtpAlerts:        d("havip_smtp_alerts_total", "Email alerts (smtp_alert) sent (result=sent) and not sent (result=failed).", []string{"result"}, nil),
		buildInfo:         d("havip_build_info", "havip's version and Go version.", []string{"version", "goversion"}, nil),
		heartbeat:         d("havip_event_loop_heartbeat_timestamp_seconds", "When the event loop last turned for the heartbeat.", nil, nil),
		vsQuorum:          d("havip_lvs_virtual_server_quorum", "1 while the virtual server's alive real servers meet its quorum, 0 otherwise.", []string{"virtual_server"}, nil),
		vsSorry:           d("havip_lvs_sorry_server_active", "1 while the sorry server stands in for the virtual server's pool.", []string{"virtual_server"}, nil),
		rsUp:              d("havip_lvs_real_server_up", "1 while every health checker of the real server passes, 0 otherwise.", []string{"virtual_server", "real_server"}, nil),
		rsWeight:          d("havip_lvs_real_server_weight", "The real server's weight in the pool: 0 when inhibited, -1 when out of it.", []string{"virtual_server", "real_server"}, nil),
		checkerUp:         d("havip_lvs_checker_up", "1 while the health checker passes, 0 otherwise; checker is its kind (HTTP_GET, TCP_CHECK, ...), index its position among the real server's checkers from 0.", []string{"virtual_server", "real_server", "checker", "index"}, nil),
	}
	// gen2brain/keepalived_exporter's IPVS families, per kernel service
	// (addr, proto) and destination (vip, addr, proto).
	for _, f := range []struct {
		name, help string
		value      func(t *engine.LVSTraffic) uint64
	}{
		{"in_packets", "in packets", func(t *engine.LVSTraffic) uint64 { return t.InPackets }},
		{"out_packets", "out packets", func(t *engine.LVSTraffic) uint64 { return t.OutPackets }},
		{"in_bytes", "in bytes", func(t *engine.LVSTraffic) uint64 { return t.InBytes }},
		{"out_bytes", "out bytes", func(t *engine.LVSTraffic) uint64 { return t.OutBytes }},
		{"conn", "connections", func(t *engine.LVSTraffic) uint64 { return t.Connections }},
	} {
		c.lvsVIP = append(c.lvsVIP, lvsFamily{d("keepalived_lvs_vip_"+f.name, "VIP "+f.help+" (gen2brain/keepalived_exporter name).", []string{"addr", "proto"}, nil), f.value})
		c.lvsRS = append(c.lvsRS, lvsFamily{d("keepalived_lvs_rs_"+f.name, "RS "+f.help+" (gen2brain/keepalived_exporter name).", []string{"vip", "addr", "proto"}, nil), f.value})
	}
	drops := func(reasons ...vrrp.DropReason) func(*engine.InstanceStats) uint64 {
		return func(s *engine.InstanceStats) uint64 { return s.Dropped(reasons...) }
	}
	family := func(mehdy, g2b, help string, value func(*engine.InstanceStats) uint64) {
		c.counters = append(c.counters, counterFamily{
			mehdy: d(mehdy, help, instLabels, nil),
			g2b:   d(g2b, help+" (gen2brain/keepalived_exporter name).", g2bLabels, nil),
			value: value,
		})
	}
	family("keepalived_advertisements_received_total", "keepalived_vrrp_advert_rcvd", "Adverts received", func(s *engine.InstanceStats) uint64 { return s.AdvertsReceived })
	family("keepalived_advertisements_sent_total", "keepalived_vrrp_advert_sent", "Adverts sent", func(s *engine.InstanceStats) uint64 { return s.AdvertsSent })
	family("keepalived_become_master_total", "keepalived_vrrp_become_master", "Became master", func(s *engine.InstanceStats) uint64 { return s.BecameMaster })
	family("keepalived_release_master_total", "keepalived_vrrp_release_master", "Released master", func(s *engine.InstanceStats) uint64 { return s.ReleasedMaster })
	family("keepalived_packet_length_errors_total", "keepalived_vrrp_packet_len_err", "Packet length errors", drops(vrrp.DropTooShort, vrrp.DropLength))
	family("keepalived_advertisements_interval_errors_total", "keepalived_vrrp_advert_interval_err", "Advert interval errors", drops(vrrp.DropIntervalMismatch))
	family("keepalived_ip_ttl_errors_total", "keepalived_vrrp_ip_ttl_err", "TTL errors", drops(vrrp.DropTTL))
	family("keepalived_invalid_type_received_total", "keepalived_vrrp_invalid_type_rcvd", "Invalid type errors", drops(vrrp.DropType))
	family("keepalived_address_list_errors_total", "keepalived_vrrp_addr_list_err", "Address list errors", func(s *engine.InstanceStats) uint64 { return s.AddrListErrors })
	// havip counts an unknown auth type as a mismatch: keepalived's separate
	// "invalid" class stays 0, so that dashboards find the family.
	family("keepalived_authentication_invalid_total", "keepalived_vrrp_invalid_authtype", "Invalid authentication type (none of 0, 1, 2)", drops(vrrp.DropAuthInvalid))
	family("keepalived_authentication_mismatch_total", "keepalived_vrrp_authtype_mismatch", "Authentication type mismatch", drops(vrrp.DropAuthType))
	family("keepalived_authentication_failure_total", "keepalived_vrrp_auth_failure", "Authentication failure", drops(vrrp.DropAuthPass))
	family("keepalived_priority_zero_received_total", "keepalived_vrrp_pri_zero_rcvd", "Priority zero adverts received", func(s *engine.InstanceStats) uint64 { return s.PriorityZeroReceived })
	family("keepalived_priority_zero_sent_total", "keepalived_vrrp_pri_zero_sent", "Priority zero adverts sent", func(s *engine.InstanceStats) uint64 { return s.PriorityZeroSent })
	return c
}

// Describe sends every family's description.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.vrrpState, c.excludedState, c.checkScript, c.garpDelay, c.scriptStatus, c.scriptState,
		c.transitions, c.priority, c.basePriority, c.trackerStatus, c.trackerWeight, c.trackerDisabled,
		c.scriptRuns, c.scriptFailures, c.scriptSeconds, c.scriptLastSeconds, c.scriptLastExit, c.scriptRunning,
		c.advertsRcvd, c.advertsSent, c.advertsDropped, c.foreignAdverts, c.foreignRouters, c.mastersSeen, c.vipRemovals, c.routingRemovals, c.staticRestored,
		c.portAccepted, c.portDropped, c.portUnknownVRID, c.portChecksums, c.reloads, c.reloadsFailed, c.reloadLastSuccess, c.configInfo,
		c.notifyDepth, c.notifyDropped, c.smtpAlerts, c.buildInfo, c.heartbeat, c.vsQuorum, c.vsSorry, c.rsUp, c.rsWeight, c.checkerUp} {
		ch <- d
	}
	for _, f := range c.counters {
		ch <- f.mehdy
		ch <- f.g2b
	}
	for _, f := range append(append([]lvsFamily{}, c.lvsVIP...), c.lvsRS...) {
		ch <- f.desc
	}
}

// Collect reads one snapshot and sends every series.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(c.buildInfo, 1, c.opts.Version, runtime.Version())
	if c.opts.Reloads != nil {
		st := c.opts.Reloads()
		counter(c.reloads, st.Reloads)
		counter(c.reloadsFailed, st.Failed)
		if !st.LastSuccess.IsZero() {
			gauge(c.reloadLastSuccess, float64(st.LastSuccess.UnixNano())/1e9)
			gauge(c.configInfo, 1, st.ConfigHash)
		}
	}
	e := c.opts.Engine()
	if e == nil {
		gauge(c.up, 0)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.QueryTimeout)
	defer cancel()
	snap, err := e.SnapshotContext(ctx)
	if err != nil {
		c.opts.Log.Warn("metrics: no snapshot of the engine", "err", err)
		gauge(c.up, 0)
		return
	}
	gauge(c.up, 1)
	if hb := e.LastHeartbeat(); !hb.IsZero() {
		gauge(c.heartbeat, float64(hb.UnixNano())/1e9)
	}
	gauge(c.notifyDepth, float64(snap.Notify.Pending))
	counter(c.notifyDropped, snap.Notify.Dropped, "script")
	counter(c.notifyDropped, snap.Notify.FIFODropped, "fifo")
	sent, failed := alert.Totals()
	counter(c.smtpAlerts, sent, "sent")
	counter(c.smtpAlerts, failed, "failed")
	for kind, n := range snap.StaticRestored {
		counter(c.staticRestored, n, kind)
	}

	scripts := map[string]engine.TrackerStatus{} // vrrp_scripts by name, once each
	for i := range snap.Instances {
		s := &snap.Instances[i]
		c.collectInstance(ch, s)
		for _, t := range s.Trackers {
			if t.Kind == "script" {
				scripts[t.Name] = t
			}
		}
	}
	for name, t := range scripts {
		switch t.State {
		case "up":
			gauge(c.scriptStatus, 1, name)
		case "down":
			gauge(c.scriptStatus, 0, name)
		}
		if r := t.Runs; r != nil {
			gauge(c.scriptState, b2f(r.Running), name)
			gauge(c.scriptRunning, b2f(r.Running), name)
			counter(c.scriptRuns, r.Runs, name)
			counter(c.scriptFailures, r.Failures, name)
			gauge(c.scriptSeconds, r.TotalDuration.Seconds(), name)
			if r.Runs > 0 {
				gauge(c.scriptLastSeconds, r.LastDuration.Seconds(), name)
				gauge(c.scriptLastExit, float64(r.LastExit), name)
			}
		}
	}
	for _, v := range snap.VirtualServers {
		gauge(c.vsQuorum, b2f(v.Quorum), v.Name)
		gauge(c.vsSorry, b2f(v.SorryServer), v.Name)
		for _, r := range v.RealServers {
			gauge(c.rsUp, b2f(r.Alive), v.Name, r.Address)
			gauge(c.rsWeight, float64(r.Weight), v.Name, r.Address)
			for i, k := range r.Checkers {
				gauge(c.checkerUp, b2f(k.Up), v.Name, r.Address, k.Kind, strconv.Itoa(i))
			}
		}
	}
	c.collectLVSTraffic(ch, snap.VirtualServers)
	for _, p := range snap.Ports {
		fam := "ipv" + strconv.Itoa(p.Family)
		counter(c.portAccepted, p.Accepted, p.Interface, fam)
		counter(c.portUnknownVRID, p.UnknownVRID, p.Interface, fam)
		for r, v := range p.Drops {
			counter(c.portDropped, v, p.Interface, fam, reasonLabel(r))
		}
		for form, v := range p.Checksums {
			counter(c.portChecksums, v, p.Interface, fam, form)
		}
	}
}

// collectInstance sends the series of one instance. Its label pairs are
// built once and shared by its series (client_golang treats a Metric's labels
// as immutable): a scrape of 250 instances makes about 10 000 series, and
// building the pairs per series was two thirds of its allocations.
func (c *collector) collectInstance(ch chan<- prometheus.Metric, s *engine.InstanceStatus) {
	vrid := strconv.Itoa(int(s.VRID))
	instKV := []string{"iname", s.Name, "intf", s.Interface, "vrid", vrid}
	inst := labelPairs(instKV...)
	with := func(kv ...string) []*dto.LabelPair { return labelPairs(append(slices.Clone(instKV), kv...)...) }
	gauge := func(d *prometheus.Desc, v float64, labels []*dto.LabelPair) {
		ch <- series{d, prometheus.GaugeValue, v, labels}
	}
	counter := func(d *prometheus.Desc, v uint64, labels []*dto.LabelPair) {
		ch <- series{d, prometheus.CounterValue, float64(v), labels}
	}
	state, known := stateValues[s.State]

	scriptsOK := true
	for _, t := range s.Trackers {
		if t.Kind == "script" && t.State != "up" {
			scriptsOK = false
		}
	}
	vips := 0
	for _, a := range s.Addresses {
		ip := a.Address
		if p, err := netip.ParsePrefix(a.Address); err == nil {
			ip = p.Addr().String()
		}
		vip := labelPairs("iname", s.Name, "intf", a.Interface, "vrid", vrid, "ip_address", ip)
		if a.Excluded {
			if known {
				gauge(c.excludedState, state, vip)
			}
			continue
		}
		vips++
		if known {
			gauge(c.vrrpState, state, vip)
		}
		gauge(c.checkScript, b2f(scriptsOK), vip)
	}
	if vips == 0 && known { // as the exporter: one series without an address
		gauge(c.vrrpState, state, labelPairs("iname", s.Name, "intf", s.Interface, "vrid", vrid, "ip_address", ""))
	}
	gauge(c.garpDelay, s.GarpMasterDelay, inst)
	g2b := labelPairs("name", s.Name, "intf", s.Interface, "vrid", vrid, "state", s.State)
	for _, f := range c.counters {
		v := f.value(&s.Stats)
		counter(f.mehdy, v, inst)
		counter(f.g2b, v, g2b)
	}

	gauge(c.priority, float64(s.Priority), inst)
	gauge(c.basePriority, float64(s.BasePriority), inst)
	counter(c.advertsRcvd, s.Stats.AdvertsReceived, inst)
	counter(c.advertsSent, s.Stats.AdvertsSent, inst)
	// Labelled families carry only the values seen (series per reason, kind
	// and outcome would multiply a 250-instance scrape for zeros).
	for r, v := range s.Stats.Drops {
		counter(c.advertsDropped, v, with("reason", reasonLabel(r)))
	}
	for _, t := range s.Stats.Transitions {
		counter(c.transitions, t.Count, with("from", t.From, "to", t.To, "reason", string(t.Reason)))
	}
	for kind, v := range s.Stats.ForeignAdverts {
		kl := with("kind", string(kind))
		counter(c.foreignAdverts, v, kl)
		gauge(c.foreignRouters, float64(len(s.Stats.ForeignRouters[kind])), kl)
	}
	for o, v := range s.Stats.MastersSeen {
		counter(c.mastersSeen, v, with("outcome", string(o)))
	}
	counter(c.vipRemovals, s.Stats.VIPRemovals, inst)
	counter(c.routingRemovals, s.Stats.RoutingRemovals, inst)
	for _, t := range s.Trackers {
		tl := with("kind", t.Kind, "name", t.Name)
		switch t.State {
		case "up":
			gauge(c.trackerStatus, 1, tl)
		case "down":
			gauge(c.trackerStatus, 0, tl)
		}
		gauge(c.trackerWeight, float64(t.Weight), tl)
		gauge(c.trackerDisabled, b2f(t.State == "disabled"), tl)
	}
}

// collectLVSTraffic sends gen2brain/keepalived_exporter's IPVS counters
// with its label values: addr and vip are the address and port as
// "192.0.2.10:80" (an IPv6 address unbracketed, "2001:db8::10:80", as Go's
// net.IP.String()+":"+port makes it), proto the protocol number. A
// firewall-mark service, which the exporter shows as "<nil>:0" (so that
// two of them collide and fail the scrape), is "FWM 7" here, proto "0".
func (c *collector) collectLVSTraffic(ch chan<- prometheus.Metric, vss []engine.VirtualServerStatus) {
	seen := map[[2]string]bool{} // a kernel service is counted once
	for _, v := range vss {
		for i := range v.Services {
			s := &v.Services[i]
			vip := "FWM " + strconv.FormatUint(uint64(s.Fwmark), 10)
			if s.Fwmark == 0 {
				vip = s.Address + ":" + strconv.Itoa(int(s.Port))
			}
			proto := protocolNumber(s.Protocol)
			if seen[[2]string{vip, proto}] {
				continue
			}
			seen[[2]string{vip, proto}] = true
			for _, f := range c.lvsVIP {
				ch <- prometheus.MustNewConstMetric(f.desc, prometheus.CounterValue, float64(f.value(&s.Traffic)), vip, proto)
			}
			for j := range s.Destinations {
				d := &s.Destinations[j]
				addr := d.Address + ":" + strconv.Itoa(int(d.Port))
				for _, f := range c.lvsRS {
					ch <- prometheus.MustNewConstMetric(f.desc, prometheus.CounterValue, float64(f.value(&d.Traffic)), vip, addr, proto)
				}
			}
		}
	}
}

// protocolNumber is IPVS's protocol number of TCP, UDP and SCTP, as the
// exporter labels it; "0" for a firewall-mark service.
func protocolNumber(p string) string {
	switch p {
	case "TCP":
		return "6"
	case "UDP":
		return "17"
	case "SCTP":
		return "132"
	}
	return "0"
}

// series is one sample whose label pairs may be shared with other series.
type series struct {
	desc   *prometheus.Desc
	kind   prometheus.ValueType
	value  float64
	labels []*dto.LabelPair // sorted by name, never modified
}

func (s series) Desc() *prometheus.Desc { return s.desc }

func (s series) Write(m *dto.Metric) error {
	m.Label = s.labels
	v := s.value
	if s.kind == prometheus.CounterValue {
		m.Counter = &dto.Counter{Value: &v}
	} else {
		m.Gauge = &dto.Gauge{Value: &v}
	}
	return nil
}

// labelPairs returns the pairs of kv (name, value, name, value, ...) sorted
// by name, as client_golang expects them.
func labelPairs(kv ...string) []*dto.LabelPair {
	pairs := make([]*dto.LabelPair, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, &dto.LabelPair{Name: &kv[i], Value: &kv[i+1]})
	}
	slices.SortFunc(pairs, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
	return pairs
}

// reasonLabel is a drop reason as a label value: "bad checksum" → "bad_checksum".
func reasonLabel(r vrrp.DropReason) string {
	return strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(r.String()))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
