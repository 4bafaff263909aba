package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// maxBody bounds a request body.
const maxBody = 64 << 10

// decodeBody reads r's JSON body into v before anything reaches core: an
// unknown field, a wrong type or trailing data is a 400 naming the field.
// An empty body decodes as {} when optional.
func decodeBody(r *http.Request, v any, optional bool) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	switch {
	case errors.Is(err, io.EOF) && optional:
		return nil
	case errors.Is(err, io.EOF):
		return badInput("", "A JSON object body is required.")
	case err != nil:
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return badInput(core.Field(te.Field), "Field "+te.Field+" must be a JSON "+te.Type.Kind().String()+".")
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name = strings.Trim(name, `"`)
			return badInput(core.Field(name), "Unknown field "+name+".")
		}
		return badInput("", "The body is not valid JSON: "+err.Error())
	case dec.More():
		return badInput("", "The body must hold one JSON object.")
	}
	return nil
}

// required refuses an empty value of field.
func required(field core.Field, v string) error {
	if strings.TrimSpace(v) == "" {
		return badInput(field, string(field)+" is required.")
	}
	return nil
}

// parseDuration reads a duration field ("" = 0).
func parseDuration(field core.Field, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := core.ParseDuration(s)
	if err != nil {
		return 0, badInput(field, core.ErrorMessage(err))
	}
	return d, nil
}

// parseTime reads an RFC 3339 time field ("" = zero).
func parseTime(field core.Field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, badInput(field, string(field)+" must be an RFC 3339 time such as 2026-12-01T14:00:00Z.")
	}
	return t, nil
}
