package core

import (
	"fmt"
	"sort"
	"sync"
)

// Directory is the configured world: principals, groups and roles, and which
// roles administer elevate itself. It is built from the config file and is
// read-only once the service runs: a reload swaps in a new Directory.
type Directory struct {
	Principals map[string]*Principal
	Groups     map[string]*Group
	Roles      map[string]*Role
	AdminRole  string // holders may manage assignments
	ReaderRole string // holders may view who-has-access and the audit trail

	// byPlatform indexes Principals by platform and platform user id, so
	// that finding who sent a chat command does not scan every principal.
	// It is built once, by the service taking the directory in (or by the
	// first lookup of a directory used on its own).
	indexOnce  sync.Once
	byPlatform map[string]map[string]*Principal
}

// index builds the platform id index, once. Were two principals to
// claim one platform id (the config refuses that), the one whose id
// sorts first wins, as it would on every replica.
func (d *Directory) index() {
	d.indexOnce.Do(func() {
		d.byPlatform = map[string]map[string]*Principal{}
		for _, p := range d.Principals {
			for platform, uid := range p.IDs {
				if uid == "" {
					continue
				}
				ids := d.byPlatform[platform]
				if ids == nil {
					ids = map[string]*Principal{}
					d.byPlatform[platform] = ids
				}
				if q, ok := ids[uid]; !ok || p.ID < q.ID {
					ids[uid] = p
				}
			}
		}
	})
}

// Principal returns the principal with id, or ENOTFOUND.
func (d *Directory) Principal(id string) (*Principal, error) {
	if p, ok := d.Principals[id]; ok {
		return p, nil
	}
	return nil, &Error{Code: ENOTFOUND, Message: fmt.Sprintf("Unknown principal %q.", id), Field: FieldPrincipal}
}

// Role returns the role named name, or ENOTFOUND.
func (d *Directory) Role(name string) (*Role, error) {
	if r, ok := d.Roles[name]; ok {
		return r, nil
	}
	return nil, &Error{Code: ENOTFOUND, Message: fmt.Sprintf("Unknown role %q.", name), Field: FieldRole}
}

// PrincipalFor maps a platform user id to a principal, or returns ENOTFOUND
// with a "not enrolled" message.
func (d *Directory) PrincipalFor(platform, userID string) (*Principal, error) {
	d.index()
	if p, ok := d.byPlatform[platform][userID]; ok {
		return p, nil
	}
	return nil, Errorf(ENOTFOUND, "You are not enrolled in elevate. Ask an admin to add your %s id (%s) to the config.", platform, userID)
}

// PrincipalByEmail maps an email address to a principal, or ENOTFOUND.
func (d *Directory) PrincipalByEmail(email string) (*Principal, error) {
	for _, p := range d.Principals {
		if email != "" && p.Email == email {
			return p, nil
		}
	}
	return nil, Errorf(ENOTFOUND, "You are not enrolled in elevate.")
}

// RoleNames returns all role names, sorted.
func (d *Directory) RoleNames() []string {
	names := make([]string, 0, len(d.Roles))
	for n := range d.Roles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// expand returns the distinct principals named directly or through groups, sorted.
func (d *Directory) expand(ids, groups []string) []string {
	set := map[string]bool{}
	for _, id := range ids {
		set[id] = true
	}
	for _, g := range groups {
		if grp, ok := d.Groups[g]; ok {
			for _, m := range grp.Members {
				set[m] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Approvers returns who may decide on a request for role: the configured
// approvers, plus the escalation approvers once escalated. The requester is
// never among them.
func (d *Directory) Approvers(role *Role, escalated bool, requester string) []string {
	a := role.Policy.Approval
	ids, groups := a.Approvers, a.ApproverGroups
	if escalated {
		ids = append(append([]string(nil), ids...), a.Escalation.Approvers...)
		groups = append(append([]string(nil), groups...), a.Escalation.ApproverGroups...)
	}
	all := d.expand(ids, groups)
	out := all[:0]
	for _, id := range all {
		if id != requester {
			out = append(out, id)
		}
	}
	return out
}
