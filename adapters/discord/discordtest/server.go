// Package discordtest is a fake of the parts of Discord that elevate's
// Discord adapter uses: the REST API (DM channels, channel messages,
// interaction callbacks and webhook follow-ups, command registration,
// guild members and their roles, one member, the gateway URL) and a minimal gateway
// websocket (HELLO, IDENTIFY, READY, heartbeats, dispatched events). It
// records every call so that tests can check what was sent on the wire,
// and helps sign interaction POSTs the way Discord does.
package discordtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Call is one recorded REST request.
type Call struct {
	Method string
	Path   string // without the /api/vN prefix, e.g. /channels/c1/messages
	Query  url.Values
	Body   json.RawMessage // the JSON body, or the payload_json part of a multipart body
	Files  []File
	Auth   string // the Authorization header
	Status int    // what the fake answered
}

// File is an uploaded attachment.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// AllowedMentions returns the call's allowed_mentions object, or nil.
func (c Call) AllowedMentions() *discordgo.MessageAllowedMentions {
	var v struct {
		AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
		Data            *struct {
			AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
		} `json:"data"`
	}
	if json.Unmarshal(c.Body, &v) != nil {
		return nil
	}
	if v.AllowedMentions == nil && v.Data != nil {
		return v.Data.AllowedMentions
	}
	return v.AllowedMentions
}

// Message is a message as the fake holds it: created by a channel post, a
// follow-up or an interaction response, and changed by edits.
type Message struct {
	ID        string
	ChannelID string
	Content   string
	Embeds    []*discordgo.MessageEmbed
	// Components is the JSON of the message's components: "[]" once edited away.
	Components json.RawMessage
	Flags      int
	Files      []File
	Edits      int
}

// CustomIDs returns the custom ids of the message's buttons, in order.
func (m Message) CustomIDs() []string { return customIDs(m.Components) }

func customIDs(raw json.RawMessage) []string {
	var rows []struct {
		Components []struct {
			CustomID string `json:"custom_id"`
		} `json:"components"`
	}
	_ = json.Unmarshal(raw, &rows)
	var out []string
	for _, r := range rows {
		for _, c := range r.Components {
			out = append(out, c.CustomID)
		}
	}
	return out
}

// Text is the message's content, embed titles, descriptions and fields, joined.
func (m Message) Text() string {
	parts := []string{m.Content}
	for _, e := range m.Embeds {
		parts = append(parts, e.Title, e.Description)
		for _, f := range e.Fields {
			parts = append(parts, f.Name+": "+f.Value)
		}
	}
	return strings.Join(parts, "\n")
}

// Server is a fake Discord. Create it with New.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	calls    []Call
	seq      int64
	messages map[string]*Message            // "channel/id" → message
	order    []string                       // message keys in creation order
	members  map[string]map[string][]string // guild → user → role ids
	failures []failure
	notify   chan struct{} // closed and replaced on every call

	gwMu    sync.Mutex
	gw      *gatewayConn
	gwSeq   int64
	gwLive  int // identified sessions now connected
	gwMax   int // the most that were connected at once
	gwTotal int // sessions ever identified
	idents  chan json.RawMessage
}

type failure struct {
	method, path string
	status       int
	left         int
}

// New starts a fake Discord that the test closes when it ends.
func New(t testing.TB) *Server {
	s := &Server{messages: map[string]*Message{}, members: map[string]map[string][]string{},
		notify: make(chan struct{}), idents: make(chan json.RawMessage, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveREST)
	mux.HandleFunc("/gateway", s.serveGateway)
	mux.HandleFunc("/gateway/", s.serveGateway)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// URL is the fake's base URL: the adapter's APIURL.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the fake and drops its gateway connection.
func (s *Server) Close() {
	s.gwMu.Lock()
	if s.gw != nil {
		s.gw.c.Close()
		s.gw = nil
	}
	s.gwMu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Calls returns every recorded call, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Find returns the recorded calls with method whose path matches the
// regular expression pattern (anchored at both ends).
func (s *Server) Find(method, pattern string) []Call {
	re := regexp.MustCompile("^" + pattern + "$")
	var out []Call
	for _, c := range s.Calls() {
		if c.Method == method && re.MatchString(c.Path) {
			out = append(out, c)
		}
	}
	return out
}

// WaitFor waits until n calls match method and pattern, and returns them;
// the test fails if they do not come within timeout.
func (s *Server) WaitFor(t testing.TB, timeout time.Duration, n int, method, pattern string) []Call {
	t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		ch := s.notify
		s.mu.Unlock()
		if got := s.Find(method, pattern); len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("waited %v for %d %s %s call(s); got %d. All calls:\n%s", timeout, n, method, pattern, len(s.Find(method, pattern)), s.Dump())
		}
	}
}

// Dump lists the recorded calls, for failure messages.
func (s *Server) Dump() string {
	var b strings.Builder
	for _, c := range s.Calls() {
		fmt.Fprintf(&b, "  %d %s %s %s\n", c.Status, c.Method, c.Path, truncate(string(c.Body), 300))
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Fail makes the next times calls of method on path (exact, without
// /api/vN) answer with status. A 429 carries Discord's rate-limit body
// with a retry_after of 10 ms.
func (s *Server) Fail(method, path string, status, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{method: method, path: path, status: status, left: times})
}

// AddMember puts user in guild with roles.
func (s *Server) AddMember(guild, user string, roles ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.members[guild] == nil {
		s.members[guild] = map[string][]string{}
	}
	s.members[guild][user] = append([]string{}, roles...)
}

// Leave takes user out of guild, as when they leave the server.
func (s *Server) Leave(guild, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.members[guild], user)
}

// Roles returns the roles user holds in guild, sorted.
func (s *Server) Roles(guild, user string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]string(nil), s.members[guild][user]...)
	sort.Strings(out)
	return out
}

// Message returns the message with id in channel.
func (s *Server) Message(channel, id string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[channel+"/"+id]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// Messages returns the messages of channel, oldest first.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, k := range s.order {
		if m := s.messages[k]; m.ChannelID == channel {
			out = append(out, *m)
		}
	}
	return out
}

// DMChannel is the id of the fake's DM channel with user.
func DMChannel(user string) string { return "dm-" + user }

// WebhookChannel is the pseudo channel id under which the fake keeps the
// messages of an interaction token (its response and follow-ups).
func WebhookChannel(token string) string { return "webhook-" + token }

var apiPrefix = regexp.MustCompile(`^/api/v[0-9]+`)

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	path := apiPrefix.ReplaceAllString(r.URL.Path, "")
	call := Call{Method: r.Method, Path: path, Query: r.URL.Query(), Auth: r.Header.Get("Authorization")}
	if err := readBody(r, &call); err != nil {
		s.answer(w, &call, http.StatusBadRequest, map[string]any{"message": err.Error(), "code": 50109})
		return
	}
	s.mu.Lock()
	for k := range s.failures {
		f := &s.failures[k]
		if f.left > 0 && f.method == r.Method && f.path == path {
			f.left--
			s.mu.Unlock()
			if f.status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "0.01")
				s.answer(w, &call, f.status, map[string]any{"message": "You are being rate limited.", "retry_after": 0.01, "global": false})
				return
			}
			s.answer(w, &call, f.status, map[string]any{"message": "injected failure", "code": 0})
			return
		}
	}
	s.mu.Unlock()
	status, body := s.route(r.Method, path, &call)
	s.answer(w, &call, status, body)
}

// readBody fills call from a JSON or multipart body.
func readBody(r *http.Request, call *Call) error {
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		b, err := io.ReadAll(r.Body)
		if len(b) > 0 {
			call.Body = b
		}
		return err
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return err
		}
		if p.FormName() == "payload_json" {
			call.Body = data
			continue
		}
		call.Files = append(call.Files, File{Name: p.FileName(), ContentType: p.Header.Get("Content-Type"), Data: data})
	}
}

func (s *Server) answer(w http.ResponseWriter, call *Call, status int, body any) {
	call.Status = status
	s.mu.Lock()
	s.calls = append(s.calls, *call)
	close(s.notify)
	s.notify = make(chan struct{})
	s.mu.Unlock()
	if body == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

var (
	reDMs        = regexp.MustCompile(`^/users/@me/channels$`)
	reMessages   = regexp.MustCompile(`^/channels/([^/]+)/messages$`)
	reMessage    = regexp.MustCompile(`^/channels/([^/]+)/messages/([^/]+)$`)
	reCallback   = regexp.MustCompile(`^/interactions/([^/]+)/([^/]+)/callback$`)
	reWebhook    = regexp.MustCompile(`^/webhooks/([^/]+)/([^/]+)$`)
	reWebhookMsg = regexp.MustCompile(`^/webhooks/([^/]+)/([^/]+)/messages/([^/]+)$`)
	reCommands   = regexp.MustCompile(`^/applications/([^/]+)(?:/guilds/([^/]+))?/commands$`)
	reMemberRole = regexp.MustCompile(`^/guilds/([^/]+)/members/([^/]+)/roles/([^/]+)$`)
	reMembers    = regexp.MustCompile(`^/guilds/([^/]+)/members$`)
	reMember     = regexp.MustCompile(`^/guilds/([^/]+)/members/([^/]+)$`)
)

var unknown = map[string]any{"message": "404: Not Found", "code": 0}

// route answers a call the way Discord does.
func (s *Server) route(method, path string, call *Call) (int, any) {
	var m []string
	match := func(re *regexp.Regexp) bool { m = re.FindStringSubmatch(path); return m != nil }
	switch {
	case method == "POST" && match(reDMs):
		var v struct {
			RecipientID string `json:"recipient_id"`
		}
		if json.Unmarshal(call.Body, &v) != nil || v.RecipientID == "" {
			return http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": 50035}
		}
		return http.StatusOK, map[string]any{"id": DMChannel(v.RecipientID), "type": discordgo.ChannelTypeDM,
			"recipients": []map[string]any{{"id": v.RecipientID}}}
	case method == "POST" && match(reMessages):
		return s.create(m[1], call)
	case method == "PATCH" && match(reMessage):
		return s.edit(m[1], m[2], call)
	case method == "POST" && match(reCallback):
		var v struct {
			Type discordgo.InteractionResponseType `json:"type"`
		}
		if json.Unmarshal(call.Body, &v) != nil || v.Type == 0 {
			return http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": 50035}
		}
		if v.Type == discordgo.InteractionResponseChannelMessageWithSource {
			var d struct {
				Data json.RawMessage `json:"data"`
			}
			_ = json.Unmarshal(call.Body, &d)
			s.store(WebhookChannel(m[2]), "@original", d.Data, call.Files)
		}
		return http.StatusNoContent, nil
	case method == "POST" && match(reWebhook):
		status, body := s.create(WebhookChannel(m[2]), call)
		if call.Query.Get("wait") != "true" && status == http.StatusOK {
			return http.StatusNoContent, nil
		}
		return status, body
	case method == "PATCH" && match(reWebhookMsg):
		if m[3] == "@original" {
			s.mu.Lock()
			_, ok := s.messages[WebhookChannel(m[2])+"/@original"]
			s.mu.Unlock()
			if !ok { // the deferred response: the edit fills it in
				return http.StatusOK, s.store(WebhookChannel(m[2]), "@original", call.Body, call.Files)
			}
		}
		return s.edit(WebhookChannel(m[2]), m[3], call)
	case method == "PUT" && match(reCommands):
		var cmds []map[string]any
		if err := json.Unmarshal(call.Body, &cmds); err != nil {
			return http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": 50035}
		}
		for k, c := range cmds {
			c["id"], c["application_id"], c["version"] = fmt.Sprint(9000+k), m[1], "1"
			if m[2] != "" {
				c["guild_id"] = m[2]
			}
		}
		return http.StatusOK, cmds
	case (method == "PUT" || method == "DELETE") && match(reMemberRole):
		return s.memberRole(method, m[1], m[2], m[3])
	case method == "GET" && match(reMembers):
		return http.StatusOK, s.list(m[1], call.Query)
	case method == "GET" && match(reMember):
		return s.member(m[1], m[2])
	case method == "GET" && (path == "/gateway" || path == "/gateway/bot"):
		ws := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/gateway"
		return http.StatusOK, map[string]any{"url": ws, "shards": 1,
			"session_start_limit": map[string]int{"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}}
	}
	return http.StatusNotFound, unknown
}

// wire is the JSON of a message as Discord answers it.
func (m *Message) wire() map[string]any {
	comps := m.Components
	if comps == nil {
		comps = json.RawMessage("[]")
	}
	return map[string]any{"id": m.ID, "channel_id": m.ChannelID, "content": m.Content, "embeds": m.Embeds,
		"components": comps, "flags": m.Flags, "type": 0, "author": map[string]any{"id": "bot-user", "bot": true}}
}

// payload is the part of a message body the fake keeps.
type payload struct {
	Content    *string                    `json:"content"`
	Embeds     *[]*discordgo.MessageEmbed `json:"embeds"`
	Components json.RawMessage            `json:"components"`
	Flags      *int                       `json:"flags"`
}

func (s *Server) create(channel string, call *Call) (int, any) {
	var p payload
	if call.Body != nil && json.Unmarshal(call.Body, &p) != nil {
		return http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": 50035}
	}
	s.mu.Lock()
	s.seq++
	id := strconv.FormatInt(100000+s.seq, 10)
	s.mu.Unlock()
	return http.StatusOK, s.store(channel, id, call.Body, call.Files)
}

// store keeps a new message from a body.
func (s *Server) store(channel, id string, body json.RawMessage, files []File) map[string]any {
	var p payload
	_ = json.Unmarshal(body, &p)
	m := &Message{ID: id, ChannelID: channel, Components: p.Components, Files: files}
	if p.Content != nil {
		m.Content = *p.Content
	}
	if p.Embeds != nil {
		m.Embeds = *p.Embeds
	}
	if p.Flags != nil {
		m.Flags = *p.Flags
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := channel + "/" + id
	if _, ok := s.messages[key]; !ok {
		s.order = append(s.order, key)
	}
	s.messages[key] = m
	return m.wire()
}

func (s *Server) edit(channel, id string, call *Call) (int, any) {
	var p payload
	if json.Unmarshal(call.Body, &p) != nil {
		return http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": 50035}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[channel+"/"+id]
	if !ok {
		return http.StatusNotFound, map[string]any{"message": "Unknown Message", "code": 10008}
	}
	if p.Content != nil {
		m.Content = *p.Content
	}
	if p.Embeds != nil {
		m.Embeds = *p.Embeds
	}
	if p.Components != nil {
		m.Components = p.Components
	}
	m.Files = append(m.Files, call.Files...)
	m.Edits++
	return http.StatusOK, m.wire()
}

func (s *Server) memberRole(method, guild, user, role string) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	roles, ok := s.members[guild][user]
	if !ok {
		return http.StatusNotFound, map[string]any{"message": "Unknown Member", "code": 10007}
	}
	var out []string
	for _, r := range roles {
		if r != role {
			out = append(out, r)
		}
	}
	if method == "PUT" {
		out = append(out, role)
	}
	s.members[guild][user] = out
	return http.StatusNoContent, nil
}

// member answers GET one guild member, or Unknown Member.
func (s *Server) member(guild, user string) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	roles, ok := s.members[guild][user]
	if !ok {
		return http.StatusNotFound, map[string]any{"message": "Unknown Member", "code": 10007}
	}
	return http.StatusOK, map[string]any{"user": map[string]any{"id": user, "username": "user" + user}, "roles": roles,
		"joined_at": "2026-01-01T00:00:00Z"}
}

// list answers GET guild members: sorted by user id, after and limit honoured.
func (s *Server) list(guild string, q url.Values) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 1
	}
	after := q.Get("after")
	users := make([]string, 0, len(s.members[guild]))
	for u := range s.members[guild] {
		users = append(users, u)
	}
	sort.Strings(users)
	out := []map[string]any{}
	for _, u := range users {
		if after != "" && u <= after {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, map[string]any{"user": map[string]any{"id": u, "username": "user" + u}, "roles": s.members[guild][u],
			"joined_at": "2026-01-01T00:00:00Z"})
	}
	return out
}

// gatewayConn is the one gateway session the fake serves.
type gatewayConn struct {
	mu sync.Mutex // one writer at a time
	c  *websocket.Conn
}

func (g *gatewayConn) send(v any) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.c.WriteJSON(v)
}

// serveGateway speaks the start of Discord's gateway protocol: HELLO,
// IDENTIFY, READY; then it answers heartbeats until the client leaves.
func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	g := &gatewayConn{c: c}
	defer c.Close()
	if g.send(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 41250}}) != nil {
		return
	}
	var identify struct {
		Op int             `json:"op"`
		D  json.RawMessage `json:"d"`
	}
	if err := c.ReadJSON(&identify); err != nil || identify.Op != 2 {
		_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4002, "expected IDENTIFY"))
		return
	}
	s.gwMu.Lock()
	s.gw = g
	s.gwSeq++
	seq := s.gwSeq
	s.gwLive++
	s.gwTotal++
	s.gwMax = max(s.gwMax, s.gwLive)
	s.gwMu.Unlock()
	defer func() {
		s.gwMu.Lock()
		s.gwLive--
		s.gwMu.Unlock()
	}()
	ready := map[string]any{"v": 10, "session_id": "fake-session", "user": map[string]any{"id": "bot-user", "username": "elevate", "bot": true},
		"guilds": []any{}, "application": map[string]any{"id": "app"}}
	if g.send(map[string]any{"op": 0, "s": seq, "t": "READY", "d": ready}) != nil {
		return
	}
	select {
	case s.idents <- identify.D:
	default:
	}
	for {
		var msg struct {
			Op int `json:"op"`
		}
		if err := c.ReadJSON(&msg); err != nil {
			s.gwMu.Lock()
			if s.gw == g {
				s.gw = nil
			}
			s.gwMu.Unlock()
			return
		}
		if msg.Op == 1 {
			if g.send(map[string]any{"op": 11}) != nil {
				return
			}
		}
	}
}

// Sessions reports the identified gateway sessions connected now, the most
// that were connected at once, and how many ever identified.
func (s *Server) Sessions() (live, most, total int) {
	s.gwMu.Lock()
	defer s.gwMu.Unlock()
	return s.gwLive, s.gwMax, s.gwTotal
}

// Identified waits for a gateway client to IDENTIFY and returns its payload.
func (s *Server) Identified(t testing.TB, timeout time.Duration) json.RawMessage {
	t.Helper()
	select {
	case d := <-s.idents:
		return d
	case <-time.After(timeout):
		t.Fatalf("no gateway IDENTIFY within %v", timeout)
		return nil
	}
}

// Dispatch sends an event (e.g. INTERACTION_CREATE) to the connected
// gateway client; data is the event's d, as raw JSON or a value.
func (s *Server) Dispatch(event string, data any) error {
	s.gwMu.Lock()
	g := s.gw
	s.gwSeq++
	seq := s.gwSeq
	s.gwMu.Unlock()
	if g == nil {
		return fmt.Errorf("discordtest: no gateway client connected")
	}
	if raw, ok := data.([]byte); ok {
		data = json.RawMessage(raw)
	}
	return g.send(map[string]any{"op": 0, "s": seq, "t": event, "d": data})
}
