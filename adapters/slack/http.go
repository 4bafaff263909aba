package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// maxBody bounds a request body; Slack's payloads are far smaller.
const maxBody = 1 << 20

// verified checks a request's v0 signature and 5-minute timestamp window
// (slack-go's SecretsVerifier) before anything parses the body, and
// returns the body. On failure it has answered 401 (or 413 for an
// oversized body) and nothing else happens.
func (a *Adapter) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	sv, err := slackapi.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
	if err != nil {
		a.refuse(w, r, http.StatusUnauthorized, err)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		status := http.StatusBadRequest
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			status = http.StatusRequestEntityTooLarge
		}
		a.refuse(w, r, status, err)
		return nil, false
	}
	if _, err := sv.Write(body); err != nil {
		a.refuse(w, r, http.StatusUnauthorized, err)
		return nil, false
	}
	if err := sv.Ensure(); err != nil {
		a.refuse(w, r, http.StatusUnauthorized, err)
		return nil, false
	}
	// The verified body is what the parsers read.
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

// badRequest answers 400 to a verified request whose payload elevate
// cannot use, and logs why at debug: Slack shows the user only a generic
// failure, so the log is where the reason is found.
func (a *Adapter) badRequest(w http.ResponseWriter, r *http.Request, msg string, err error) {
	a.log.Debug().Err(err).Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Str("reason", msg).Msg("slack request refused: 400")
	http.Error(w, msg, http.StatusBadRequest)
}

// refuse answers a request that failed verification.
func (a *Adapter) refuse(w http.ResponseWriter, r *http.Request, status int, err error) {
	a.log.Warn().Err(err).Int("status", status).Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Msg("slack request refused")
	http.Error(w, http.StatusText(status), status)
}

// serveCommand is POST /slack/commands: a slash command, answered in the
// 200 when it changes nothing, else acknowledged with an empty 200 while
// the work runs in the background.
func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.verified(w, r); !ok {
		return
	}
	sc, err := slackapi.SlashCommandParse(r)
	if err == nil && r.PostForm.Get("ssl_check") == "1" {
		// Slack checking the Request URL's certificate: no command to run.
		w.WriteHeader(http.StatusOK)
		return
	}
	var answer []byte
	if err == nil {
		answer, err = a.acceptCommand(sc)
	}
	if errors.Is(err, errClosed) {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	if errors.Is(err, errMalformed) || (err != nil && sc.UserID == "") {
		a.badRequest(w, r, "bad slash command payload", err)
		return
	}
	if err != nil {
		// The inbox could not take the command: nothing was queued, and
		// the acknowledgement itself tells the user.
		a.log.Warn().Err(err).Str("slack_user", sc.UserID).Msg("slash command not accepted")
		writeResponse(w, map[string]string{"response_type": "ephemeral", "text": errorText(err)})
		return
	}
	writeJSON(w, answer)
}

// serveInteraction is POST /slack/interactions: button clicks (acknowledged
// at once) and modal submissions (answered with the modal's response).
func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.verified(w, r); !ok {
		return
	}
	ic, err := slackapi.InteractionCallbackParse(r)
	if err != nil {
		a.badRequest(w, r, "bad interaction payload", err)
		return
	}
	resp, err := a.acceptInteraction(ic)
	if errors.Is(err, errClosed) {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		a.badRequest(w, r, "bad interaction payload", err)
		return
	}
	writeResponse(w, resp)
}

// serveEvent is POST /slack/events: the url_verification challenge and
// callback events (app_home_opened). Slack retries unacknowledged events
// with X-Slack-Retry-Num; the event id de-duplicates them.
func (a *Adapter) serveEvent(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
	if !ok {
		return
	}
	if !json.Valid(body) {
		a.badRequest(w, r, "bad event payload", errors.New("the body is not JSON"))
		return
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// An event type we do not subscribe to: acknowledge, or Slack retries it.
		a.log.Debug().Err(err).Msg("slack event ignored")
		w.WriteHeader(http.StatusOK)
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		if v, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent); ok {
			// Slack wants the value back under the lower-case key
			// "challenge"; slack-go's ChallengeResponse has no json tag.
			writeResponse(w, map[string]string{"challenge": v.Challenge})
			return
		}
	case slackevents.CallbackEvent:
		if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
			a.log.Debug().Str("retry_num", n).Str("retry_reason", r.Header.Get("X-Slack-Retry-Reason")).Msg("slack event retry")
		}
		if err := a.acceptEvent(ev); err != nil {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// writeResponse answers 200 with resp as JSON, or empty when resp is nil.
func writeResponse(w http.ResponseWriter, resp any) {
	if resp == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	body, err := json.Marshal(resp)
	if err != nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, body)
}

// writeJSON answers 200 with body, a JSON document, or empty when body is empty.
func writeJSON(w http.ResponseWriter, body []byte) {
	if len(body) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
