package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/elevate-pim/elevate/core"
)

// statusOf is the one table from core error codes to HTTP statuses. Core's
// EINVALID is a refusal of well-formed input by the role's policy or the
// domain's rules (422); input the API itself cannot read is 400 (badInput).
var statusOf = map[string]int{
	core.EINVALID:     http.StatusUnprocessableEntity,
	core.ENOTFOUND:    http.StatusNotFound,
	core.EFORBIDDEN:   http.StatusForbidden,
	core.ECONFLICT:    http.StatusConflict,
	core.ELOCKED:      http.StatusForbidden,
	core.EUNAVAILABLE: http.StatusServiceUnavailable,
	core.EINTERNAL:    http.StatusInternalServerError,
	codeBadInput:      http.StatusBadRequest,
	codeUnauth:        http.StatusUnauthorized,
	codeRateLimited:   http.StatusTooManyRequests,
}

// Codes of the API's own errors, beside core's.
const (
	codeBadInput    = "bad_input"    // the API cannot read the input (JSON, a parameter)
	codeUnauth      = "unauthorized" // no token, or one the config does not know
	codeRateLimited = "rate_limited" // the token's rate limit is spent
)

// apiError is an error of the API itself.
type apiError struct {
	code, message string
	field         core.Field
	retryAfter    string // seconds, for a spent rate limit
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// badInput is a 400 about field.
func badInput(field core.Field, message string) error {
	return &apiError{code: codeBadInput, message: message, field: field}
}

// problem is the JSON error body: {"error": {...}}.
type problem struct {
	Error problemBody `json:"error"`
}

type problemBody struct {
	Code    string     `json:"code"`
	Message string     `json:"message"`
	Field   string     `json:"field,omitempty"`
	State   core.State `json:"state,omitempty"`
}

// writeError answers err with its status and JSON body. Internal details
// never leave the process: the message is core's generic one.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) && ae.code != "" {
		writeProblem(w, statusOf[ae.code], ae.code, ae.message, string(ae.field))
		return
	}
	code := core.ErrorCode(err)
	body := problemBody{Code: code, Message: core.ErrorMessage(err), Field: string(core.ErrorField(err))}
	var se stateError
	if errors.As(err, &se) {
		body.State = se.state
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(statusOf[code])
	json.NewEncoder(w).Encode(problem{body})
}

// writeProblem writes an error body.
func writeProblem(w http.ResponseWriter, status int, code, message, field string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(problem{problemBody{Code: code, Message: message, Field: field}})
}

// stateError is a core error (a conflict) with the request's current
// state, so that a 409 says what the state is now.
type stateError struct {
	error
	state core.State
}

func (e stateError) Unwrap() error { return e.error }
