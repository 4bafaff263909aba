package api_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/elevate-pim/elevate/core"
)

// chunkStore records the most audit events one read brought into memory.
type chunkStore struct {
	core.Store
	mu         sync.Mutex
	most, read int
}

func (s *chunkStore) AuditRange(ctx context.Context, after int64, limit int) ([]core.AuditEvent, error) {
	es, err := s.Store.AuditRange(ctx, after, limit)
	s.mu.Lock()
	s.most, s.read = max(s.most, len(es)), s.read+len(es)
	s.mu.Unlock()
	return es, err
}

// TestAuditDownloadStreams: GET /audit streams the whole trail chunk by
// chunk (never more than core.AuditChunk events in memory), as CSV or as
// JSON that verifies, with filters and a cursor to resume from.
func TestAuditDownloadStreams(t *testing.T) {
	var cs *chunkStore
	e := newEnv(t, func(s core.Store) core.Store { cs = &chunkStore{Store: s}; return cs })
	const n = 2*core.AuditChunk + 500
	for done := 0; done < n; {
		var c core.Change
		for ; done < n && len(c.Audit) < 1000; done++ {
			c.Audit = append(c.Audit, core.AuditEvent{Time: t0, Actor: "alice", Action: "load", Principal: "alice", Role: "staging", Reason: strconv.Itoa(done)})
		}
		if err := e.store.Apply(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	head, err := e.store.AuditHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	e.want("audit: no token", e.call("GET", "/audit", "", nil), 401)
	e.want("audit: requester", e.call("GET", "/audit", "alice-token", nil), 403, "forbidden")
	e.want("audit: check-only service", e.call("GET", "/audit", "gateway-token", nil), 403, "forbidden")
	e.want("audit: bad format", e.call("GET", "/audit"+q("format", "xml"), "siem-token", nil), 400, "bad_input", "format")
	e.want("audit: bad since", e.call("GET", "/audit"+q("since", "yesterday"), "siem-token", nil), 400, "bad_input", "since")
	e.want("audit head: no token", e.call("GET", "/audit/head", "", nil), 401)
	e.want("audit head: requester", e.call("GET", "/audit/head", "alice-token", nil), 403, "forbidden")
	r := e.call("GET", "/audit/head", "erin-token", nil)
	e.want("audit head", r, 200)
	if !strings.Contains(string(r.body), fmt.Sprintf(`"seq":%d`, head.Seq)) {
		t.Fatalf("head = %s, want seq %d", r.body, head.Seq)
	}

	cs.mu.Lock()
	cs.most, cs.read = 0, 0
	cs.mu.Unlock()
	r = e.call("GET", "/audit"+q("format", "csv"), "siem-token", nil)
	e.want("audit csv", r, 200)
	lines := strings.Count(string(r.body), "\n")
	if lines != 1+int(head.Seq) || r.header.Get("Elevate-Audit-Cursor") != strconv.FormatInt(head.Seq, 10) {
		t.Fatalf("csv has %d lines, cursor %s; want %d and %d", lines, r.header.Get("Elevate-Audit-Cursor"), 1+head.Seq, head.Seq)
	}
	cs.mu.Lock()
	most, read := cs.most, cs.read
	cs.mu.Unlock()
	if most > core.AuditChunk || read < int(head.Seq) {
		t.Fatalf("the download held up to %d events at once (read %d); want chunks of at most %d", most, read, core.AuditChunk)
	}

	// The download is audited as a read: the trail has grown by that event.
	if head, err = e.store.AuditHead(context.Background()); err != nil {
		t.Fatal(err)
	}
	r = e.call("GET", "/audit"+q("format", "json"), "siem-token", nil)
	e.want("audit json", r, 200)
	var v core.AuditVerifier
	if err := core.ScanAuditJSON(bytes.NewReader(r.body), v.Add); err != nil || v.End(head) != nil {
		t.Fatalf("the JSON download does not verify: %v %v", err, v.End(head))
	}

	// Resume after the cursor: only what was appended since.
	if _, err := e.svc.RequestActivation(context.Background(), core.Caller{Principal: "alice", Source: "test"}, core.ActivationInput{Role: "staging"}); err != nil {
		t.Fatal(err)
	}
	r = e.call("GET", "/audit"+q("format", "json", "after", strconv.FormatInt(head.Seq, 10), "principal", "alice", "role", "staging"), "siem-token", nil)
	e.want("audit after the cursor", r, 200)
	events, err := core.ReadAuditJSON(bytes.NewReader(r.body))
	// (head.Seq+1 is the JSON download's read event, which the filter leaves out.)
	if err != nil || len(events) == 0 || events[0].Seq != head.Seq+2 || events[0].Source != "test" {
		t.Fatalf("events after %d = %d (%v), first %+v", head.Seq, len(events), err, events)
	}
}

// downStore is a store whose audit head cannot be reached.
type downStore struct{ core.Store }

func (downStore) AuditHead(context.Context) (core.AuditHead, error) {
	return core.AuditHead{}, core.Unavailable(fmt.Errorf("dial tcp: connection refused"))
}

// TestUnreachableStoreIs503: a store that cannot be reached answers 503
// with core's message and no detail of the cause.
func TestUnreachableStoreIs503(t *testing.T) {
	e := newEnv(t, func(s core.Store) core.Store { return downStore{s} })
	r := e.call("GET", "/audit/head", "siem-token", nil)
	e.want("head with the store down", r, 503, "unavailable")
	if strings.Contains(string(r.body), "dial tcp") {
		t.Fatalf("503 leaks the cause: %s", r.body)
	}
}
