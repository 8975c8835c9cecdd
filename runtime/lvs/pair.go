package lvs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/havip/havip/config"
)

// Engine runs and hot-applies configs (the supervisor's Engine), and writes
// the LVS half's notify FIFO lines beside its own.
type Engine interface {
	Run(ctx context.Context) error
	Apply(cfg *config.Config) error
	NotifyLVS(line string)
}

// Pair runs a VRRP engine and the LVS manager of the same config side by
// side, as keepalived runs its VRRP and checker processes. The manager is
// created with the first config that has virtual servers, so a VRRP-only
// config opens no LVS backend. A failing LVS half is logged and does not
// stop VRRP. A config without vrrp_instance runs a VRRP engine with no
// instances beside its virtual servers.
type Pair struct {
	VRRP Engine
	Log  *slog.Logger
	// Options are passed to the manager.
	Options Options

	mu     sync.Mutex
	lvs    *Manager
	ctx    context.Context // set while Run runs
	lvsErr chan error
}

// NewPair returns the pair for cfg.
func NewPair(vrrp Engine, cfg *config.Config, log *slog.Logger) (*Pair, error) {
	p := &Pair{VRRP: vrrp, Log: log, Options: Options{Log: log, Notify: vrrp.NotifyLVS}, lvsErr: make(chan error, 1)}
	if len(cfg.VirtualServers) > 0 {
		m, err := New(cfg, p.Options)
		if err != nil {
			return nil, err
		}
		p.lvs = m
	}
	return p, nil
}

// Run runs both halves until ctx ends or the VRRP engine stops.
func (p *Pair) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.mu.Lock()
	p.ctx = ctx
	if p.lvs != nil {
		p.startLVS(p.lvs)
	}
	p.mu.Unlock()
	err := p.VRRP.Run(ctx)
	cancel()
	p.mu.Lock()
	running := p.lvs != nil
	p.mu.Unlock()
	if running {
		err = errors.Join(err, <-p.lvsErr)
	}
	return err
}

func (p *Pair) startLVS(m *Manager) {
	go func() {
		err := m.Run(p.ctx)
		if err != nil {
			p.Log.Error("lvs: virtual servers stopped", "error", err)
			err = fmt.Errorf("lvs: %w", err)
		}
		p.lvsErr <- err
	}()
}

// Apply applies cfg to both halves.
func (p *Pair) Apply(cfg *config.Config) error {
	vrrpErr := p.VRRP.Apply(cfg)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lvs != nil {
		return errors.Join(vrrpErr, p.lvs.Apply(cfg))
	}
	if len(cfg.VirtualServers) == 0 {
		return vrrpErr
	}
	m, err := New(cfg, p.Options)
	if err != nil {
		return errors.Join(vrrpErr, err)
	}
	p.lvs = m
	if p.ctx != nil {
		p.startLVS(m)
	}
	return vrrpErr
}

// State returns the state of the virtual servers, for status output; nil
// when the config has none.
func (p *Pair) State() []VirtualServerState {
	p.mu.Lock()
	m := p.lvs
	p.mu.Unlock()
	if m == nil {
		return nil
	}
	return m.State()
}
