package core

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// reviewColumns is the CSV header of a review report: one row per item.
var reviewColumns = []string{"review", "item", "principal", "role", "type", "permanent", "since", "last_activated",
	"recommendation", "stage", "earlier", "decision", "decided_by", "reason", "decided_at", "note", "outcome", "applied_at"}

// WriteReviewReport writes a review's items as "csv" or "json" (the review
// and its items): decision, reviewer, reason, time and what was applied.
func WriteReviewReport(w io.Writer, format string, rv *Review, items []ReviewItem) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if items == nil {
			items = []ReviewItem{}
		}
		return enc.Encode(struct {
			Review *Review      `json:"review"`
			Items  []ReviewItem `json:"items"`
		}{rv, items})
	case "csv", "":
		cw := csv.NewWriter(w)
		if err := cw.Write(reviewColumns); err != nil {
			return err
		}
		for _, it := range items {
			var earlier []string
			for _, e := range it.Earlier {
				earlier = append(earlier, fmt.Sprintf("stage %d: %s by %s", e.Stage+1, e.Decision, orNobody(e.DecidedBy)))
			}
			rec := []string{it.Review, strconv.Itoa(it.N), it.Principal, it.Role, string(it.Kind), strconv.FormatBool(it.Permanent),
				stamp(it.Since), stamp(it.LastActivated), string(it.Recommendation), strconv.Itoa(it.Stage + 1), csvSafe(strings.Join(earlier, "; ")),
				string(it.Decision), it.DecidedBy, csvSafe(it.Reason), stamp(it.DecidedAt), csvSafe(it.Note), it.Outcome, stamp(it.AppliedAt)}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	return Errorf(EINVALID, "Unknown export format %q: use csv or json.", format)
}

// stamp renders a time for a report: RFC 3339 in UTC, "" for none.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// orNobody names who decided, or says nobody did.
func orNobody(who string) string {
	if who == "" {
		return "nobody (default)"
	}
	return who
}
