package engine

import (
	"time"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/alert"
	"github.com/havip/havip/runtime/notify"
)

// alertStopWait bounds how long stopping waits for the email alerts under
// way.
const alertStopWait = 5 * time.Second

// emit hands a transition to the notify scripts and FIFOs, and to the
// email alerts.
func (e *Engine) emit(ev notify.Event) {
	e.notifier.Notify(ev)
	e.alerts.Notify(ev)
}

// setAlerts replaces the email alerter with cfg's, which keeps the states
// already alerted; the old one finishes what it is sending.
func (e *Engine) setAlerts(cfg *config.Config) {
	old := e.alerts
	e.alerts = alert.New(cfg, alert.Hostname, e.log, old)
	if old != nil {
		e.spawn(func() { old.Close(alertStopWait) })
	}
}
