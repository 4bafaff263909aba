package core

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// auditColumns is the CSV header of an audit export.
var auditColumns = []string{"seq", "time", "actor", "action", "principal", "role", "request_id", "duration",
	"justification", "ticket", "decision", "reason", "source", "prev_hash", "hash"}

// WriteAudit writes events as "csv" or "json" (one JSON array).
func WriteAudit(w io.Writer, format string, events []AuditEvent) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if events == nil {
			events = []AuditEvent{}
		}
		return enc.Encode(events)
	case "csv", "":
		cw := csv.NewWriter(w)
		if err := cw.Write(auditColumns); err != nil {
			return err
		}
		for _, e := range events {
			dur := ""
			if e.Duration > 0 {
				dur = e.Duration.String()
			}
			rec := []string{strconv.FormatInt(e.Seq, 10), e.Time.UTC().Format(time.RFC3339Nano), e.Actor, e.Action,
				e.Principal, e.Role, e.RequestID, dur, csvSafe(e.Justification), csvSafe(e.Ticket), e.Decision,
				csvSafe(e.Reason), e.Source, e.PrevHash, e.Hash}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	return Errorf(EINVALID, "Unknown export format %q: use csv or json.", format)
}

// csvSafe defuses spreadsheet formula injection in user-typed text: a cell
// starting with = + - @ is prefixed with a quote, as OWASP recommends.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

// String renders an event on one line, for logs and the console.
func (e AuditEvent) String() string {
	return fmt.Sprintf("#%d %s %s %s %s %s %s", e.Seq, e.Time.UTC().Format(time.RFC3339), e.Actor, e.Action, e.Principal, e.Role, e.RequestID)
}

// ReadAuditJSON reads events written by WriteAudit in "json" format.
func ReadAuditJSON(r io.Reader) ([]AuditEvent, error) {
	var events []AuditEvent
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&events); err != nil {
		return nil, fmt.Errorf("read audit export: %w", err)
	}
	return events, nil
}
