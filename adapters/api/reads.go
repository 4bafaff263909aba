package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// roles lists the role definitions and their policies.
func (s *Server) roles(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	dir := s.svc.Directory()
	out := []roleView{}
	for _, name := range dir.RoleNames() {
		role, _ := dir.Role(name)
		out = append(out, roleOf(role))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"roles": out})
}

// eligibility lists a principal's eligible assignments in force.
func (s *Server) eligibility(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	p := r.URL.Query().Get("principal")
	if p == "" {
		p = c.Principal
	}
	if err := required(core.FieldPrincipal, p); err != nil {
		return err
	}
	as, err := s.auto.Eligibility(r.Context(), c, p)
	if err != nil {
		return err
	}
	out := []assignmentView{}
	for _, a := range as {
		out = append(out, assignmentOf(a))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"eligibility": out})
}

// assignments lists active holdings: windows and direct assignments.
func (s *Server) assignments(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	q := r.URL.Query()
	p, role := q.Get("principal"), q.Get("role")
	if p == "" && role == "" {
		p = c.Principal
	}
	hs, err := s.auto.Holdings(r.Context(), c, p, role)
	if err != nil {
		return err
	}
	out := []holdingView{}
	for _, h := range hs {
		out = append(out, holdingView{Principal: h.Principal, Role: h.Role, Via: h.Via, RequestID: h.RequestID, Start: h.Start, End: h.End, Permanent: h.End.IsZero()})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"assignments": out})
}

// check answers "does principal hold role now?" from the window key or a
// direct assignment alone, in one store round trip. It is the hot path:
// the answer {"holds", "until", "via"} is written without reflection.
func (s *Server) check(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	q := r.URL.Query()
	p, role := q.Get("principal"), q.Get("role")
	if err := required(core.FieldPrincipal, p); err != nil {
		return err
	}
	if err := required(core.FieldRole, role); err != nil {
		return err
	}
	holds, until, via, err := s.auto.Check(r.Context(), c, p, role)
	if err != nil {
		return err
	}
	b := make([]byte, 0, 96)
	b = append(b, `{"holds":`...)
	b = strconv.AppendBool(b, holds)
	if !until.IsZero() {
		b = append(b, `,"until":"`...)
		b = until.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	if via != "" {
		b = append(b, `,"via":"`...)
		b = append(b, via...) // "window" or "assignment"
		b = append(b, '"')
	}
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(b)
	return err
}
