package discordtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Signer signs interaction POSTs as Discord does: Ed25519 over the
// X-Signature-Timestamp header followed by the body.
type Signer struct {
	Public  ed25519.PublicKey
	private ed25519.PrivateKey
}

// NewSigner makes a fresh key pair.
func NewSigner() *Signer {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return &Signer{Public: pub, private: priv}
}

// PublicKeyHex is the public key as the Developer Portal shows it: the adapter's PublicKey.
func (s *Signer) PublicKeyHex() string { return hex.EncodeToString(s.Public) }

// Headers returns the signature headers of body sent at at.
func (s *Signer) Headers(body []byte, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	sig := ed25519.Sign(s.private, append([]byte(ts), body...))
	h := http.Header{}
	h.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
	h.Set("X-Signature-Timestamp", ts)
	h.Set("Content-Type", "application/json")
	return h
}

// Request returns a signed POST of body to url.
func (s *Signer) Request(url string, body []byte, at time.Time) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header = s.Headers(body, at)
	return req
}

// Interaction builders. Each returns the JSON Discord sends for an
// interaction with id by user (a guild member when guild is not "", a DM
// user otherwise), with token "tok-"+id and application app.

// Where an interaction happens.
type Where struct {
	App     string // application id
	Guild   string // "" for a DM
	Channel string
}

func base(w Where, id, user string, typ int, data any) []byte {
	v := map[string]any{"id": id, "application_id": w.App, "type": typ, "token": Token(id), "version": 1,
		"channel_id": w.Channel, "locale": "en-US"}
	u := map[string]any{"id": user, "username": "user" + user, "discriminator": "0"}
	if w.Guild != "" {
		v["guild_id"] = w.Guild
		v["member"] = map[string]any{"user": u, "roles": []string{}, "joined_at": "2026-01-01T00:00:00Z", "permissions": "0"}
	} else {
		v["user"] = u
	}
	if data != nil {
		v["data"] = data
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Token is the interaction token the builders give interaction id.
func Token(id string) string { return "tok-" + id }

// Ping is Discord's endpoint check.
func Ping(w Where, id string) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "application_id": w.App, "type": 1, "token": Token(id), "version": 1})
	return b
}

// Option is a slash command option.
type Option struct {
	Name    string
	Value   any // string, bool or int
	Focused bool
}

func optionsJSON(opts []Option) []map[string]any {
	out := []map[string]any{}
	for _, o := range opts {
		typ := 3
		switch o.Value.(type) {
		case bool:
			typ = 5
		case int:
			typ = 4
		}
		m := map[string]any{"name": o.Name, "type": typ, "value": o.Value}
		if o.Focused {
			m["focused"] = true
		}
		out = append(out, m)
	}
	return out
}

// commandData is /elevate SUB [options]; a sub with a space is a group ("mfa verify").
func commandData(sub string, opts []Option) map[string]any {
	inner := map[string]any{"name": sub, "type": 1, "options": optionsJSON(opts)}
	if group, name, ok := strings.Cut(sub, " "); ok {
		inner = map[string]any{"name": group, "type": 2, "options": []map[string]any{{"name": name, "type": 1, "options": optionsJSON(opts)}}}
	}
	return map[string]any{"id": "cmd-elevate", "name": "elevate", "type": 1, "options": []map[string]any{inner}}
}

// Command is /elevate SUB with options, e.g. Command(w, "i1", "1001", "request", Option{"role", "prod-db", false}).
func Command(w Where, id, user, sub string, opts ...Option) []byte {
	return base(w, id, user, 2, commandData(sub, opts))
}

// Autocomplete asks for choices while the user types a focused option.
func Autocomplete(w Where, id, user, sub string, opts ...Option) []byte {
	return base(w, id, user, 4, commandData(sub, opts))
}

// Button is a click on a button with customID.
func Button(w Where, id, user, customID string) []byte {
	return base(w, id, user, 3, map[string]any{"custom_id": customID, "component_type": 2})
}

// ButtonOn is a click on a button with customID of message m, which the
// interaction carries as Discord sends it.
func ButtonOn(w Where, id, user string, m Message, customID string) []byte {
	return withMessage(Button(w, id, user, customID), m)
}

// withMessage adds message m to an interaction's JSON.
func withMessage(body []byte, m Message) []byte {
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		panic(err)
	}
	v["message"] = m.wire()
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// ModalSubmit submits a modal with customID and text input values.
func ModalSubmit(w Where, id, user, customID string, values map[string]string) []byte {
	rows := []map[string]any{}
	for k, v := range values {
		rows = append(rows, map[string]any{"type": 1, "components": []map[string]any{{"type": 4, "custom_id": k, "value": v}}})
	}
	return base(w, id, user, 5, map[string]any{"custom_id": customID, "components": rows})
}

// ModalSubmitOn submits a modal that a button of message m opened: Discord
// sends the message with the submission.
func ModalSubmitOn(w Where, id, user string, m Message, customID string, values map[string]string) []byte {
	return withMessage(ModalSubmit(w, id, user, customID, values), m)
}
