package api

import (
	"net/http"
	"strconv"

	"github.com/elevate-pim/elevate/core"
)

// CursorHeader carries the sequence number an audit download read up to:
// pass it as after= to resume with the events appended since.
const CursorHeader = "Elevate-Audit-Cursor"

// audit streams the audit events that match the filter, after the cursor,
// as CSV or a JSON array (the format `elevate audit verify --file`
// reads), in chunks: memory stays flat however long the trail.
func (s *Server) audit(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	q := r.URL.Query()
	f := core.AuditFilter{Principal: q.Get("principal"), Role: q.Get("role")}
	var err error
	if f.Since, err = parseTime("since", q.Get("since")); err != nil {
		return err
	}
	if f.Until, err = parseTime("until", q.Get("until")); err != nil {
		return err
	}
	var after int64
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return badInput("after", "after must be an audit sequence number (0 or more).")
		}
	}
	format := q.Get("format")
	contentType := map[string]string{"": "text/csv", "csv": "text/csv", "json": "application/json"}[format]
	if contentType == "" {
		return badInput(core.FieldFormat, "format must be csv or json.")
	}
	head, err := s.auto.AuditHead(r.Context(), c)
	if err != nil {
		return err
	}
	out := &sentWriter{w: w}
	aw, err := core.NewAuditWriter(out, format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set(CursorHeader, strconv.FormatInt(head.Seq, 10))
	// The scan reads its own head, at or after the one in the header; it
	// stops at the header's so that the cursor and the body agree.
	written := 0
	_, err = s.auto.ScanAudit(r.Context(), c, f, after, func(e *core.AuditEvent) error {
		if e.Seq > head.Seq {
			return errDone
		}
		if written++; written%core.AuditChunk == 0 {
			aw.Flush()
		}
		return aw.Write(e)
	})
	if err != nil && err != errDone {
		if !out.sent {
			return err
		}
		// The status line is sent; cut the body short so that the client
		// sees an incomplete download, never a complete-looking one.
		s.log.Error().Err(err).Msg("api audit stream failed")
		panic(http.ErrAbortHandler)
	}
	return aw.Close()
}

// errDone ends a scan early.
var errDone = &apiError{code: "done"}

// auditHead returns the newest event's sequence number and hash.
func (s *Server) auditHead(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	head, err := s.auto.AuditHead(r.Context(), c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, head)
}

// sentWriter notes whether anything reached the client.
type sentWriter struct {
	w    http.ResponseWriter
	sent bool
}

func (s *sentWriter) Write(p []byte) (int, error) {
	s.sent = true
	return s.w.Write(p)
}
