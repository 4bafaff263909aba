// Package core is elevate's domain: principals, roles and their policies,
// eligible and active assignments, activation requests and their lifecycle,
// approvals, MFA, the audit chain and the scheduler that drives windows.
//
// core imports only the standard library. It defines the interfaces it calls
// (Store, Clock, EventSink, Target) and every adapter, store and notifier
// depends on core, never the other way round.
package core
