// Package memory is elevate's embedded store: a core.Store kept in process
// memory. It suits a single replica, demos and tests; its state is lost when
// the process exits, and windows end by the injected clock rather than by a
// server-kept TTL. It passes the same conformance suite (store/storetest) as
// the Redis store, so core behaves the same on either.
package memory
