package api

import (
	"net/http"

	"github.com/elevate-pim/elevate/core"
)

// assignmentBody is PUT /assignments/{principal}/{role}/{kind}.
type assignmentBody struct {
	Start     string `json:"start"`
	End       string `json:"end"`
	Permanent bool   `json:"permanent"`
}

// kindOf reads the {kind} path segment.
func kindOf(r *http.Request) (core.AssignmentKind, error) {
	switch k := core.AssignmentKind(r.PathValue("kind")); k {
	case core.Eligible, core.Active:
		return k, nil
	}
	return "", badInput(core.FieldKind, "The assignment kind must be eligible or active.")
}

// putAssignment creates or replaces an assignment (admins), by the rules chat follows.
func (s *Server) putAssignment(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	kind, err := kindOf(r)
	if err != nil {
		return err
	}
	var b assignmentBody
	if err := decodeBody(r, &b, false); err != nil {
		return err
	}
	a := core.Assignment{Kind: kind, Principal: r.PathValue("principal"), Role: r.PathValue("role"), Permanent: b.Permanent}
	if a.Start, err = parseTime(core.FieldStart, b.Start); err != nil {
		return err
	}
	if a.End, err = parseTime(core.FieldEnd, b.End); err != nil {
		return err
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	got, err := s.svc.Assign(r.Context(), c, a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, assignmentOf(*got))
}

// deleteAssignment removes an assignment (admins; never the last admin).
func (s *Server) deleteAssignment(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	kind, err := kindOf(r)
	if err != nil {
		return err
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	if err := s.svc.Unassign(r.Context(), c, kind, r.PathValue("principal"), r.PathValue("role")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// convert turns a standing active assignment into an eligible one (admins).
func (s *Server) convert(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	if err := decodeBody(r, &struct{}{}, true); err != nil {
		return err
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	a, err := s.svc.ConvertToEligible(r.Context(), c, r.PathValue("principal"), r.PathValue("role"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, assignmentOf(*a))
}
