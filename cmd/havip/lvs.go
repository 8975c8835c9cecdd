package main

import (
	"context"
	"log/slog"

	"github.com/havip/havip/config"
	"github.com/havip/havip/runtime/engine"
	"github.com/havip/havip/runtime/lvs"
	"github.com/havip/havip/runtime/supervisor"
)

// withLVS is the one place havip's LVS half is wired in: it wraps the VRRP
// engine made by engine.New (vrrp, err) so that cfg's virtual servers run
// beside it (lvs.Pair: health checkers, IPVS or nftables pools, notify and
// quorum scripts, hot reload). A config with virtual servers and no
// vrrp_instance, which engine.New refuses, runs its virtual servers alone.
func withLVS(vrrp *engine.Engine, err error, cfg *config.Config, log *slog.Logger) (supervisor.Engine, error) {
	if err != nil && len(cfg.Instances) == 0 && len(cfg.VirtualServers) > 0 {
		return lvs.NewPair(nil, cfg, log)
	}
	if err != nil {
		return nil, err
	}
	return lvs.NewPair(vrrp, cfg, log)
}

// runWithLVS runs the VRRP engine and cfg's virtual servers until ctx ends.
func runWithLVS(ctx context.Context, vrrp *engine.Engine, cfg *config.Config, log *slog.Logger) error {
	e, err := withLVS(vrrp, nil, cfg, log)
	if err != nil {
		return err
	}
	return e.Run(ctx)
}
