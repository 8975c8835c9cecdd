package kadump

import (
	"encoding/json"
	"io"
	"strings"
)

// jsonInstance is one element of keepalived.json.
type jsonInstance struct {
	Data  jsonData `json:"data"`
	Stats Counters `json:"stats"`
}

// jsonData is keepalived.json's "data" of an instance, keys in keepalived's order.
type jsonData struct {
	IName                string   `json:"iname"`
	DontTrackPrimary     int      `json:"dont_track_primary"`
	SkipCheckAdvAddr     int      `json:"skip_check_adv_addr"`
	StrictMode           int      `json:"strict_mode"`
	VMACIfname           string   `json:"vmac_ifname"`
	IfpIfname            string   `json:"ifp_ifname"`
	MasterPriority       int      `json:"master_priority"`
	LastTransition       float64  `json:"last_transition"`
	GARPDelay            int64    `json:"garp_delay"`
	GARPRefresh          int64    `json:"garp_refresh"`
	GARPRep              int      `json:"garp_rep"`
	GARPRefreshRep       int      `json:"garp_refresh_rep"`
	GARPLowerPrioDelay   int64    `json:"garp_lower_prio_delay"`
	GARPLowerPrioRep     int      `json:"garp_lower_prio_rep"`
	LowerPrioNoAdvert    int      `json:"lower_prio_no_advert"`
	HigherPrioSendAdvert int      `json:"higher_prio_send_advert"`
	VRID                 int      `json:"vrid"`
	BasePriority         int      `json:"base_priority"`
	EffectivePriority    int      `json:"effective_priority"`
	VIPSet               bool     `json:"vipset"`
	PromoteSecondaries   bool     `json:"promote_secondaries"`
	AdverInt             float64  `json:"adver_int"`
	MasterAdverInt       float64  `json:"master_adver_int"`
	Accept               int      `json:"accept"`
	Nopreempt            bool     `json:"nopreempt"`
	PreemptDelay         int64    `json:"preempt_delay"`
	State                int      `json:"state"`
	Wantstate            int      `json:"wantstate"`
	Version              int      `json:"version"`
	SMTPAlert            bool     `json:"smtp_alert"`
	NotifyDeleted        bool     `json:"notify_deleted"`
	VIPs                 []string `json:"vips,omitempty"`
	EVIPs                []string `json:"evips,omitempty"`
	TrackScript          []string `json:"track_script,omitempty"`
	AuthType             int      `json:"auth_type"`
	AuthData             string   `json:"auth_data,omitempty"`
}

// WriteJSON writes keepalived.json: every instance's settings, state and counters.
func WriteJSON(w io.Writer, d Dump) error {
	out := make([]jsonInstance, 0, len(d.Snapshot.Instances))
	scripts := scriptsByName(d.Config)
	for _, inst := range d.Snapshot.Instances {
		jd := jsonData{
			IName: inst.Name, IfpIfname: inst.Interface,
			LastTransition: epochSeconds(inst.Since), VRID: int(inst.VRID),
			BasePriority: int(inst.BasePriority), EffectivePriority: int(inst.Priority),
			VIPSet: inst.State == "MASTER", State: stateNumber(inst.State), Wantstate: stateNumber(inst.State),
			Version: inst.Version,
		}
		if c := inst.Config; c != nil {
			jd.DontTrackPrimary, jd.SkipCheckAdvAddr, jd.StrictMode = b2i(c.DontTrackPrimary), b2i(c.SkipCheckAdvAddr), b2i(c.Strict)
			jd.GARPDelay, jd.GARPRefresh = int64(c.GARP.MasterDelay.Seconds()), int64(c.GARP.MasterRefresh.Seconds())
			jd.GARPRep, jd.GARPRefreshRep = c.GARP.MasterRepeat, c.GARP.MasterRefreshRepeat
			jd.GARPLowerPrioDelay, jd.GARPLowerPrioRep = int64(c.GARP.LowerPrioDelay.Seconds()), c.GARP.LowerPrioRepeat
			jd.LowerPrioNoAdvert, jd.HigherPrioSendAdvert = b2i(c.LowerPrioNoAdvert), b2i(c.HigherPrioSendAdvert)
			jd.PromoteSecondaries = c.PromoteSecondaries
			jd.AdverInt, jd.MasterAdverInt = c.AdvertInt.Seconds(), c.AdvertInt.Seconds()
			jd.Accept, jd.Nopreempt, jd.PreemptDelay = b2i(c.Accept), c.Nopreempt, int64(c.PreemptDelay.Seconds())
			jd.SMTPAlert, jd.NotifyDeleted = c.SMTPAlert, c.Notify.Deleted != nil
			for i, a := range c.VirtualAddresses {
				jd.VIPs = append(jd.VIPs, vipLine(a, c.Interface, runDev(inst, i), jd.VIPSet))
			}
			for i, a := range c.ExcludedAddresses {
				jd.EVIPs = append(jd.EVIPs, vipLine(a, c.Interface, runDev(inst, len(c.VirtualAddresses)+i), jd.VIPSet))
			}
			for _, t := range inst.Trackers {
				if s, ok := scripts[t.Name]; ok && t.Kind == "script" {
					jd.TrackScript = append(jd.TrackScript, "'"+strings.Join(s.Command.Args, " ")+"'")
				}
			}
			jd.AuthType, jd.AuthData = authType(c)
			if c.VMAC != nil {
				jd.VMACIfname = vmacName(c, d.Config)
			}
		}
		if inst.State == "BACKUP" {
			jd.MasterPriority = int(inst.MasterPriority)
			if inst.MasterAdvertInt > 0 {
				jd.MasterAdverInt = inst.MasterAdvertInt.Seconds()
			}
		}
		out = append(out, jsonInstance{Data: jd, Stats: CountersOf(inst.Stats)})
	}
	enc := json.NewEncoder(w)
	return enc.Encode(out)
}
