package discord

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

const (
	// maxBody bounds an interaction POST. Discord's payloads are a few KB;
	// the bound is read before the signature is checked.
	maxBody = 64 << 10
	// maxSkew is how far a signed timestamp may be from now. discordgo's
	// VerifyInteraction checks the signature only, so a captured request
	// could be replayed forever without this.
	maxSkew = 5 * time.Minute
)

// Handler serves POST /discord/interactions: Discord's HTTP interactions.
// Each request's Ed25519 signature over timestamp+body and the freshness
// of its timestamp are checked before the body is parsed.
func (a *Adapter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+InteractionsPath, a.serveInteraction)
	return mux
}

func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request) {
	if a.key == nil {
		http.Error(w, "discord interactions are not configured", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read request", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !discordgo.VerifyInteraction(r, a.key) {
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	if !a.fresh(r.Header.Get("X-Signature-Timestamp")) {
		http.Error(w, "stale request timestamp", http.StatusUnauthorized)
		return
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil || !wellFormed(&i) {
		http.Error(w, "not an interaction", http.StatusBadRequest)
		return
	}
	if !a.enter() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer a.leave()
	var once sync.Once
	a.handle(&i, func(resp any) error {
		err := errors.New("discord: interaction already answered")
		once.Do(func() { err = writeJSON(w, resp) })
		return err
	}, true)
}

// writeJSON answers with resp and flushes it, so that Discord has the
// deferral before any follow-up for it starts.
func writeJSON(w http.ResponseWriter, resp any) error {
	b, err := json.Marshal(resp)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	if _, err := w.Write(b); err != nil {
		return err
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}

// fresh reports whether the signed timestamp (Unix seconds) is within
// maxSkew of now, either way.
func (a *Adapter) fresh(ts string) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := a.clock.Now().Sub(time.Unix(sec, 0))
	return d <= maxSkew && d >= -maxSkew
}
