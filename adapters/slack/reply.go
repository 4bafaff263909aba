package slack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"

	"github.com/rs/zerolog"
	slackapi "github.com/slack-go/slack"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/notifications"
)

// errorReply is how Slack shows a core error code.
type errorReply struct {
	mark    string   // emoji prefix of the ephemeral reply
	tone    bot.Tone // colour of the reply
	onModal bool     // a failed modal submission shows it on the modal (else: modal closes, reply by DM)
}

// errorReplies is the one table mapping core error codes to Slack replies.
// Every error reply is ephemeral (or a DM when there is no response_url).
// Internal errors are logged with their detail and shown generically.
var errorReplies = map[string]errorReply{
	core.EINVALID:   {mark: "⚠️", tone: bot.ToneWarning, onModal: true},
	core.ENOTFOUND:  {mark: "🔎", tone: bot.ToneWarning, onModal: true},
	core.EFORBIDDEN: {mark: "⛔", tone: bot.ToneDanger, onModal: true},
	core.ECONFLICT:  {mark: "🔁", tone: bot.ToneWarning, onModal: true},
	core.ELOCKED:    {mark: "🔒", tone: bot.ToneDanger, onModal: true},
	core.EINTERNAL:  {mark: "💥", tone: bot.ToneDanger, onModal: false},
	// The store is down: nothing changed; a modal stays open to submit again.
	core.EUNAVAILABLE: {mark: "⏳", tone: bot.ToneWarning, onModal: true},
}

// replyFor returns the table entry for err's code.
func replyFor(err error) errorReply {
	if r, ok := errorReplies[core.ErrorCode(err)]; ok {
		return r
	}
	return errorReplies[core.EINTERNAL]
}

// errorText is err as the user sees it: the code's mark and core's safe message.
func errorText(err error) string {
	msg := core.ErrorMessage(err)
	if core.ErrorCode(err) == core.EINTERNAL {
		msg = "Something went wrong on elevate's side; it has been logged. Try again in a moment."
	}
	return replyFor(err).mark + " " + msg
}

// errorMessage is the ephemeral reply to err.
func errorMessage(err error) bot.Message {
	return bot.Message{Text: errorText(err), Ephemeral: true}
}

// origin is where a command, click or submission came from, and so where
// its reply goes.
type origin struct {
	kind        string         // "command", "action", "submission", "event": for logs
	log         zerolog.Logger // a.log with this delivery's id, kind and user: one interaction's lines share delivery_id
	user        string         // Slack user id
	principal   string
	delivery    string // the inbox item it came in, when it came in one: work it causes is keyed on it
	responseURL string // ephemeral replies to the command or clicked message
	triggerID   string // opens a modal, for 3 s
	home        bool   // the click was in App Home: the reply shows there
	message     string // "channel/ts" of the posted message whose button was clicked (or whose button opened the form)
	ephemeral   bool   // the clicked message was an ephemeral reply: response_url replaces it
	command     string // the command text, parsed again only to log its request id and role
	requestID   string // for logs, when known
	role        string // for logs, when known
}

// newOrigin starts the origin of one delivery of kind from Slack user,
// with a fresh delivery id that every log line about it carries.
func (a *Adapter) newOrigin(kind, user string) origin {
	var b [6]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	return origin{kind: kind, user: user,
		log: a.log.With().Str("delivery_id", id).Str("kind", kind).Str("slack_user", user).Logger()}
}

// deliver sends the outcome of a command, click or submission back to the
// user: a form opens as a modal, a file goes to their DM, and the rest is
// an ephemeral reply through response_url (or the App Home, or a DM).
func (a *Adapter) deliver(ctx context.Context, o origin, m bot.Message, err error) {
	if err != nil {
		a.logFailure(o, err)
		m = errorMessage(err)
	}
	o.log.Debug().Str("principal", o.principal).Str("request_id", m.RequestID).Bool("error", err != nil).Msg("slack reply")
	if m.Form != nil && o.triggerID != "" {
		if err := a.openModal(ctx, o.triggerID, m.Form, o.message); err != nil {
			o.log.Warn().Err(err).Str("form", string(m.Form.ID)).Msg("could not open modal; sending a button that opens it")
		} else {
			m.Form = nil
			if !visible(m) && m.File == nil {
				return
			}
		}
	}
	if m.File != nil {
		name := m.File.Name
		if err := a.sendFile(ctx, o.user, m); err != nil {
			// The file may hold a secret (an MFA seed): never fall back to a
			// less private channel.
			o.log.Error().Err(err).Str("principal", o.principal).Str("file", name).Msg("file upload failed")
			m = errorMessage(err)
		} else {
			m = bot.Message{Text: "📎 Sent " + name + " to your direct messages with elevate.", Ephemeral: true, Tone: bot.ToneInfo}
		}
	}
	if o.responseURL != "" && !a.slackURL(o.responseURL) {
		o.log.Warn().Msg("response_url is not a Slack URL; replying by DM")
		o.responseURL = ""
	}
	if m.Replace && a.replace(ctx, o, m) {
		return
	}
	switch {
	case o.responseURL != "":
		err := a.respond(ctx, o.responseURL, m)
		if err == nil {
			return
		}
		o.log.Warn().Err(err).Msg("response_url failed; replying by DM")
	case o.home:
		a.publishHome(ctx, o.user, &m)
		return
	}
	if err := a.postDM(ctx, o.user, m); err != nil {
		o.log.Error().Err(err).Str("principal", o.principal).Msg("reply lost: could not DM the user")
	}
}

// replace edits the message a click came from into m, and reports
// whether it did: chat.update on a posted message (a reviewer's DM), the
// response_url's replace_original on an ephemeral reply.
func (a *Adapter) replace(ctx context.Context, o origin, m bot.Message) bool {
	var err error
	switch {
	case o.message != "":
		err = a.Update(ctx, notifications.Ref{Platform: Platform, ID: o.message}, m)
	case o.ephemeral && o.responseURL != "":
		opts := append(msgOptions(m), slackapi.MsgOptionReplaceOriginal(o.responseURL))
		err = a.call(ctx, "response_url", func(ctx context.Context) error {
			_, _, err := a.api.PostMessageContext(ctx, "", opts...)
			return err
		})
	default:
		return false
	}
	if err != nil {
		o.log.Warn().Err(err).Msg("could not edit the clicked message; replying instead")
		return false
	}
	return true
}

// slackURL reports whether a response_url may be posted to: an https URL
// on a Slack domain, or on the host of the configured API URL (a fake in
// tests, a proxy in some deployments). Payloads are signed, so this is
// defence in depth against a leaked signing secret turning the bot into a
// request forwarder.
func (a *Adapter) slackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme == "https" {
		for _, d := range []string{"slack.com", "slack-gov.com"} {
			if host == d || strings.HasSuffix(host, "."+d) {
				return true
			}
		}
	}
	if a.cfg.APIURL != "" {
		api, err := url.Parse(a.cfg.APIURL)
		return err == nil && api.Host != "" && u.Scheme == api.Scheme && strings.EqualFold(u.Host, api.Host)
	}
	return false
}

// logFailure logs a failed command: internal errors as errors with their
// detail, store outages as warnings, domain errors (refusals, bad input) at
// debug. Command text is not logged: it may hold an MFA code.
func (a *Adapter) logFailure(o origin, err error) {
	code := core.ErrorCode(err)
	ev := o.log.Debug()
	switch code {
	case core.EINTERNAL:
		ev = o.log.Error()
	case core.EUNAVAILABLE:
		ev = o.log.Warn()
	}
	if !ev.Enabled() {
		return
	}
	reqID, role := o.requestID, o.role
	if o.command != "" {
		if cmd, perr := bot.Parse(o.command, a.svc.Clock().Now(), a.bot.Location()); perr == nil {
			reqID, role = firstNonEmpty(reqID, cmd.RequestID), firstNonEmpty(role, cmd.Role)
		}
	}
	ev.Err(err).Str("code", code).Str("principal", o.principal).
		Str("request_id", reqID).Str("role", role).Msg("command failed")
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// respond posts m to a response_url: ephemeral unless the bot says it is for everyone.
func (a *Adapter) respond(ctx context.Context, responseURL string, m bot.Message) error {
	typ := slackapi.ResponseTypeEphemeral
	if !m.Ephemeral {
		typ = slackapi.ResponseTypeInChannel
	}
	opts := append(msgOptions(m), slackapi.MsgOptionResponseURL(responseURL, typ))
	return a.call(ctx, "response_url", func(ctx context.Context) error {
		_, _, err := a.api.PostMessageContext(ctx, "", opts...)
		return err
	})
}

// postDM posts m to a Slack user's direct messages.
func (a *Adapter) postDM(ctx context.Context, slackUser string, m bot.Message) error {
	if slackUser == "" {
		return errors.New("no Slack user to reply to")
	}
	ch, err := a.dmChannel(ctx, slackUser)
	if err != nil {
		return err
	}
	_, err = a.postMessage(ctx, ch, m)
	return err
}

// postMessage posts m to a channel and returns its timestamp.
func (a *Adapter) postMessage(ctx context.Context, channel string, m bot.Message) (string, error) {
	var ts string
	err := a.call(ctx, "chat.postMessage", func(ctx context.Context) error {
		var err error
		_, ts, err = a.api.PostMessageContext(ctx, channel, msgOptions(m)...)
		return err
	})
	return ts, err
}

// sendFile uploads m's file to the user's DM, with m's text as its comment.
func (a *Adapter) sendFile(ctx context.Context, slackUser string, m bot.Message) error {
	if slackUser == "" {
		return errors.New("no Slack user to send the file to")
	}
	ch, err := a.dmChannel(ctx, slackUser)
	if err != nil {
		return err
	}
	return a.upload(ctx, ch, m)
}

// upload shares m's file in channel (files.getUploadURLExternal, the
// upload, files.completeUploadExternal: slack-go's v2 upload).
func (a *Adapter) upload(ctx context.Context, channel string, m bot.Message) error {
	f := m.File
	if len(f.Data) == 0 {
		return errors.New("empty file")
	}
	comment := ""
	if visible(m) {
		comment = fallback(bot.Message{Title: m.Title, Text: m.Text, Fields: m.Fields, Tone: m.Tone})
	}
	title := strings.TrimSpace(f.Name)
	return a.call(ctx, "files.upload", func(ctx context.Context) error {
		_, err := a.api.UploadFileContext(ctx, slackapi.UploadFileParameters{
			Reader: bytes.NewReader(f.Data), FileSize: len(f.Data), Filename: f.Name, Title: title,
			Channel: channel, InitialComment: comment, AltTxt: title,
		})
		return err
	})
}

// openModal opens form as a modal with a trigger id; source is the
// message whose button asked for it, which the submission's answer may
// replace.
func (a *Adapter) openModal(ctx context.Context, triggerID string, f *bot.Form, source string) error {
	view, err := modalFrom(f, source)
	if err != nil {
		return err
	}
	return a.call(ctx, "views.open", func(ctx context.Context) error {
		_, err := a.api.OpenViewContext(ctx, triggerID, view)
		return err
	})
}
