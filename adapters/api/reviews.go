package api

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// reviewView is an access review as the API shows it.
type reviewView struct {
	ID        string           `json:"id"`
	Name      string           `json:"name,omitempty"` // the plan's; "" for an ad hoc review
	Roles     []string         `json:"roles"`
	State     core.ReviewState `json:"state"`
	StartedBy string           `json:"started_by,omitempty"`
	Created   time.Time        `json:"created"`
	Stage     int              `json:"stage"` // 1-based
	Stages    int              `json:"stages"`
	StageEnd  time.Time        `json:"stage_end"`
	Items     int              `json:"items"`
	Closed    time.Time        `json:"closed,omitzero"`
	ClosedBy  string           `json:"closed_by,omitempty"`
	Mine      int              `json:"mine"` // items waiting for the caller
}

func reviewOf(rv *core.Review, mine int) reviewView {
	return reviewView{ID: rv.ID, Name: rv.Plan.Name, Roles: rv.Plan.Roles, State: rv.State, StartedBy: rv.StartedBy, Created: rv.Created,
		Stage: rv.Stage + 1, Stages: len(rv.Plan.Stages), StageEnd: rv.StageEnd, Items: rv.Items, Closed: rv.Closed, ClosedBy: rv.ClosedBy, Mine: mine}
}

// reviewRoutes are the routes of access reviews: reviewers list, read and
// decide their items; admins start and stop reviews; admins and readers
// read reports.
func (s *Server) reviewRoutes() []route {
	return []route{
		{Route{"GET", "/reviews"}, s.listReviews},
		{Route{"POST", "/reviews"}, s.startReview},
		{Route{"GET", "/reviews/{id}"}, s.getReview},
		{Route{"GET", "/reviews/{id}/items"}, s.reviewItems},
		{Route{"POST", "/reviews/{id}/items/{n}/decision"}, s.decide},
		{Route{"POST", "/reviews/{id}/accept"}, s.acceptAll},
		{Route{"POST", "/reviews/{id}/stop"}, s.stopReview},
		{Route{"POST", "/reviews/{id}/apply"}, s.applyReview},
		{Route{"GET", "/reviews/{id}/report"}, s.reviewReport},
	}
}

// listReviews lists the open reviews the caller may see: all for admins
// and readers, those with items waiting for the caller otherwise.
func (s *Server) listReviews(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	if err := principalOnly(c); err != nil {
		return err
	}
	open, mine, err := s.svc.Reviews().Open(r.Context(), c)
	if err != nil {
		return err
	}
	out := []reviewView{}
	for _, rv := range open {
		out = append(out, reviewOf(rv, mine[rv.ID]))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"reviews": out})
}

// startBody is POST /reviews: an ad hoc review of one role.
type startBody struct {
	Role      string   `json:"role"`
	Duration  string   `json:"duration"`
	Reviewers []string `json:"reviewers"`
}

// startReview starts an ad hoc review (admins).
func (s *Server) startReview(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	var b startBody
	if err := decodeBody(r, &b, false); err != nil {
		return err
	}
	if err := required(core.FieldRole, b.Role); err != nil {
		return err
	}
	d, err := parseDuration(core.FieldDuration, b.Duration)
	if err != nil {
		return err
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	rv, err := s.svc.Reviews().Start(r.Context(), c, b.Role, d, b.Reviewers)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/reviews/"+rv.ID)
	return writeJSON(w, http.StatusCreated, reviewOf(rv, 0))
}

// getReview returns a review with its items per status (admins, readers,
// its current reviewers).
func (s *Server) getReview(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	if err := principalOnly(c); err != nil {
		return err
	}
	p, err := s.svc.Reviews().Progress(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"review": reviewOf(p.Review, p.Mine), "counts": p.Counts})
}

// reviewItems pages through the items of a review that wait for the
// caller's decision, by offset. Those who may not see the review get 403.
func (s *Server) reviewItems(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	offset := 0
	if v := r.URL.Query().Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return badInput("offset", "offset must be a number, 0 or more.")
		}
		offset = n
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := s.svc.Reviews().Progress(r.Context(), c, id); err != nil {
		return err
	}
	p, err := s.svc.Reviews().Pending(r.Context(), c, id, offset)
	if err != nil {
		return err
	}
	items := []reviewItemView{}
	for i := range p.Items {
		items = append(items, reviewItemOf(&p.Items[i]))
	}
	body := map[string]any{"items": items, "total": p.Total}
	if next := offset + len(p.Items); next < p.Total {
		body["next_offset"] = next
	}
	return writeJSON(w, http.StatusOK, body)
}

// decide records the caller's decision on one item: keep or remove, with
// a reason when the review asks for one.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return badInput("n", "The item number must be 1 or more.")
	}
	var b struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	}
	if err := decodeBody(r, &b, false); err != nil {
		return err
	}
	d := core.ReviewDecision(b.Decision)
	if d != core.DecisionKeep && d != core.DecisionRemove {
		return badInput("decision", "decision must be keep or remove.")
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	it, err := s.svc.Reviews().Decide(r.Context(), c, r.PathValue("id"), n, d, b.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, reviewItemOf(it))
}

// acceptAll decides every item waiting for the caller as recommended.
// Whoever has nothing to decide in the review is refused.
func (s *Server) acceptAll(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	if err := decodeBody(r, &struct{}{}, true); err != nil {
		return err
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	id := r.PathValue("id")
	p, err := s.svc.Reviews().Pending(r.Context(), c, id, 0)
	if err != nil {
		return err
	}
	if p.Total == 0 {
		return core.Errorf(core.EFORBIDDEN, "Nothing in review %s waits for your decision.", id)
	}
	n, err := s.svc.Reviews().AcceptAll(r.Context(), c, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"decided": n})
}

// stopReview ends a review now and applies its results (admins).
func (s *Server) stopReview(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	if err := decodeBody(r, &struct{}{}, true); err != nil {
		return err
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	rv, err := s.svc.Reviews().Stop(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, reviewOf(rv, 0))
}

// applyReview carries out the removals a closed review left as "remove
// not applied" (auto_apply: false), once (admins, the review's owners,
// whoever started it).
func (s *Server) applyReview(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	if err := decodeBody(r, &struct{}{}, true); err != nil {
		return err
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	out, err := s.svc.Reviews().Apply(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"review": reviewOf(out.Review, 0), "applied": out.Applied, "counts": out.Counts})
}

// reviewReport returns every item of a review with its decisions and
// outcome, as CSV or JSON (admins, readers).
func (s *Server) reviewReport(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	format := r.URL.Query().Get("format")
	contentType := map[string]string{"": "text/csv", "csv": "text/csv", "json": "application/json"}[format]
	if contentType == "" {
		return badInput(core.FieldFormat, "format must be csv or json.")
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	rv, items, err := s.svc.Reviews().Report(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := core.WriteReviewReport(&buf, format, rv, items); err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Write(buf.Bytes())
	return nil
}
