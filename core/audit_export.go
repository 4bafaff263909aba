package core

import (
	"bufio"
	"bytes"
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

// AuditWriter writes an audit export event by event, in constant memory:
// "csv" (a header row, then a row per event) or "json" (one indented JSON
// array, which ReadAuditJSON and `elevate audit verify --file` read back).
// Close finishes the export; nothing is complete before it.
type AuditWriter struct {
	w      *bufio.Writer
	csv    *csv.Writer // nil for json
	n      int64
	buf    bytes.Buffer // one JSON event
	enc    *json.Encoder
	record []string
}

// NewAuditWriter starts an export to w in format "csv" ("" too) or "json";
// EINVALID for any other format.
func NewAuditWriter(w io.Writer, format string) (*AuditWriter, error) {
	aw := &AuditWriter{w: bufio.NewWriterSize(w, 64<<10)}
	switch format {
	case "json":
		aw.enc = json.NewEncoder(&aw.buf)
		aw.enc.SetIndent("  ", "  ")
	case "csv", "":
		aw.csv = csv.NewWriter(aw.w)
		aw.record = make([]string, len(auditColumns))
		if err := aw.csv.Write(auditColumns); err != nil {
			return nil, err
		}
	default:
		return nil, Invalidf(FieldFormat, "Unknown export format %q: use csv or json.", format)
	}
	return aw, nil
}

// Write adds e to the export.
func (aw *AuditWriter) Write(e *AuditEvent) error {
	aw.n++
	if aw.csv == nil {
		aw.buf.Reset()
		if err := aw.enc.Encode(e); err != nil {
			return err
		}
		sep := ",\n  "
		if aw.n == 1 {
			sep = "[\n  "
		}
		aw.w.WriteString(sep)
		_, err := aw.w.Write(bytes.TrimSuffix(aw.buf.Bytes(), []byte("\n")))
		return err
	}
	dur := ""
	if e.Duration > 0 {
		dur = e.Duration.String()
	}
	r := aw.record
	r[0], r[1], r[2], r[3] = strconv.FormatInt(e.Seq, 10), e.Time.UTC().Format(time.RFC3339Nano), e.Actor, e.Action
	r[4], r[5], r[6], r[7] = e.Principal, e.Role, e.RequestID, dur
	r[8], r[9], r[10], r[11] = csvSafe(e.Justification), csvSafe(e.Ticket), e.Decision, csvSafe(e.Reason)
	r[12], r[13], r[14] = e.Source, e.PrevHash, e.Hash
	return aw.csv.Write(r)
}

// Flush sends what was written so far to the underlying writer, so that a
// slow stream reaches its reader as it goes.
func (aw *AuditWriter) Flush() error {
	if aw.csv != nil {
		aw.csv.Flush()
		if err := aw.csv.Error(); err != nil {
			return err
		}
	}
	return aw.w.Flush()
}

// Close ends the export (the JSON array's closing bracket) and flushes it.
// It does not close the underlying writer.
func (aw *AuditWriter) Close() error {
	if aw.csv == nil {
		end := "\n]\n"
		if aw.n == 0 {
			end = "[]\n"
		}
		aw.w.WriteString(end)
	}
	return aw.Flush()
}

// WriteAudit writes events as "csv" or "json", as AuditWriter does.
func WriteAudit(w io.Writer, format string, events []AuditEvent) error {
	aw, err := NewAuditWriter(w, format)
	if err != nil {
		return err
	}
	for i := range events {
		if err := aw.Write(&events[i]); err != nil {
			return err
		}
	}
	return aw.Close()
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

// ScanAuditJSON reads an export written in "json" format event by event,
// in constant memory, and calls fn with each; unknown fields are refused.
func ScanAuditJSON(r io.Reader, fn func(*AuditEvent) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return fmt.Errorf("read audit export: not a JSON array of events (%v)", err)
	}
	for dec.More() {
		var e AuditEvent
		if err := dec.Decode(&e); err != nil {
			return fmt.Errorf("read audit export: %w", err)
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("read audit export: %w", err)
	}
	return nil
}

// ReadAuditJSON reads all events of an export written in "json" format.
func ReadAuditJSON(r io.Reader) ([]AuditEvent, error) {
	var events []AuditEvent
	err := ScanAuditJSON(r, func(e *AuditEvent) error {
		events = append(events, *e)
		return nil
	})
	return events, err
}
