// Package archive is the cold tier of elevate's audit trail: events moved
// out of the store once they are older than audit.hot, kept with their
// chain (sequence numbers and hashes) intact, so that `audit export` and
// `audit verify` read the archive and the store as one trail.
//
// Dir keeps the archive as gzip-compressed JSON-lines segment files in a
// directory: each archiving run writes whole segments, named by the first
// and last sequence number they hold, written to a temporary file, synced
// and renamed, so a segment is either complete or absent. Replicas that
// archive must share the directory (or use PostgreSQL instead).
package archive
