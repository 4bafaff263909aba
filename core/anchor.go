package core

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// JobAnchor posts the audit head, hourly, on one replica.
const JobAnchor JobKind = "anchor"

const anchorRef = "audit"

// EventAnchor carries an audit anchor to the alerts channel.
const EventAnchor EventKind = "anchor"

// Anchor is an audit head recorded outside the store: posted to the alerts
// channel and appended to the anchor file. Whoever rewrites the store must
// also rewrite every anchor, which lives elsewhere.
type Anchor struct {
	Seq   int64
	Hash  string
	Where string // where it was read: "anchors.txt:3", "--anchor"
}

// String renders the anchor as SEQ:HASH, the form `--anchor` takes.
func (a Anchor) String() string { return strconv.FormatInt(a.Seq, 10) + ":" + a.Hash }

var anchorPattern = regexp.MustCompile(`^([0-9]+):([0-9a-f]{64})$`)

// ParseAnchor parses SEQ:HASH.
func ParseAnchor(s, where string) (Anchor, error) {
	m := anchorPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Anchor{}, Errorf(EINVALID, "%s: %q is not an anchor; want SEQ:HASH (a sequence number, a colon and 64 hex digits).", where, s)
	}
	seq, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || seq < 1 {
		return Anchor{}, Errorf(EINVALID, "%s: sequence number %q is out of range.", where, m[1])
	}
	return Anchor{Seq: seq, Hash: m[2], Where: where}, nil
}

// ReadAnchors reads an anchor file: one anchor per line, SEQ:HASH first,
// anything after a space ignored (the time it was taken); blank lines and
// lines starting with # are skipped.
func ReadAnchors(r io.Reader, name string) ([]Anchor, error) {
	var out []Anchor
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		first, _, _ := strings.Cut(line, " ")
		a, err := ParseAnchor(first, fmt.Sprintf("%s:%d", name, n))
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, sc.Err()
}

// FormatAnchorLine is the line the anchor file gets for head taken at t.
func FormatAnchorLine(head AuditHead, t time.Time) string {
	return Anchor{Seq: head.Seq, Hash: head.Hash}.String() + " " + t.UTC().Format(time.RFC3339) + "\n"
}

// AnchorCheck checks audit events, fed in order, against anchors. It is
// streamed with the events, so it needs no more memory than the anchors.
type AnchorCheck struct {
	want map[int64][]Anchor
}

// NewAnchorCheck returns a check against anchors.
func NewAnchorCheck(anchors []Anchor) *AnchorCheck {
	c := &AnchorCheck{want: map[int64][]Anchor{}}
	for _, a := range anchors {
		c.want[a.Seq] = append(c.want[a.Seq], a)
	}
	return c
}

// Event checks one event: an anchor taken at its sequence number must
// name its hash. The error names the anchor that no longer matches.
func (c *AnchorCheck) Event(e AuditEvent) error {
	for _, a := range c.want[e.Seq] {
		if a.Hash != e.Hash {
			return fmt.Errorf("anchor %s (%s) no longer matches: audit event %d now hashes to %s; the log was rewritten at or before event %d", a, a.Where, e.Seq, e.Hash, e.Seq)
		}
	}
	delete(c.want, e.Seq)
	return nil
}

// Done reports an anchor beyond the end of the log: events were removed.
func (c *AnchorCheck) Done() error {
	var first *Anchor
	for _, as := range c.want {
		if first == nil || as[0].Seq < first.Seq {
			first = &as[0]
		}
	}
	if first != nil {
		return fmt.Errorf("anchor %s (%s) no longer matches: the log has no event %d; events were removed", first, first.Where, first.Seq)
	}
	return nil
}

// AnchorWriter records an anchor outside the store (the anchor file).
type AnchorWriter func(head AuditHead, at time.Time) error

// SetAnchorWriter sets where anchors are written besides the alerts channel.
func (a *Alerts) SetAnchorWriter(w AnchorWriter) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.anchorOut = w
}

// Anchor posts the audit head to the alerts channel and writes it to the
// anchor file, and audits that it did. Admins and readers may ask for one
// (`audit anchor`); the scheduler takes one every hour. Errors: EFORBIDDEN.
func (a *Alerts) Anchor(ctx context.Context, c Caller) (AuditHead, error) {
	if c != System {
		if err := a.s.authorize(ctx, c, "anchor the audit trail", a.s.dir().AdminRole, a.s.dir().ReaderRole); err != nil {
			return AuditHead{}, err
		}
	}
	head, err := a.s.store.AuditHead(ctx)
	if err != nil {
		return AuditHead{}, err
	}
	now := a.s.clock.Now()
	a.mu.Lock()
	out := a.anchorOut
	a.mu.Unlock()
	if out != nil {
		if err := out(head, now); err != nil {
			return AuditHead{}, fmt.Errorf("write anchor: %w", err)
		}
	}
	anchor := Anchor{Seq: head.Seq, Hash: head.Hash}.String()
	ch := Change{Audit: []AuditEvent{{Time: now, Actor: c.Principal, Action: "audit_anchor", Reason: anchor, Source: c.Source}}}
	err = a.s.Announce(&ch, Event{Kind: EventAnchor, Severity: SeverityInfo, Time: now, Actor: c.Principal,
		Message: "The audit trail's head is " + anchor + ". Keep it: `elevate audit verify --anchor " + anchor + "` detects a rewritten log."})
	if err != nil {
		return AuditHead{}, err
	}
	if err := a.s.Commit(ctx, ch); err != nil {
		return AuditHead{}, err
	}
	return head, nil
}

// anchorJob takes the hourly anchor and schedules the next.
func (a *Alerts) anchorJob(ctx context.Context) error {
	if _, err := a.Anchor(ctx, System); err != nil {
		return err
	}
	return a.s.store.Apply(ctx, Change{Schedule: []Job{{Kind: JobAnchor, Ref: anchorRef, Due: a.s.clock.Now().Add(a.settings.ScanEvery)}}})
}
