package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/elevate-pim/elevate/core/config"
)

// Reload reads the config file again and, when it is valid, puts its
// principals, groups, roles and policies in force, rebuilds the roles'
// targets and writes its assignments, all without a restart. A file with
// problems changes nothing: each problem is logged as FILE:LINE, and the
// running config stays. Settings read only at start (store, chat
// platforms, channels, MFA key, reviews) need a restart to change.
func (m *Main) Reload(ctx context.Context) error {
	m.reloading.Lock()
	defer m.reloading.Unlock()
	file := m.cfgFile
	cfg, err := m.loadForReload(file)
	if err != nil {
		m.Metrics.Reloaded(false)
		ev := m.Log.Error().Str("file", file)
		if ps, ok := errors.AsType[config.Problems](err); ok {
			lines := make([]string, len(ps))
			for i, p := range ps {
				lines[i] = p.String()
			}
			ev = ev.Strs("problems", lines)
		} else {
			ev = ev.Err(err)
		}
		ev.Msg("config reload refused; the running config stays")
		return err
	}
	if err := m.Service.SetDirectory(cfg.Directory); err != nil {
		return err
	}
	m.Metrics.Reloaded(true)
	if err := m.seed(ctx, cfg); err != nil {
		m.Log.Error().Err(err).Str("file", file).Msg("config reloaded, but its assignments could not all be written; they are written again on the next reload or restart")
		return err
	}
	m.Log.Info().Str("file", file).Int("roles", len(cfg.Directory.Roles)).Int("principals", len(cfg.Directory.Principals)).Msg("config reloaded")
	return nil
}

// loadForReload loads and checks file as start-up would, and builds its
// targets (in force only once everything else checked out).
func (m *Main) loadForReload(file string) (*config.Config, error) {
	cfg, err := config.Load(file, m.Clock.Now())
	if err != nil {
		return nil, err
	}
	if m.persistent && cfg.RequiresMFA() && !m.sealing {
		return nil, fmt.Errorf("%s: roles now require MFA but elevate started without ELEVATE_ENCRYPTION_KEY: set it and restart", file)
	}
	if err := m.Targets.load(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return cfg, nil
}

// reloadOnHangup reloads the config on every SIGHUP until ctx ends. The
// signal is caught from the moment it returns.
func (m *Main) reloadOnHangup(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				m.Log.Info().Str("file", m.cfgFile).Msg("SIGHUP: reloading the config")
				_ = m.Reload(ctx) // logged
			}
		}
	}()
}
