// Package api is elevate's JSON HTTP API under /api/v1, for pipelines,
// ticketing systems, PAM hooks and gateways: requests and decisions,
// assignments, the audit trail and a fast "does P hold R?" check. It is
// described by the OpenAPI 3.1 document openapi.json, served at
// GET /api/v1/openapi.json. Callers authenticate with bearer tokens from
// the config; authorization is core's, as in chat.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/core"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// OpenAPI is the API's OpenAPI 3.1 document.
//
//go:embed openapi.json
var OpenAPI []byte

// Server serves the API. Mount it at Prefix+"/" on the HTTP server.
type Server struct {
	svc  *core.Service
	auto *core.Automation
	auth *authenticator
	log  zerolog.Logger
	mux  *http.ServeMux
}

// Route is one operation the server answers: an HTTP method and a path
// pattern below Prefix in net/http's syntax ({id}, {principal}, ...).
type Route struct {
	Method, Path string
}

// handler answers one authenticated call; an error goes through the one
// error table (writeError).
type handler func(w http.ResponseWriter, r *http.Request, c core.Caller) error

// New returns a server for svc that accepts tokens. With no tokens every
// call except the OpenAPI document answers 401.
func New(svc *core.Service, tokens []Token, log zerolog.Logger) *Server {
	s := &Server{svc: svc, auto: svc.Automation(), auth: newAuthenticator(tokens, svc.Clock()), log: log, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET "+Prefix+"/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(OpenAPI)
	})
	for _, rt := range s.routes() {
		s.mux.Handle(rt.Method+" "+Prefix+rt.Path, s.authenticated(rt.h, auditedReads[rt.Route]))
	}
	s.mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, "not_found", "No such API route: "+r.Method+" "+r.URL.Path+". See "+Prefix+"/openapi.json.", "")
	})
	return s
}

// route is a Route with its handler.
type route struct {
	Route
	h handler
}

// routes is every operation of the API, in one table.
func (s *Server) routes() []route {
	rs := []route{
		{Route{"GET", "/roles"}, s.roles},
		{Route{"GET", "/eligibility"}, s.eligibility},
		{Route{"GET", "/assignments"}, s.assignments},
		{Route{"PUT", "/assignments/{principal}/{role}/{kind}"}, s.putAssignment},
		{Route{"DELETE", "/assignments/{principal}/{role}/{kind}"}, s.deleteAssignment},
		{Route{"POST", "/assignments/{principal}/{role}/convert"}, s.convert},
		{Route{"POST", "/requests"}, s.createRequest},
		{Route{"GET", "/requests"}, s.listRequests},
		{Route{"GET", "/requests/{id}"}, s.getRequest},
		{Route{"POST", "/requests/{id}/approve"}, s.approve},
		{Route{"POST", "/requests/{id}/deny"}, s.deny},
		{Route{"POST", "/requests/{id}/cancel"}, s.cancel},
		{Route{"POST", "/requests/{id}/extend"}, s.extend},
		{Route{"POST", "/requests/{id}/deactivate"}, s.deactivate},
		{Route{"GET", "/audit"}, s.audit},
		{Route{"GET", "/audit/head"}, s.auditHead},
		{Route{"GET", "/check"}, s.check},
	}
	return append(append(rs, s.alertRoutes()...), s.reviewRoutes()...)
}

// auditedReads are the listings and exports that are written to the audit
// trail as "read" events once they succeed. Single-record reads, the audit
// head and the hot /check are not.
var auditedReads = map[Route]bool{
	{"GET", "/eligibility"}: true, {"GET", "/assignments"}: true, {"GET", "/requests"}: true,
	{"GET", "/audit"}: true, {"GET", "/alerts"}: true, {"GET", "/reviews/{id}/report"}: true,
}

// Routes lists every operation the server answers, the OpenAPI document
// aside, for the test that holds the document and the server together.
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.routes() {
		out = append(out, r.Route)
	}
	return out
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// authenticated checks the bearer token and its rate limit, then calls h
// as the token's caller; every call is logged with the token's name, and
// an audited read that succeeded is written to the audit trail.
func (s *Server) authenticated(h handler, audited bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.auth.caller(r.Header.Get("Authorization"))
		if err != nil {
			if wait, limited := retryAfter(err); limited {
				w.Header().Set("Retry-After", wait)
			} else {
				w.Header().Set("WWW-Authenticate", `Bearer realm="elevate"`)
			}
			writeError(w, err)
			return
		}
		err = h(w, r, c)
		if err != nil {
			writeError(w, err)
		} else if audited {
			s.recordRead(r, c)
		}
		ev := s.log.Debug()
		if r.Method != http.MethodGet || err != nil {
			ev = s.log.Info()
		}
		if ev == nil {
			return // a successful read, below the debug level
		}
		ev.Str("token", strings.TrimPrefix(c.Source, sourcePrefix)).Str("method", r.Method).Str("path", r.URL.Path).
			Str("code", core.ErrorCode(err)).Err(internalOnly(err)).Msg("api call")
	})
}

// recordRead audits a successful listing or export. Its answer is sent
// already, so a failure to record is logged, not returned.
func (s *Server) recordRead(r *http.Request, c core.Caller) {
	what := r.Method + " " + r.URL.Path
	if r.URL.RawQuery != "" {
		what += "?" + r.URL.RawQuery
	}
	q := r.URL.Query()
	if err := s.auto.RecordRead(context.WithoutCancel(r.Context()), c, what, q.Get("principal"), q.Get("role")); err != nil {
		s.log.Error().Err(err).Str("token", strings.TrimPrefix(c.Source, sourcePrefix)).Str("path", r.URL.Path).Msg("api read not audited")
	}
}

// internalOnly returns err when it is internal (its detail is for the log
// only), nil otherwise.
func internalOnly(err error) error {
	if core.ErrorCode(err) == core.EINTERNAL {
		return err
	}
	return nil
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}
