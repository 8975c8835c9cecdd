package observe

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/havip/havip/runtime/engine"
)

// probes answers /healthz, /readyz and /status.
type probes struct{ opts Options }

// answer is the JSON body of /healthz and /readyz.
type answer struct {
	OK       bool             `json:"ok"`
	Reason   string           `json:"reason,omitempty"`
	Problems []engine.Problem `json:"problems,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// healthz answers 200 while the event loop turns: its last heartbeat is
// within the bound. Before an engine runs (a supervisor rendering its first
// config) it answers 200: the process is starting, not stuck.
func (p probes) healthz(w http.ResponseWriter, r *http.Request) {
	e := p.opts.Engine()
	if e == nil {
		writeJSON(w, http.StatusOK, answer{OK: true, Reason: "starting: no config runs yet"})
		return
	}
	last := e.LastHeartbeat()
	if last.IsZero() {
		writeJSON(w, http.StatusOK, answer{OK: true, Reason: "starting: the event loop has not started yet"})
		return
	}
	if age := time.Since(last); age > p.opts.HeartbeatBound {
		writeJSON(w, http.StatusServiceUnavailable, answer{Reason: "the event loop has not turned for " + age.Round(time.Millisecond).String() +
			" (bound " + p.opts.HeartbeatBound.String() + ")"})
		return
	}
	writeJSON(w, http.StatusOK, answer{OK: true})
}

// readyz answers 200 when the latest config runs (a supervisor's last reload
// did not fail) and every instance is consistent with the host: MASTER holds
// all its VIPs, BACKUP none, nothing in FAULT.
func (p probes) readyz(w http.ResponseWriter, r *http.Request) {
	e := p.opts.Engine()
	if e == nil {
		writeJSON(w, http.StatusServiceUnavailable, answer{Reason: "starting: no config runs yet"})
		return
	}
	if p.opts.Reloads != nil {
		if st := p.opts.Reloads(); st.LastFailure.After(st.LastSuccess) {
			writeJSON(w, http.StatusServiceUnavailable, answer{Reason: "the latest config was rejected and the previous one keeps running: " + st.LastError})
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.opts.QueryTimeout)
	defer cancel()
	problems, err := e.Consistency(ctx)
	switch {
	case err != nil:
		writeJSON(w, http.StatusServiceUnavailable, answer{Reason: err.Error()})
	case len(problems) > 0:
		writeJSON(w, http.StatusServiceUnavailable, answer{Reason: "instances are not consistent with their state", Problems: problems})
	default:
		writeJSON(w, http.StatusOK, answer{OK: true})
	}
}

// status answers the instances of the snapshot, as `havip status --json`.
func (p probes) status(w http.ResponseWriter, r *http.Request) {
	e := p.opts.Engine()
	if e == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "starting: the first config is not running yet"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.opts.QueryTimeout)
	defer cancel()
	snap, err := e.SnapshotContext(ctx)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, snap)
}
