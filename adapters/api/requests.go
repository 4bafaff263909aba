package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/elevate-pim/elevate/core"
)

// requestBody is POST /requests: an activation.
type requestBody struct {
	Role          string `json:"role"`
	Duration      string `json:"duration"`
	Start         string `json:"start"`
	Justification string `json:"justification"`
	Ticket        string `json:"ticket"`
	Code          string `json:"code"`
}

// principalOnly refuses a service identity where a principal must act.
func principalOnly(c core.Caller) error {
	if c.Principal == "" {
		return core.Errorf(core.EFORBIDDEN, "This token acts as no principal: use a token that acts as one.")
	}
	return nil
}

// createRequest asks for an activation as the token's principal.
func (s *Server) createRequest(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	var b requestBody
	if err := decodeBody(r, &b, false); err != nil {
		return err
	}
	if err := required(core.FieldRole, b.Role); err != nil {
		return err
	}
	in := core.ActivationInput{Role: b.Role, Justification: b.Justification, Ticket: b.Ticket, Code: b.Code}
	var err error
	if in.Duration, err = parseDuration(core.FieldDuration, b.Duration); err != nil {
		return err
	}
	if in.Start, err = parseTime(core.FieldStart, b.Start); err != nil {
		return err
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	req, err := s.svc.RequestActivation(r.Context(), c, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/requests/"+req.ID)
	return writeJSON(w, http.StatusCreated, requestOf(req))
}

// getRequest returns one request its caller may see.
func (s *Server) getRequest(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	if err := principalOnly(c); err != nil {
		return err
	}
	req, err := s.svc.Request(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, requestOf(req))
}

// pageSize bounds a page of GET /requests.
const pageSize = 100

// listRequests pages through a principal's requests, final ones
// included, oldest first: cursor is the next_cursor of the previous page.
func (s *Server) listRequests(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	q := r.URL.Query()
	limit := pageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > pageSize {
			return badInput("limit", "limit must be a number from 1 to "+strconv.Itoa(pageSize)+".")
		}
		limit = n
	}
	f := core.RequestFilter{Principal: q.Get("principal"), Role: q.Get("role"), State: core.State(q.Get("state"))}
	if f.State != "" && !knownState(f.State) {
		return badInput("state", "Unknown state "+strconv.Quote(string(f.State))+".")
	}
	var err error
	if f.Since, err = parseTime("since", q.Get("since")); err != nil {
		return err
	}
	var from core.RequestPos
	if v := q.Get("cursor"); v != "" {
		var ok bool
		if from, ok = core.ParseRequestPos(v); !ok {
			return badInput("cursor", "cursor must be the next_cursor of a previous page.")
		}
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	reqs, more, err := s.auto.Requests(r.Context(), c, f, from, limit)
	if err != nil {
		return err
	}
	out := []requestView{}
	for _, req := range reqs {
		out = append(out, requestOf(req))
	}
	body := map[string]any{"requests": out}
	if more {
		body["next_cursor"] = core.PosOf(reqs[len(reqs)-1]).String()
	}
	return writeJSON(w, http.StatusOK, body)
}

// knownState reports whether st is a request state.
func knownState(st core.State) bool {
	switch st {
	case core.PendingMFA, core.PendingApproval, core.Scheduled, core.StateActive, core.Expired, core.Revoked,
		core.Denied, core.Canceled, core.TimedOut, core.Failed:
		return true
	}
	return false
}

// act runs a lifecycle action on request id and answers with the request
// as it stands after it; a conflict carries the request's current state.
func (s *Server) act(w http.ResponseWriter, r *http.Request, c core.Caller, body any, do func(ctx context.Context, id string) (*core.Request, error)) error {
	if err := decodeBody(r, body, true); err != nil {
		return err
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	id := r.PathValue("id")
	req, err := do(r.Context(), id)
	if core.ErrorCode(err) == core.ECONFLICT {
		if now, gerr := s.svc.Request(r.Context(), c, id); gerr == nil {
			return stateError{err, now.State}
		}
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, requestOf(req))
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	return s.act(w, r, c, &struct{}{}, func(ctx context.Context, id string) (*core.Request, error) { return s.svc.Approve(ctx, c, id) })
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	return s.act(w, r, c, &struct{}{}, func(ctx context.Context, id string) (*core.Request, error) { return s.svc.Cancel(ctx, c, id) })
}

func (s *Server) deactivate(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	return s.act(w, r, c, &struct{}{}, func(ctx context.Context, id string) (*core.Request, error) { return s.svc.Deactivate(ctx, c, id) })
}

func (s *Server) deny(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	var b struct {
		Reason string `json:"reason"`
	}
	return s.act(w, r, c, &b, func(ctx context.Context, id string) (*core.Request, error) {
		if err := required(core.FieldReason, b.Reason); err != nil {
			return nil, err
		}
		return s.svc.Deny(ctx, c, id, b.Reason)
	})
}

func (s *Server) extend(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	var b struct {
		Duration string `json:"duration"`
	}
	return s.act(w, r, c, &b, func(ctx context.Context, id string) (*core.Request, error) {
		if err := required(core.FieldDuration, b.Duration); err != nil {
			return nil, err
		}
		d, err := parseDuration(core.FieldDuration, b.Duration)
		if err != nil {
			return nil, err
		}
		return s.svc.Extend(ctx, c, id, d)
	})
}
