package engine

import (
	"errors"
	"fmt"

	"github.com/havip/havip/runtime/netif"
)

// checkVRFs looks up the device each instance's vrf names, as keepalived 2.2.7's vrf handler
// does while reading the config whether or not the instance keeps the vrf: a missing device
// stops keepalived ("Non-existent interface specified in configuration") and fails the plan
// here; a loopback device is ignored with a warning. havip keeps no vrf (config clears it as
// keepalived does, and refuses the one case keepalived keeps: no interface, unicast peers), so
// nothing is bound to the VRF.
func (e *Engine) checkVRFs(p *plan) error {
	for _, inst := range p.instances {
		name := inst.cfg.VRF
		if name == "" {
			continue
		}
		kind, err := e.host.LinkKind(name)
		switch {
		case errors.Is(err, netif.ErrNoInterface):
			return atPos(inst.cfg.Pos, fmt.Errorf("vrrp_instance %s (%s): vrf %s: the VRF interface does not exist (keepalived 2.2.7 does not start either); this kernel may have no VRF support", inst.name, inst.cfg.Pos, name))
		case err != nil:
			return atPos(inst.cfg.Pos, fmt.Errorf("vrrp_instance %s (%s): vrf %s: %w", inst.name, inst.cfg.Pos, name, err))
		case kind == "loopback":
			e.log.Warn("vrf: cannot use a loopback interface for VRF; ignored, as keepalived does", "instance", inst.name, "vrf", name)
		}
	}
	return nil
}
