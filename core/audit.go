package core

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// AuditEvent records one state change or admin action. Events form a hash
// chain: each carries the SHA-256 of the previous event, so altering or
// removing one breaks the chain at that point.
type AuditEvent struct {
	Seq           int64         `json:"seq"`
	Time          time.Time     `json:"time"`
	Actor         string        `json:"actor"`
	Action        string        `json:"action"`
	Principal     string        `json:"principal,omitempty"`
	Role          string        `json:"role,omitempty"`
	RequestID     string        `json:"request_id,omitempty"`
	ReviewID      string        `json:"review_id,omitempty"`
	Duration      time.Duration `json:"duration,omitempty"`
	Justification string        `json:"justification,omitempty"`
	Ticket        string        `json:"ticket,omitempty"`
	Decision      string        `json:"decision,omitempty"`
	Reason        string        `json:"reason,omitempty"`
	Source        string        `json:"source,omitempty"`
	PrevHash      string        `json:"prev_hash"`
	Hash          string        `json:"hash"`
}

// AuditHead is the newest event's sequence number and hash, kept apart from
// the events so that removing the newest events is detected too.
type AuditHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// ComputeHash returns the event's chain hash: SHA-256 over the previous
// event's hash, the sequence number and the digest of the event's content,
// as ChainHash. Splitting the content digest out lets a store compute the
// short chain step inside the database, where appends are serialized,
// while the content digest is computed by the writer.
func (e AuditEvent) ComputeHash() string {
	return ChainHash(e.PrevHash, e.Seq, e.ContentDigest())
}

// ContentDigest is the SHA-256 (hex) of the event's canonical JSON encoding
// with Seq, PrevHash and Hash left out.
func (e AuditEvent) ContentDigest() string {
	e.Seq, e.PrevHash, e.Hash = 0, "", ""
	e.Time = e.Time.UTC()
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("audit: marshal event: %v", err)) // a struct of plain fields always marshals
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ChainHash is the hex SHA-256 of the 72 bytes prev ‖ seq ‖ contentDigest:
// the previous hash (32 bytes; zeros for the first event), the sequence
// number (8 bytes, big-endian) and the content digest (32 bytes): two
// SHA-256 blocks, whatever the event's size, so that chaining is cheap for
// whichever part of a store does it.
func ChainHash(prev string, seq int64, contentDigest string) string {
	var buf [72]byte
	hex.Decode(buf[0:32], []byte(prev)) // "" (the first event) leaves zeros; a bad hash fails verification below
	binary.BigEndian.PutUint64(buf[32:40], uint64(seq))
	hex.Decode(buf[40:72], []byte(contentDigest))
	sum := sha256.Sum256(buf[:])
	return hex.EncodeToString(sum[:])
}

// Chain sets e's sequence number, previous hash and hash so that it follows head.
// Stores call it when they append.
func Chain(head AuditHead, e AuditEvent) AuditEvent {
	e.Seq = head.Seq + 1
	e.PrevHash = head.Hash
	e.Time = e.Time.UTC()
	e.Hash = e.ComputeHash()
	return e
}

// AuditFilter selects events for export. Zero fields match everything.
type AuditFilter struct {
	Since     time.Time
	Until     time.Time
	Principal string
	Role      string
}

// Match reports whether e passes the filter. Since is inclusive, Until exclusive.
func (f AuditFilter) Match(e AuditEvent) bool {
	switch {
	case !f.Since.IsZero() && e.Time.Before(f.Since):
		return false
	case !f.Until.IsZero() && !e.Time.Before(f.Until):
		return false
	case f.Principal != "" && e.Principal != f.Principal:
		return false
	case f.Role != "" && e.Role != f.Role:
		return false
	}
	return true
}
