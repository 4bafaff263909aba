// Package siem streams elevate's audit trail to a SIEM as it grows: to a
// syslog receiver (RFC 5424 messages over TCP or TLS, octet-counted as
// RFC 6587 frames) or to an HTTP endpoint taking JSON lines.
//
// A Forwarder keeps a durable cursor in the store: the sequence number of
// the last event the sink accepted. It sends what follows in batches,
// retries with backoff until the sink accepts, and only then moves the
// cursor, so nothing is lost across restarts or a replica's death. One
// replica at a time forwards, under a store lease; each event carries its
// sequence number and hash (syslog structured data, JSON fields), so a
// batch re-sent after a crash between send and cursor move can be told
// apart by the receiver.
package siem
