package slacktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// PingInterval is how often the fake pings socket connections; slack-go's
// client drops a connection that Slack has not pinged for 30 seconds.
const PingInterval = 200 * time.Millisecond

// Ack is an acknowledgement the adapter sent for an envelope.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage // the response payload, if any (view_submission errors, say)
	At         time.Time
}

// socketState is the fake's Socket Mode side.
type socketState struct {
	mu    sync.Mutex
	conns []*sockConn
	acks  []Ack
	sent  map[string]time.Time // envelope id → when it was sent
	seq   int
}

type sockConn struct {
	ws   *websocket.Conn
	wmu  sync.Mutex // gorilla allows one concurrent writer
	done chan struct{}
}

func (st *socketState) init() { st.sent = map[string]time.Time{} }

func (st *socketState) closeAll() {
	st.mu.Lock()
	conns := st.conns
	st.conns = nil
	st.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.Close()
	}
}

// serveSocket is the websocket apps.connections.open points at: it says
// hello, pings, and records the acks it reads.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.record(Call{Method: "socket", Params: url.Values{}, Status: http.StatusSwitchingProtocols})
	s.mu.Unlock()
	c := &sockConn{ws: ws, done: make(chan struct{})}
	hello := map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "A0ELEVATE"},
		"debug_info":      map[string]any{"host": "fake", "approximate_connection_time": 3600}}
	if err := c.write(hello); err != nil {
		_ = ws.Close()
		return
	}
	st := &s.sock
	st.mu.Lock()
	st.conns = append(st.conns, c)
	st.mu.Unlock()

	go func() {
		t := time.NewTicker(PingInterval)
		defer t.Stop()
		for {
			select {
			case <-c.done:
				return
			case <-t.C:
				if err := ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second)); err != nil {
					return
				}
			}
		}
	}()
	defer func() {
		close(c.done)
		_ = ws.Close()
		st.mu.Lock()
		for i, x := range st.conns {
			if x == c {
				st.conns = append(st.conns[:i], st.conns[i+1:]...)
				break
			}
		}
		st.mu.Unlock()
	}()
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		st.mu.Lock()
		st.acks = append(st.acks, Ack{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload, At: time.Now()})
		st.mu.Unlock()
	}
}

func (c *sockConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(v)
}

// Connected reports how many socket connections are open.
func (s *Server) Connected() int {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	return len(s.sock.conns)
}

// WaitConnected waits until a socket connection is open.
func (s *Server) WaitConnected(timeout time.Duration) bool {
	return poll(timeout, func() bool { return s.Connected() > 0 })
}

// WaitDisconnected waits until no socket connection is open.
func (s *Server) WaitDisconnected(timeout time.Duration) bool {
	return poll(timeout, func() bool { return s.Connected() == 0 })
}

// Send delivers an envelope of type typ ("slash_commands", "interactive",
// "events_api") with payload to the newest socket connection, and returns
// its envelope id.
func (s *Server) Send(typ string, payload any) (string, error) {
	return s.send(typ, payload, false)
}

// SendAll delivers one envelope (one envelope id) to every open socket
// connection, as Slack does when it redelivers an envelope that was not
// acknowledged in time on another of the app's connections: the first
// copy as a first attempt, the others as retries. It returns the id.
func (s *Server) SendAll(typ string, payload any) (string, error) {
	return s.send(typ, payload, true)
}

func (s *Server) send(typ string, payload any, all bool) (string, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	st := &s.sock
	st.mu.Lock()
	if len(st.conns) == 0 {
		st.mu.Unlock()
		return "", errors.New("slacktest: no socket connection")
	}
	conns := st.conns[len(st.conns)-1:]
	if all {
		conns = append([]*sockConn(nil), st.conns...)
	}
	st.seq++
	id := fmt.Sprintf("env-%04d", st.seq)
	st.sent[id] = time.Now()
	st.mu.Unlock()
	for i, c := range conns {
		env := map[string]any{"envelope_id": id, "type": typ, "payload": json.RawMessage(raw),
			"accepts_response_payload": typ != "events_api", "retry_attempt": i, "retry_reason": ""}
		if i > 0 {
			env["retry_reason"] = "timeout"
		}
		if err := c.write(env); err != nil {
			return id, err
		}
	}
	return id, nil
}

// Acks returns the acknowledgements received, in order.
func (s *Server) Acks() []Ack {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	return append([]Ack(nil), s.sock.acks...)
}

// WaitAck waits for the acknowledgement of envelope id.
func (s *Server) WaitAck(id string, timeout time.Duration) (Ack, bool) {
	var found Ack
	ok := poll(timeout, func() bool {
		for _, a := range s.Acks() {
			if a.EnvelopeID == id {
				found = a
				return true
			}
		}
		return false
	})
	return found, ok
}

// SentAt returns when envelope id was sent.
func (s *Server) SentAt(id string) time.Time {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	return s.sock.sent[id]
}

// poll checks cond every few milliseconds until it holds or timeout passes.
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}
