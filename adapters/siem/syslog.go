package siem

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// syslogPRI is facility 13 (log audit) and severity 6 (informational).
const syslogPRI = 13*8 + 6

// dialTimeout bounds connecting to a sink.
const dialTimeout = 10 * time.Second

// Syslog sends each event as an RFC 5424 message, octet-counted (RFC 6587)
// over one TCP or TLS connection, reconnecting after an error.
type Syslog struct {
	addr string
	tls  *tls.Config // nil: plain TCP
	host string

	mu   sync.Mutex
	conn net.Conn
}

// NewSyslog returns a sink for a URL tcp://host:port or tls://host:port;
// tlsConfig (may be nil) adds trust roots or client certificates for tls.
func NewSyslog(rawURL string, tlsConfig *tls.Config) (*Syslog, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "tcp" && u.Scheme != "tls") {
		return nil, fmt.Errorf("siem syslog %q: want tcp://host:port or tls://host:port", rawURL)
	}
	s := &Syslog{addr: u.Host}
	if u.Scheme == "tls" {
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: u.Hostname()}
		if tlsConfig != nil {
			s.tls = tlsConfig.Clone()
		}
	}
	if s.host, err = os.Hostname(); err != nil || s.host == "" {
		s.host = "-"
	}
	return s, nil
}

// Name is "syslog-" and the receiver's address.
func (s *Syslog) Name() string { return "syslog-" + s.addr }

// Send writes the batch; on a write error it drops the connection, so the
// next Send (the forwarder's retry) reconnects and sends the batch again.
func (s *Syslog) Send(ctx context.Context, events []core.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		d := &net.Dialer{Timeout: dialTimeout}
		var err error
		if s.tls != nil {
			s.conn, err = (&tls.Dialer{NetDialer: d, Config: s.tls}).DialContext(ctx, "tcp", s.addr)
		} else {
			s.conn, err = d.DialContext(ctx, "tcp", s.addr)
		}
		if err != nil {
			return fmt.Errorf("siem syslog %s: %w", s.addr, err)
		}
	}
	w := bufio.NewWriter(s.conn)
	for i := range events {
		msg, err := s.message(&events[i])
		if err != nil {
			return err
		}
		w.WriteString(strconv.Itoa(len(msg)))
		w.WriteByte(' ')
		w.Write(msg)
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(dialTimeout))
	if err := w.Flush(); err != nil {
		s.conn.Close()
		s.conn = nil
		return fmt.Errorf("siem syslog %s: %w", s.addr, err)
	}
	return nil
}

// message renders e as RFC 5424: PRI, version, timestamp, host, app
// "elevate", no procid, msgid "audit", structured data with the chain
// position, and the event as JSON.
func (s *Syslog) message(e *core.AuditEvent) ([]byte, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("siem syslog: %w", err)
	}
	head := fmt.Sprintf("<%d>1 %s %s elevate - audit [elevate@32473 seq=\"%d\" hash=\"%s\"] ",
		syslogPRI, e.Time.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), s.host, e.Seq, e.Hash)
	return append([]byte(head), body...), nil
}

// Close closes the connection.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
