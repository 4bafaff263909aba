package api

import (
	"net/http"
	"strconv"

	"github.com/elevate-pim/elevate/core"
)

// listAlerts lists alerts by status, kind and severity (admins, readers).
func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	q := r.URL.Query()
	f := core.AlertFilter{Status: core.AlertStatus(q.Get("status")), Kind: core.AlertKind(q.Get("kind")), Severity: core.Severity(q.Get("severity"))}
	switch f.Status {
	case "", core.AlertOpen, core.AlertResolved, core.AlertDismissed:
	default:
		return badInput("status", "status must be open, resolved or dismissed.")
	}
	if _, ok := core.AlertInfoOf(f.Kind); f.Kind != "" && !ok {
		return badInput("kind", "Unknown alert kind "+strconv.Quote(string(f.Kind))+"; `help alerts` lists them.")
	}
	switch f.Severity {
	case "", core.SeverityInfo, core.SeverityLow, core.SeverityMedium, core.SeverityHigh:
	default:
		return badInput("severity", "severity must be info, low, medium or high.")
	}
	if err := principalOnly(c); err != nil {
		return err
	}
	als, err := s.svc.Alerts().Find(r.Context(), c, f)
	if err != nil {
		return err
	}
	out := []alertView{}
	for i := range als {
		out = append(out, alertOf(&als[i]))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
}

// getAlert returns one alert in any state (admins, readers).
func (s *Server) getAlert(w http.ResponseWriter, r *http.Request, c core.Caller) error {
	if err := principalOnly(c); err != nil {
		return err
	}
	al, err := s.svc.Alerts().Get(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, alertOf(al))
}

// alertBody is the body of an action on an alert: the reason of a
// dismissal or acknowledgement, the report row's subject of remove and convert.
type alertBody struct {
	Reason  string `json:"reason,omitempty"`
	Subject string `json:"subject,omitempty"`
}

// alertAction runs an admin's action on alert {id} and answers with the
// alert as it stands after it. need names the body's required field.
func (s *Server) alertAction(need core.Field, do func(r *http.Request, c core.Caller, id string, b alertBody) (*core.Alert, error)) handler {
	return func(w http.ResponseWriter, r *http.Request, c core.Caller) error {
		var b alertBody
		if err := decodeBody(r, &b, need == ""); err != nil {
			return err
		}
		if need != "" {
			if err := required(need, map[core.Field]string{core.FieldReason: b.Reason, "subject": b.Subject}[need]); err != nil {
				return err
			}
		}
		if err := principalOnly(c); err != nil {
			return err
		}
		al, err := do(r, c, r.PathValue("id"), b)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, alertOf(al))
	}
}

// The actions on an alert, each the core call chat's button makes.
func (s *Server) alertRoutes() []route {
	al := s.svc.Alerts()
	return []route{
		{Route{"GET", "/alerts"}, s.listAlerts},
		{Route{"GET", "/alerts/{id}"}, s.getAlert},
		{Route{"POST", "/alerts/{id}/dismiss"}, s.alertAction(core.FieldReason, func(r *http.Request, c core.Caller, id string, b alertBody) (*core.Alert, error) {
			return al.Dismiss(r.Context(), c, id, b.Reason)
		})},
		{Route{"POST", "/alerts/{id}/acknowledge"}, s.alertAction("", func(r *http.Request, c core.Caller, id string, b alertBody) (*core.Alert, error) {
			return al.Acknowledge(r.Context(), c, id, b.Reason)
		})},
		{Route{"POST", "/alerts/{id}/revoke"}, s.alertAction("", func(r *http.Request, c core.Caller, id string, b alertBody) (*core.Alert, error) {
			return al.RevokeBreakGlass(r.Context(), c, id)
		})},
		{Route{"POST", "/alerts/{id}/remove"}, s.alertAction("subject", func(r *http.Request, c core.Caller, id string, b alertBody) (*core.Alert, error) {
			return al.Remove(r.Context(), c, id, b.Subject)
		})},
		{Route{"POST", "/alerts/{id}/convert"}, s.alertAction("subject", func(r *http.Request, c core.Caller, id string, b alertBody) (*core.Alert, error) {
			return al.Convert(r.Context(), c, id, b.Subject)
		})},
	}
}
