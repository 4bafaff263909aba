package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"
	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/adapters/api"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/core/totp"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// t0 is the start of every test's clock.
var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// directory: alice requests prod-db, which bob approves; dana is the admin
// (permanently, by assignment); erin reads; mallory may do nothing.
func directory() *core.Directory {
	p := func(id string) *core.Principal { return &core.Principal{ID: id, Name: id} }
	return &core.Directory{
		Principals: map[string]*core.Principal{"alice": p("alice"), "bob": p("bob"), "dana": p("dana"), "erin": p("erin"), "mallory": p("mallory")},
		Groups:     map[string]*core.Group{},
		Roles: map[string]*core.Role{
			"prod-db": {Name: "prod-db", Policy: core.Policy{MaxDuration: 4 * time.Hour, DefaultDuration: time.Hour,
				RequireJustification: true, JustificationMinLen: 10, RequireTicket: true, TicketPattern: regexp.MustCompile(`^INC-[0-9]+$`),
				Eligibility: core.ExpiryRule{AllowPermanent: true},
				Approval:    core.ApprovalRule{Required: true, Approvers: []string{"bob"}, MinApprovals: 1, Timeout: 2 * time.Hour},
				Extension:   core.ExtensionRule{Allowed: true, MaxTotal: time.Hour}}},
			"staging": {Name: "staging", Policy: core.Policy{MaxDuration: 8 * time.Hour, DefaultDuration: 2 * time.Hour,
				Eligibility: core.ExpiryRule{AllowPermanent: true}, Assignment: core.ExpiryRule{AllowPermanent: true}}},
			"admin":  {Name: "admin", Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Assignment: core.ExpiryRule{AllowPermanent: true}, Eligibility: core.ExpiryRule{AllowPermanent: true}}},
			"reader": {Name: "reader", Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Assignment: core.ExpiryRule{AllowPermanent: true}}},
		},
		AdminRole: "admin", ReaderRole: "reader",
	}
}

// env is an API server on real Redis over real HTTP, with a token per
// person ("alice-token" acts as alice, ...) and two service tokens.
type env struct {
	t     testing.TB
	svc   *core.Service
	store core.Store
	clock *clocktest.Clock
	srv   *httptest.Server
	api   *api.Server
	doc   *openapi3.T
	route routers.Router
}

// tokenHash is the SHA-256 a config holds for token.
func tokenHash(token string) [32]byte { return sha256.Sum256([]byte(token)) }

func newEnv(t testing.TB, wrap func(core.Store) core.Store) *env {
	t.Helper()
	return newEnvDir(t, wrap, directory())
}

// newEnvDir is newEnv with dir as the directory.
func newEnvDir(t testing.TB, wrap func(core.Store) core.Store, dir *core.Directory) *env {
	t.Helper()
	e := &env{t: t, clock: clocktest.New(t0)}
	e.store = redistest.NewStore(t)
	if wrap != nil {
		e.store = wrap(e.store)
	}
	var err error
	e.svc, err = core.NewService(core.Config{Store: e.store, Directory: dir, Clock: e.clock, OTP: totp.TOTP{}, MFAKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.svc.SeedAssignments(ctx, []core.Assignment{
		{Kind: core.Active, Principal: "dana", Role: "admin", Permanent: true, Source: "config"},
		{Kind: core.Active, Principal: "erin", Role: "reader", Permanent: true, Source: "config"},
		{Kind: core.Eligible, Principal: "alice", Role: "prod-db", Permanent: true, Source: "config"},
		{Kind: core.Eligible, Principal: "alice", Role: "staging", Permanent: true, Source: "config"},
	}); err != nil {
		t.Fatal(err)
	}
	var tokens []api.Token
	for _, p := range []string{"alice", "bob", "dana", "erin", "mallory"} {
		tokens = append(tokens, api.Token{Name: p + "-ci", Principal: p, Hash: tokenHash(p + "-token"), Rate: 1000})
	}
	tokens = append(tokens,
		api.Token{Name: "gateway", Scopes: core.ScopeCheck, Hash: tokenHash("gateway-token"), Rate: 1 << 30},
		api.Token{Name: "siem", Scopes: core.ScopeAuditRead, Hash: tokenHash("siem-token"), Rate: 1000},
		api.Token{Name: "slow", Principal: "alice", Hash: tokenHash("slow-token"), Rate: 1})
	e.api = api.New(e.svc, tokens, zerolog.Nop())
	mux := http.NewServeMux()
	mux.Handle(api.Prefix+"/", e.api)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.doc, e.route = mustLoadOpenAPI(t, e.srv.URL)
	return e
}

// mustLoadOpenAPI loads the served document, checks it is valid OpenAPI,
// and returns it with a router that resolves requests to base.
func mustLoadOpenAPI(t testing.TB, base string) (*openapi3.T, routers.Router) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not valid: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi.json is OpenAPI %s, want 3.1.0", doc.OpenAPI)
	}
	doc.Servers = openapi3.Servers{{URL: base + api.Prefix}}
	r, err := legacyrouter.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, r
}

func init() {
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.FileBodyDecoder)
}

// response is what a call got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v.
func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d %s: %v", r.status, r.body, err)
	}
}

// errorBody is the error a response carries.
func (r response) errorBody(t testing.TB) (code, field, state string) {
	var p struct {
		Error struct{ Code, Message, Field, State string }
	}
	r.json(t, &p)
	return p.Error.Code, p.Error.Field, p.Error.State
}

// call makes a real HTTP request with token ("" for none) and body (nil
// for none; a string is sent as is, anything else as JSON), and checks the
// request and the response against the OpenAPI document.
func (e *env) call(method, path, token string, body any) response {
	e.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+api.Prefix+path, bytes.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	e.validate(req, raw, resp.StatusCode, resp.Header, got)
	return response{status: resp.StatusCode, header: resp.Header, body: got}
}

// validate checks a real exchange against the document: the route is
// documented, and the response (status, headers, body) is as described.
func (e *env) validate(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) {
	e.t.Helper()
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := e.route.FindRoute(vreq)
	if err != nil {
		e.t.Fatalf("%s %s is not in openapi.json: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: status/100 != 2, ExcludeRequestQueryParams: status/100 != 2}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		e.t.Fatalf("%s %s → %d %s: response does not match openapi.json: %v", req.Method, req.URL.Path, status, truncate(body), err)
	}
	if status/100 == 2 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			e.t.Fatalf("%s %s: accepted a request openapi.json refuses: %v", req.Method, req.URL.Path, err)
		}
	}
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// want fails unless r has status, and for an error the code (and field).
func (e *env) want(what string, r response, status int, codeField ...string) {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("%s: status %d %s, want %d", what, r.status, truncate(r.body), status)
	}
	if len(codeField) > 0 {
		code, field, _ := r.errorBody(e.t)
		if code != codeField[0] || (len(codeField) > 1 && field != codeField[1]) {
			e.t.Fatalf("%s: error %s about %q (%s), want %v", what, code, field, r.body, codeField)
		}
	}
}

// q builds a query string.
func q(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return "?" + v.Encode()
}

// mustRequest activates prod-db as alice through the API and returns its id.
func (e *env) mustRequest() string {
	e.t.Helper()
	r := e.call("POST", "/requests", "alice-token", map[string]any{"role": "prod-db", "duration": "2h", "justification": "fixing replication lag", "ticket": "INC-4411"})
	e.want("request prod-db", r, 201)
	var req struct{ ID, State string }
	r.json(e.t, &req)
	if req.State != "PendingApproval" || !strings.HasPrefix(req.ID, "r-") {
		e.t.Fatalf("created request = %s", r.body)
	}
	return req.ID
}
