package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/siem"
	"github.com/elevate-pim/elevate/core"
)

// seqCounter records how often each audit sequence number arrived.
type seqCounter struct {
	mu   sync.Mutex
	seen map[int64]int
}

func (c *seqCounter) add(seq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[seq]++
}

// upTo reports whether every event 1..head arrived.
func (c *seqCounter) upTo(head int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := int64(1); s <= head; s++ {
		if c.seen[s] == 0 {
			return false
		}
	}
	return true
}

func (c *seqCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// duplicates returns the sequence numbers that arrived more than once.
func (c *seqCounter) duplicates() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int64
	for s, n := range c.seen {
		if n > 1 {
			out = append(out, s)
		}
	}
	return out
}

var syslogSeq = regexp.MustCompile(`^<110>1 \S+ \S+ elevate - audit \[elevate@32473 seq="([0-9]+)" hash="[0-9a-f]{64}"\] \{`)

// syslogReceiver accepts RFC 6587 octet-counted RFC 5424 messages over TCP.
func syslogReceiver(t *testing.T) (string, *seqCounter) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	c := &seqCounter{seen: map[int64]int{}}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				r := bufio.NewReader(conn)
				for {
					n, err := r.ReadString(' ')
					if err != nil {
						return
					}
					size, err := strconv.Atoi(n[:len(n)-1])
					if err != nil {
						t.Errorf("syslog frame length %q", n)
						return
					}
					msg := make([]byte, size)
					if _, err := io.ReadFull(r, msg); err != nil {
						return
					}
					m := syslogSeq.FindSubmatch(msg)
					if m == nil {
						t.Errorf("not an RFC 5424 audit message: %q", msg)
						return
					}
					seq, _ := strconv.ParseInt(string(m[1]), 10, 64)
					c.add(seq)
				}
			}()
		}
	}()
	return "tcp://" + l.Addr().String(), c
}

// httpReceiver accepts JSON lines, slowly, failing the first two posts to exercise retries.
func httpReceiver(t *testing.T) (string, *seqCounter) {
	t.Helper()
	c := &seqCounter{seen: map[int64]int{}}
	var (
		mu    sync.Mutex
		fails = 2
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if fails > 0 {
			fails--
			mu.Unlock()
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		mu.Unlock()
		time.Sleep(50 * time.Millisecond) // a receiver that takes its time widens any race between senders
		if r.Header.Get("Content-Type") != "application/x-ndjson" {
			http.Error(w, "want JSON lines", http.StatusUnsupportedMediaType)
			return
		}
		dec := json.NewDecoder(r.Body)
		var batch []int64
		for dec.More() {
			var e core.AuditEvent
			if err := dec.Decode(&e); err != nil || e.Hash != e.ComputeHash() {
				http.Error(w, "bad event", http.StatusBadRequest)
				return
			}
			batch = append(batch, e.Seq)
		}
		for _, s := range batch {
			c.add(s)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/ingest", c
}

// TestSIEMStreamsEveryEventAcrossSIGKILL: a syslog (TCP) and an HTTP
// receiver get every audit event while two `elevate serve` replicas run:
// the forwarding lease lets one of them send each sink's events, so none
// arrives twice. Each replica in turn is SIGKILLed while events keep
// coming (so each sink's sender dies once, whichever replica it was) and
// replaced: the survivor or the newcomer resumes from the durable cursor.
// Every event arrives; an event arrives twice only if it was in the batch
// in flight at a kill (sent, its cursor not yet moved): never one
// delivered before the first kill, at most one batch per kill, and each
// carries its sequence number and hash for the receiver to tell.
func TestSIEMStreamsEveryEventAcrossSIGKILL(t *testing.T) {
	rcv := newReceiver(t)
	const n = 60
	cfg := redisConfig(t, rcv.URL, n)
	syslogURL, sys := syslogReceiver(t)
	httpURL, web := httpReceiver(t)
	appendConfig(t, cfg, fmt.Sprintf("audit:\n  siem: {syslog: %q, http: %q}\n", syslogURL, httpURL))
	m := mustMain(t, cfg, false)
	ctx := context.Background()
	activate := func(from, to int) {
		for i := from; i < to; i++ {
			if _, err := m.Service.RequestActivation(ctx, core.Caller{Principal: fmt.Sprintf("p%d", i)}, core.ActivationInput{Role: "svc", Duration: time.Hour}); err != nil {
				t.Fatal(err)
			}
		}
	}
	head := func() int64 {
		h, err := m.Store.AuditHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return h.Seq
	}
	waitAll := func(what string) {
		t.Helper()
		want := head()
		deadline := time.Now().Add(30 * time.Second)
		for !sys.upTo(want) || !web.upTo(want) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: syslog has %d, HTTP %d of %d events", what, sys.count(), web.count(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	env := []string{"ELEVATE_SIEM_LEASE_TTL=1s"}
	activate(0, 10)
	first := startServe(t, cfg, env...)
	second := startServe(t, cfg, env...)
	waitAll("two replicas")
	for i := 10; i < 30; i++ { // events trickle in while both replicas poll
		activate(i, i+1)
		time.Sleep(40 * time.Millisecond)
	}
	waitAll("two replicas, more events")
	if d := append(sys.duplicates(), web.duplicates()...); len(d) > 0 {
		t.Fatalf("events delivered twice by two live replicas: %v", d)
	}
	delivered := head() // received by both before the kills: never again
	kill := func(victim *exec.Cmd, from, to int) {
		t.Helper()
		done := make(chan struct{})
		go func() { defer close(done); activate(from, to) }()
		time.Sleep(30 * time.Millisecond)
		_ = victim.Process.Signal(syscall.SIGKILL)
		_ = victim.Wait()
		<-done
	}
	kill(first, 30, 45)
	startServe(t, cfg, env...)
	waitAll("after the first kill")
	kill(second, 45, n)
	waitAll("after the second kill")
	for name, c := range map[string]*seqCounter{"syslog": sys, "http": web} {
		d := c.duplicates()
		if len(d) > 2*siem.DefaultBatch {
			t.Errorf("%s got %d events twice; at most the batch in flight at each kill may be re-sent", name, len(d))
		}
		for _, s := range d {
			if s <= delivered {
				t.Errorf("%s got event %d again after a kill, though it was delivered before: the cursor was not kept", name, s)
			}
		}
		t.Logf("%s: %d events, %d of them twice", name, c.count(), len(d))
	}
}
