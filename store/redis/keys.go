package redis

import (
	"strings"

	"github.com/elevate-pim/elevate/core"
)

// keyspace builds the store's keys. Every key begins with the same hash tag,
// so that every key the store touches lives in one Redis Cluster slot.
type keyspace struct {
	tag string // "{prefix}:"
}

func newKeyspace(prefix string) keyspace { return keyspace{tag: "{" + prefix + "}:"} }

func (k keyspace) rev() string             { return k.tag + "rev" }
func (k keyspace) asg() string             { return k.tag + "asg" }
func (k keyspace) jobs() string            { return k.tag + "jobs" }
func (k keyspace) jobData() string         { return k.tag + "jobdata" }
func (k keyspace) audit() string           { return k.tag + "audit" }
func (k keyspace) auditHead() string       { return k.tag + "audithead" }
func (k keyspace) auditPending() string    { return k.tag + "auditpending" }
func (k keyspace) auditSeq() string        { return k.tag + "auditseq" }
func (k keyspace) auditCheckpoint() string { return k.tag + "auditcheckpoint" }
func (k keyspace) applied() string         { return k.tag + "applied" }
func (k keyspace) alerts() string          { return k.tag + "alerts" }

func (k keyspace) request(id string) string           { return k.tag + "req:" + id }
func (k keyspace) openOf(principal string) string     { return k.tag + "openof:" + principal }
func (k keyspace) reqOf(principal string) string      { return k.tag + "reqof:" + principal }
func (k keyspace) awaiting(role string) string        { return k.tag + "awaiting:" + role }
func (k keyspace) asgOf(principal string) string      { return k.tag + "asgof:" + principal }
func (k keyspace) asgFor(role string) string          { return k.tag + "asgfor:" + role }
func (k keyspace) slot(principal, role string) string { return k.tag + "slot:" + pair(principal, role) }
func (k keyspace) window(principal, role string) string {
	return k.tag + "win:" + pair(principal, role)
}
func (k keyspace) windowIndex(role string) string   { return k.tag + "winidx:" + role }
func (k keyspace) mfa(principal string) string      { return k.tag + "mfa:" + principal }
func (k keyspace) once() string                     { return k.tag + "once" }
func (k keyspace) lease(name string) string         { return k.tag + "lease:" + name }
func (k keyspace) leaseToken(name string) string    { return k.tag + "leasetok:" + name }
func (k keyspace) cursor(name string) string        { return k.tag + "cursor:" + name }
func (k keyspace) copies(request string) string     { return k.tag + "copies:" + request }
func (k keyspace) windowOf(w core.WindowKey) string { return k.window(w.Principal, w.Role) }

// pairEscaper escapes the separator, and the escape character itself, so
// that ("a/b", "c") and ("a", "b/c") name different keys.
var pairEscaper = strings.NewReplacer("%", "%25", "/", "%2F")

// pair names a (principal, role) pair unambiguously; for the usual ids and
// role names, which hold neither "%" nor "/", it reads "principal/role".
func pair(principal, role string) string {
	return pairEscaper.Replace(principal) + "/" + pairEscaper.Replace(role)
}
