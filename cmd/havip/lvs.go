package main

import (
	"log/slog"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/lvs"
	"github.com/havip/havip/runtime/supervisor"
)

// withLVS is the one place havip's LVS half is wired in: the VRRP engine
// runs beside cfg's virtual servers (lvs.Pair: health checkers, IPVS or
// nftables pools, notify and quorum scripts, hot reload).
func withLVS(vrrp *engine.Engine, cfg *config.Config, log *slog.Logger) (supervisor.Engine, error) {
	return lvs.NewPair(vrrp, cfg, log)
}
