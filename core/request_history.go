package core

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// RequestPos is a request's place in its principal's history: its
// creation time to the millisecond, then its id. A page of history starts
// after a position; the API hands it out as a cursor.
type RequestPos struct {
	CreatedMs int64 // CreatedAt in Unix milliseconds
	ID        string
}

// PosOf returns r's position in its principal's history.
func PosOf(r *Request) RequestPos { return RequestPos{CreatedMs: r.CreatedAt.UnixMilli(), ID: r.ID} }

// PosSince is the position just before every request created at or after t.
func PosSince(t time.Time) RequestPos { return RequestPos{CreatedMs: t.UnixMilli()} }

// After reports whether p comes after q.
func (p RequestPos) After(q RequestPos) bool {
	return p.CreatedMs > q.CreatedMs || p.CreatedMs == q.CreatedMs && p.ID > q.ID
}

// String encodes p as a cursor: "MILLIS.ID".
func (p RequestPos) String() string { return strconv.FormatInt(p.CreatedMs, 10) + "." + p.ID }

// ParseRequestPos reads a cursor String made.
func ParseRequestPos(s string) (RequestPos, bool) {
	ms, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || id == "" {
		return RequestPos{}, false
	}
	return RequestPos{CreatedMs: n, ID: id}, true
}

// JobHistorySweep adds every stored request to its principal's history,
// once: requests written before the history existed would otherwise be
// missing from GET /requests.
const JobHistorySweep JobKind = "history-sweep"

// historySweep indexes every stored request in its principal's history.
var historySweep = requestSweep{kind: JobHistorySweep, layout: "history-layout",
	visit: func(ctx context.Context, s *Service, reqs []*Request) error { return s.store.IndexRequests(ctx, reqs) }}

// ScheduleHistorySweep schedules the history sweep unless it has run to
// its end before. Serve calls it at start; the sweep is idempotent.
func (s *Service) ScheduleHistorySweep(ctx context.Context) error {
	return historySweep.schedule(ctx, s)
}
