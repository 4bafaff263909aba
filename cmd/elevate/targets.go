package main

import (
	"fmt"
	"sync"

	"github.com/elevate-pim/elevate/adapters/exec"
	"github.com/elevate-pim/elevate/adapters/webhook"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/config"
)

// targetSet is the core.Targets of the configured roles. Chat adapters add
// their own targets (Slack user groups, Discord roles) once they are up.
type targetSet struct {
	mu    sync.RWMutex
	roles map[string][]core.Target
}

// For returns the targets of role.
func (t *targetSet) For(role string) []core.Target {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.roles[role]
}

// add appends a target to role.
func (t *targetSet) add(role string, target core.Target) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roles[role] = append(t.roles[role], target)
}

// buildTargets makes the webhook and exec targets the config declares;
// platform targets wait for their adapters.
func buildTargets(cfg *config.Config) (*targetSet, error) {
	set := &targetSet{roles: map[string][]core.Target{}}
	for role, specs := range cfg.Targets {
		for i, spec := range specs {
			switch spec.Type {
			case config.TargetWebhook:
				secret, err := spec.Secret.Resolve()
				if err != nil {
					return nil, fmt.Errorf("roles.%s.targets[%d].secret: %w", role, i, err)
				}
				set.add(role, webhook.New(spec.URL, []byte(secret), spec.Timeout))
			case config.TargetExec:
				set.add(role, exec.New(spec.Command, spec.Args, spec.Timeout))
			}
		}
	}
	return set, nil
}
