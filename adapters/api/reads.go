package api

import (
	"net/http"
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

// checkView is the answer of GET /check.
type checkView struct {
	Holds bool      `json:"holds"`
	Until time.Time `json:"until,omitzero"`
	Via   string    `json:"via,omitempty"`
}

// check answers "does principal hold role now?" from the window key or a
// direct assignment alone.
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
	return writeJSON(w, http.StatusOK, checkView{Holds: holds, Until: until, Via: via})
}
