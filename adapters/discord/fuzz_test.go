package discord_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/adapters/discord"
	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
	"github.com/elevate-pim/elevate/core"
)

// FuzzInteractionPayloads posts validly signed arbitrary bodies: none may
// panic, each gets a definite answer, and a body that is not a well-formed
// interaction is refused with 400 and changes nothing.
func FuzzInteractionPayloads(f *testing.F) {
	h := newHarness(f, options{mode: "http"})
	w := h.where
	for _, seed := range [][]byte{
		discordtest.Ping(w, "f1"),
		discordtest.Command(w, "f2", alice, "status"),
		discordtest.Command(w, "f3", alice, "request", opt("role", "staging"), opt("justification", "@everyone fuzz")),
		discordtest.Command(w, "f4", alice, "mfa verify", opt("code", "123456")),
		discordtest.Autocomplete(w, "f5", alice, "request", discordtest.Option{Name: "role", Value: "st", Focused: true}),
		discordtest.Button(w, "f6", bob, "elevate:approve r-aaaaaa"),
		discordtest.Button(w, "f7", bob, "elevate-form:deny?request=r-aaaaaa"),
		discordtest.ModalSubmit(w, "f8", alice, "elevate-form:request?role=prod-db", map[string]string{"ticket": "INC-1", "justification": "long enough text"}),
		[]byte(`{}`), []byte(`null`), []byte(`[]`), []byte(`{"type":2,"id":"x","token":"t","user":{"id":"1001"},"data":{"name":"elevate","options":[{"name":"request","type":1,"options":[{"name":"role","type":3,"value":7}]}]}}`),
		[]byte(`{"type":5,"id":"y","token":"t","user":{"id":"1001"},"data":{"custom_id":"elevate-form:code?request=%zz","components":[{"type":1,"components":[{"type":99}]}]}}`),
		[]byte(`{"type":3,"id":"z","token":"t","member":{"user":null},"data":{"custom_id":5}}`),
	} {
		f.Add(seed)
	}
	handler := h.a.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		events, _, err := core.ReadAudit(h.ctx, h.store, core.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, h.signer.Request("http://elevate"+discord.InteractionsPath, body, h.clock.Now()))
		var parsed discordgo.Interaction
		malformed := json.Unmarshal(body, &parsed) != nil
		switch {
		case rec.Code == http.StatusOK:
			if malformed {
				t.Fatalf("a body that is not an interaction was answered 200: %q", body)
			}
			var resp struct {
				Type int `json:"type"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Type < 1 || resp.Type > 9 {
				t.Fatalf("answer %q is not an interaction response", rec.Body.Bytes())
			}
		case rec.Code == http.StatusBadRequest || rec.Code == http.StatusRequestEntityTooLarge:
			after, _, err := core.ReadAudit(h.ctx, h.store, core.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != len(events) {
				t.Fatalf("refused body %q changed the audit trail", body)
			}
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
	})
}
