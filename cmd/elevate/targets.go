package main

import (
	"fmt"
	"sync"

	"github.com/elevate-pim/elevate/adapters/exec"
	"github.com/elevate-pim/elevate/adapters/webhook"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/config"
)

// targetSet is the core.Targets of the configured roles. Webhook and exec
// targets are built from the config alone; chat adapters register how to
// build theirs (Slack user groups, Discord roles) once they are up. A
// config reload builds the whole set again from the new file.
type targetSet struct {
	mu       sync.RWMutex
	roles    map[string][]core.Target
	platform map[string]func(config.Target) core.Target // target type → builder, from a running adapter
	cfg      *config.Config                             // the config the targets were last built from
}

// For returns the targets of role.
func (t *targetSet) For(role string) []core.Target {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.roles[role]
}

// addPlatform registers how a chat adapter builds targets of typ, and
// builds them for the roles of the config in force.
func (t *targetSet) addPlatform(typ string, build func(config.Target) core.Target) error {
	t.mu.Lock()
	t.platform[typ] = build
	cfg := t.cfg
	t.mu.Unlock()
	return t.load(cfg)
}

// load builds every role's targets from cfg, and replaces the set only
// when all of them could be built.
func (t *targetSet) load(cfg *config.Config) error {
	t.mu.RLock()
	platform := t.platform
	t.mu.RUnlock()
	roles := map[string][]core.Target{}
	for role, specs := range cfg.Targets {
		for i, spec := range specs {
			switch spec.Type {
			case config.TargetWebhook:
				secret, err := spec.Secret.Resolve()
				if err != nil {
					return fmt.Errorf("roles.%s.targets[%d].secret: %w", role, i, err)
				}
				var t core.Target = webhook.New(spec.URL, []byte(secret), spec.Timeout, webhook.WithName(spec.Name))
				if spec.List {
					t = t.(*webhook.Webhook).Listing(role)
				}
				roles[role] = append(roles[role], t)
			case config.TargetExec:
				var t core.Target = exec.New(spec.Command, spec.Args, spec.Timeout).WithName(spec.Name)
				if spec.List {
					t = t.(*exec.Program).Listing(role)
				}
				roles[role] = append(roles[role], t)
			default:
				if build, ok := platform[spec.Type]; ok {
					roles[role] = append(roles[role], build(spec))
				}
			}
		}
	}
	t.mu.Lock()
	t.roles, t.cfg = roles, cfg
	t.mu.Unlock()
	return nil
}

// buildTargets makes the webhook and exec targets the config declares;
// platform targets wait for their adapters.
func buildTargets(cfg *config.Config) (*targetSet, error) {
	set := &targetSet{platform: map[string]func(config.Target) core.Target{}}
	return set, set.load(cfg)
}
