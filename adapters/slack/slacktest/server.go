// Package slacktest is a fake Slack for tests: an httptest server that
// answers the Web API methods elevate's Slack adapter uses the way Slack
// does, serves response_url and file upload endpoints, and a Socket Mode
// websocket. It records every call so that tests can read what was posted,
// updated, opened and uploaded, and it can be told to answer with a 429.
//
// Point the real client at it with slack.OptionAPIURL(s.APIURL()).
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// maxBody bounds what the fake reads of one request.
const maxBody = 8 << 20

// Server is a fake Slack. It is safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	calls    []Call
	users    map[string]User       // by id
	groups   map[string]*Group     // by user group id
	messages map[string][]*Message // by channel id, in post order
	homes    map[string]json.RawMessage
	files    map[string]*File // by file id
	failures map[string][]Failure
	seq      int64

	sock socketState
}

// User is a Slack user the fake knows.
type User struct {
	ID    string
	Name  string
	Email string
	// Unconfirmed marks the email as not confirmed (is_email_confirmed false).
	Unconfirmed bool
	Deleted     bool
	Bot         bool
}

// Group is a Slack user group.
type Group struct {
	ID       string
	Members  []string
	Disabled bool
}

// Message is a message as it stands in a channel, after any updates.
type Message struct {
	Channel string
	TS      string
	Text    string
	Blocks  json.RawMessage
	// Params are the form parameters of the last post or update, without the token.
	Params  url.Values
	Updates int
}

// File is an uploaded file, once completed with the channel it was shared to.
type File struct {
	ID             string
	Name           string
	Title          string
	Data           []byte
	Channel        string
	InitialComment string
}

// Call is one request the fake received.
type Call struct {
	// Method is the Web API method ("chat.postMessage"), or "response_url",
	// "upload" (a file upload URL) or "socket" (a websocket dial).
	Method string
	// Params are the form or query parameters, without the token.
	Params url.Values
	// JSON is the body of JSON methods (views.open, views.publish) and response_url posts.
	JSON json.RawMessage
	// Status is the HTTP status the fake answered with.
	Status int
	// Auth is the bearer token's type prefix ("xoxb", "xapp"), never the token.
	Auth string
	At   time.Time
}

// Failure is an injected failure of the next call of a method.
type Failure struct {
	Status     int           // HTTP status; 429 sets Retry-After
	RetryAfter time.Duration // whole seconds on the wire
	Error      string        // Slack error code in {"ok":false,"error":...}
}

// New starts a fake Slack. Close it when done.
func New() *Server {
	s := &Server{
		users:    map[string]User{},
		groups:   map[string]*Group{},
		messages: map[string][]*Message{},
		homes:    map[string]json.RawMessage{},
		files:    map[string]*File{},
		failures: map[string][]Failure{},
	}
	s.sock.init()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("POST /response/{id}", s.serveResponseURL)
	mux.HandleFunc("POST /upload/{id}", s.serveUpload)
	mux.HandleFunc("GET /socket", s.serveSocket)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close closes every socket connection and stops the server.
func (s *Server) Close() {
	s.sock.closeAll()
	s.srv.Close()
}

// APIURL is the Web API base URL, ending in "/", for slack.OptionAPIURL.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// ResponseURL returns a response_url for an interaction named id; what is
// posted to it is recorded as a "response_url" call with Params "id".
func (s *Server) ResponseURL(id string) string { return s.srv.URL + "/response/" + url.PathEscape(id) }

// AddUser makes a user known to users.info and users.lookupByEmail.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// SetGroup creates or replaces a user group with members.
func (s *Server) SetGroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = &Group{ID: id, Members: slices.Clone(members)}
}

// Group returns a copy of user group id, and whether it exists.
func (s *Server) Group(id string) (Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[id]
	if !ok {
		return Group{}, false
	}
	return Group{ID: g.ID, Members: slices.Clone(g.Members), Disabled: g.Disabled}, true
}

// Fail makes the next call of method fail with f; several queue up in order.
func (s *Server) Fail(method string, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], f)
}

// DM is the id of the direct-message channel conversations.open gives for user.
func DM(user string) string { return "D" + user }

// Calls returns the recorded calls of the given methods (all calls when
// none is given), in the order they arrived.
func (s *Server) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || slices.Contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the messages in channel as they stand now.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages[channel] {
		c := *m
		c.Params = cloneValues(m.Params)
		out = append(out, c)
	}
	return out
}

// Home returns the view last published to user's App Home, or nil.
func (s *Server) Home(user string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.homes[user]
}

// Files returns the completed uploads, in upload order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, f := range s.files {
		if f.Channel != "" {
			c := *f
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// next returns a fresh sequence number.
func (s *Server) next() int64 {
	s.seq++
	return s.seq
}

// record appends a call; the caller holds s.mu.
func (s *Server) record(c Call) {
	c.At = time.Now()
	s.calls = append(s.calls, c)
}

// serveAPI answers one Web API method.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	call := Call{Method: method, Auth: tokenType(r)}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	params := r.URL.Query()
	if ctype == "application/json" {
		call.JSON = body
	} else if form, err := url.ParseQuery(string(body)); err == nil {
		for k, vs := range form {
			params[k] = append(params[k], vs...)
		}
	}
	if call.Auth == "" && params.Get("token") != "" {
		call.Auth, _, _ = strings.Cut(params.Get("token"), "-")
	}
	params.Del("token")
	call.Params = params

	s.mu.Lock()
	defer s.mu.Unlock()
	if fs := s.failures[method]; len(fs) > 0 {
		f := fs[0]
		s.failures[method] = fs[1:]
		call.Status = f.Status
		if call.Status == 0 {
			call.Status = http.StatusOK
		}
		s.record(call)
		if f.Status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second)))
		}
		code := f.Error
		if code == "" {
			code = "ratelimited"
		}
		writeJSON(w, call.Status, map[string]any{"ok": false, "error": code})
		return
	}
	call.Status = http.StatusOK
	s.record(call)
	resp := s.answer(method, call, r)
	writeJSON(w, http.StatusOK, resp)
}

// answer computes the reply to a method; the caller holds s.mu.
func (s *Server) answer(method string, c Call, r *http.Request) map[string]any {
	p := c.Params
	fail := func(code string) map[string]any { return map[string]any{"ok": false, "error": code} }
	ok := func(kv ...any) map[string]any {
		m := map[string]any{"ok": true}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	switch method {
	case "auth.test":
		return ok("user_id", "UBOT", "team_id", "T0TEAM", "bot_id", "B0BOT", "url", "https://fake.slack.com/")
	case "apps.connections.open":
		if c.Auth != "xapp" {
			return fail("not_allowed_token_type")
		}
		return ok("url", "ws"+strings.TrimPrefix(s.srv.URL, "http")+"/socket")
	case "conversations.open":
		users := strings.Split(p.Get("users"), ",")
		if len(users) != 1 || users[0] == "" {
			return fail("user_not_found")
		}
		return ok("channel", map[string]any{"id": DM(users[0])})
	case "chat.postMessage":
		ch := p.Get("channel")
		if ch == "" {
			return fail("channel_not_found")
		}
		ts := s.ts()
		m := &Message{Channel: ch, TS: ts, Text: p.Get("text"), Blocks: json.RawMessage(p.Get("blocks")), Params: cloneValues(p)}
		s.messages[ch] = append(s.messages[ch], m)
		return ok("channel", ch, "ts", ts, "message", map[string]any{"text": m.Text, "ts": ts})
	case "chat.update":
		ch, ts := p.Get("channel"), p.Get("ts")
		for _, m := range s.messages[ch] {
			if m.TS == ts {
				m.Text, m.Blocks, m.Params = p.Get("text"), json.RawMessage(p.Get("blocks")), cloneValues(p)
				m.Updates++
				return ok("channel", ch, "ts", ts, "text", m.Text)
			}
		}
		return fail("message_not_found")
	case "chat.postEphemeral":
		return ok("message_ts", s.ts())
	case "views.open", "views.publish":
		var req struct {
			TriggerID string          `json:"trigger_id"`
			UserID    string          `json:"user_id"`
			View      json.RawMessage `json:"view"`
		}
		if err := json.Unmarshal(c.JSON, &req); err != nil || len(req.View) == 0 {
			return fail("invalid_arguments")
		}
		if method == "views.open" && req.TriggerID == "" {
			return fail("invalid_trigger_id")
		}
		if method == "views.publish" {
			if req.UserID == "" {
				return fail("invalid_arguments")
			}
			s.homes[req.UserID] = req.View
		}
		var view map[string]any
		_ = json.Unmarshal(req.View, &view)
		if view == nil {
			view = map[string]any{}
		}
		n := s.next()
		view["id"] = fmt.Sprintf("V%06d", n)
		view["hash"] = fmt.Sprintf("%d.hash", n)
		return ok("view", view)
	case "users.info":
		u, found := s.users[p.Get("user")]
		if !found {
			return fail("user_not_found")
		}
		return ok("user", userJSON(u))
	case "users.lookupByEmail":
		for _, u := range s.users {
			if u.Email != "" && strings.EqualFold(u.Email, p.Get("email")) {
				return ok("user", userJSON(u))
			}
		}
		return fail("users_not_found")
	case "usergroups.users.list":
		g, found := s.groups[p.Get("usergroup")]
		if !found || (g.Disabled && p.Get("include_disabled") != "true") {
			return fail("no_such_subteam")
		}
		return ok("users", slices.Clone(g.Members))
	case "usergroups.users.update":
		g, found := s.groups[p.Get("usergroup")]
		if !found {
			return fail("no_such_subteam")
		}
		if p.Get("users") == "" {
			return fail("invalid_users")
		}
		g.Members = strings.Split(p.Get("users"), ",")
		return ok("usergroup", groupJSON(g))
	case "usergroups.list":
		var out []map[string]any
		ids := make([]string, 0, len(s.groups))
		for id := range s.groups {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			g := s.groups[id]
			if g.Disabled && p.Get("include_disabled") != "true" {
				continue
			}
			j := groupJSON(g)
			if p.Get("include_users") != "true" {
				delete(j, "users")
			}
			out = append(out, j)
		}
		return ok("usergroups", out)
	case "usergroups.disable", "usergroups.enable":
		g, found := s.groups[p.Get("usergroup")]
		if !found {
			return fail("no_such_subteam")
		}
		g.Disabled = method == "usergroups.disable"
		return ok("usergroup", groupJSON(g))
	case "files.getUploadURLExternal":
		n, err := strconv.Atoi(p.Get("length"))
		if p.Get("filename") == "" || err != nil || n <= 0 {
			return fail("invalid_arguments")
		}
		id := fmt.Sprintf("F%06d", s.next())
		s.files[id] = &File{ID: id, Name: p.Get("filename")}
		return ok("upload_url", s.srv.URL+"/upload/"+id, "file_id", id)
	case "files.completeUploadExternal":
		var fs []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal([]byte(p.Get("files")), &fs); err != nil || len(fs) == 0 {
			return fail("invalid_arguments")
		}
		var out []map[string]any
		for _, f := range fs {
			stored, found := s.files[f.ID]
			if !found || stored.Data == nil {
				return fail("file_not_found")
			}
			stored.Title = f.Title
			stored.Channel = p.Get("channel_id")
			stored.InitialComment = p.Get("initial_comment")
			out = append(out, map[string]any{"id": f.ID, "title": f.Title, "name": stored.Name})
		}
		return ok("files", out)
	}
	return fail("unknown_method")
}

// ts returns a fresh message timestamp; the caller holds s.mu.
func (s *Server) ts() string { return fmt.Sprintf("1700000000.%06d", s.next()) }

// serveResponseURL records a post to a response_url.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	call := Call{Method: "response_url", Params: url.Values{"id": {r.PathValue("id")}}, JSON: body, Status: http.StatusOK, Auth: tokenType(r)}
	if fs := s.failures["response_url"]; len(fs) > 0 {
		call.Status = fs[0].Status
		s.failures["response_url"] = fs[1:]
	}
	s.record(call)
	s.mu.Unlock()
	if call.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, call.Status, map[string]any{"ok": call.Status == http.StatusOK})
}

// serveUpload receives a file's bytes at its upload URL.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := r.ParseMultipartForm(maxBody); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var data []byte
	var name string
	if fhs := r.MultipartForm.File["file"]; len(fhs) == 1 {
		data, name = readPart(fhs[0])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record(Call{Method: "upload", Params: url.Values{"file_id": {id}, "filename": {name}, "size": {strconv.Itoa(len(data))}}, Status: http.StatusOK, Auth: tokenType(r)})
	f, ok := s.files[id]
	if !ok || data == nil {
		http.Error(w, "no such upload", http.StatusNotFound)
		return
	}
	f.Data = data
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "OK - %d", len(data))
}

func readPart(fh *multipart.FileHeader) ([]byte, string) {
	f, err := fh.Open()
	if err != nil {
		return nil, ""
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, ""
	}
	return data, fh.Filename
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// tokenType returns the type prefix of a bearer token: "xoxb", "xapp".
func tokenType(r *http.Request) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	typ, _, _ := strings.Cut(tok, "-")
	return typ
}

func userJSON(u User) map[string]any {
	return map[string]any{
		"id": u.ID, "name": u.Name, "deleted": u.Deleted, "is_bot": u.Bot,
		"is_email_confirmed": !u.Unconfirmed,
		"profile":            map[string]any{"email": u.Email, "real_name": u.Name},
	}
}

func groupJSON(g *Group) map[string]any {
	deleted := 0
	if g.Disabled {
		deleted = 1
	}
	return map[string]any{"id": g.ID, "users": slices.Clone(g.Members), "user_count": len(g.Members), "date_delete": deleted}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// upgrader accepts the adapter's websocket dial.
var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
