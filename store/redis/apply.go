package redis

import (
	"context"
	crand "crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// applyScript checks every expectation of a Change and, only if all hold,
// writes all of it. See apply.lua for its keys and arguments.
//
//go:embed apply.lua
var applySource string

var applyScript = goredis.NewScript(applySource)

// Apply commits c atomically in one Lua script. It first validates c
// (EINVALID) in Go; the script then checks every expectation (ECONFLICT)
// and only when all hold writes anything. Within one Change, removals take
// effect before additions (CloseWindows before OpenWindows,
// DeleteAssignments before PutAssignments, Unschedule before Schedule).
// Its audit events get their sequence numbers from the script, where
// appends are serialized, and are chained right after (see seal.go).
// Errors from Redis itself come back wrapped, with no code
// (EINTERNAL).
func (s *Store) Apply(ctx context.Context, c core.Change) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	if err := live(ctx); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	keys, args, err := s.encode(ctx, c)
	if err != nil {
		return fmt.Errorf("redis apply: %w", err)
	}
	raw, err := s.runWrite(ctx, applyScript, keys, args...)
	if err != nil {
		return fmt.Errorf("redis apply: %w", err)
	}
	res, ok := raw.([]any)
	if !ok {
		return fmt.Errorf("redis apply: unexpected script result %v", raw)
	}
	if err := conflict(c, res); err != nil {
		return err
	}
	if len(c.Audit) > 0 {
		s.sealer.kick()
	}
	return nil
}

// fixedKeys returns the keys every Apply script passes first, in KEYS order.
func (s *Store) fixedKeys() []string {
	k := s.keys
	return []string{k.rev(), k.asg(), k.jobs(), k.jobData(), k.auditPending(), k.auditSeq(), k.applied(), k.auditHead()}
}

// newApplyID names one Change, so that a re-sent script applies it once.
func newApplyID() string {
	var b [16]byte
	crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// encode lays c out as the script's keys and arguments, the review part last.
func (s *Store) encode(ctx context.Context, c core.Change) ([]string, []any, error) {
	mfa := 0
	if c.MFA != nil {
		mfa = 1
	}
	rev := ""
	if c.HoldersRev != nil {
		rev = strconv.FormatInt(*c.HoldersRev, 10)
	}
	keys := s.fixedKeys()
	args := []any{
		len(c.Requests), len(c.Slots), len(c.CloseWindows), len(c.OpenWindows),
		len(c.DeleteAssignments), len(c.PutAssignments), mfa,
		len(c.Unschedule), len(c.Schedule), len(c.Audit),
		rev, len(c.Complete), s.keys.tag, deadlineArg(ctx), newApplyID(), s.clock.Now().UnixMilli(),
	}

	for _, w := range c.Requests {
		keys = append(keys, s.keys.request(w.Request.ID))
	}
	for _, w := range c.Slots {
		keys = append(keys, s.keys.slot(w.Principal, w.Role))
	}
	for _, k := range c.CloseWindows {
		keys = append(keys, s.keys.windowOf(k), s.keys.windowIndex(k.Role))
	}
	for _, w := range c.OpenWindows {
		keys = append(keys, s.keys.window(w.Window.Principal, w.Window.Role), s.keys.windowIndex(w.Window.Role))
	}
	if c.MFA != nil {
		keys = append(keys, s.keys.mfa(c.MFA.Record.Principal))
	}

	for _, w := range c.Requests {
		r := w.Request.Clone()
		r.Version = w.Expect + 1
		b, err := json.Marshal(r)
		if err != nil {
			return nil, nil, fmt.Errorf("encode request %s: %w", r.ID, err)
		}
		args = append(args, r.ID, w.Expect, b, flag(!r.State.Final()), flag(r.State == core.PendingApproval), r.Principal, r.Role, r.CreatedAt.UnixMilli())
	}
	for _, w := range c.Slots {
		args = append(args, w.Expect, w.Set)
	}
	for _, k := range c.CloseWindows {
		args = append(args, k.Principal)
	}
	for _, w := range c.OpenWindows {
		args = append(args, w.Window.Principal, encodeWindow(w.Window), ttlMillis(w.TTL))
	}
	for _, k := range c.DeleteAssignments {
		args = append(args, k)
	}
	for _, a := range c.PutAssignments {
		b, err := json.Marshal(a)
		if err != nil {
			return nil, nil, fmt.Errorf("encode assignment %s: %w", a.Key(), err)
		}
		args = append(args, a.Key(), b, a.Principal, a.Role)
	}
	if m := c.MFA; m != nil {
		r := *m.Record
		r.Version = m.Expect + 1
		b, err := json.Marshal(r)
		if err != nil {
			return nil, nil, fmt.Errorf("encode MFA record of %s: %w", r.Principal, err)
		}
		args = append(args, m.Expect, b)
	}
	for _, id := range c.Unschedule {
		args = append(args, id)
	}
	for _, j := range c.Schedule {
		b, err := encodeJob(j)
		if err != nil {
			return nil, nil, err
		}
		score := j.Due.UnixMilli()
		if !j.Lease.IsZero() {
			score = j.Lease.UnixMilli() // claimed by the committer from the start
		}
		args = append(args, j.ID(), score, b)
	}
	for _, e := range c.Audit {
		// The content as core.AuditEvent.ContentDigest encodes it, so
		// that the sealer's digest of these bytes is the verifier's.
		e.Seq, e.PrevHash, e.Hash = 0, "", ""
		e.Time = e.Time.UTC()
		b, err := json.Marshal(e)
		if err != nil {
			return nil, nil, fmt.Errorf("encode audit event: %w", err)
		}
		args = append(args, b)
	}
	for _, j := range c.Complete {
		args = append(args, j.ID(), j.Lease.UnixMilli())
	}
	// Alerts come last, in the last key and the arguments after the
	// completed jobs, so that the script counts them from what is left.
	if len(c.Alerts) > 0 {
		keys = append(keys, s.keys.alerts())
	}
	for _, w := range c.Alerts {
		a := w.Alert.Clone()
		a.Version = w.Expect + 1
		b, err := json.Marshal(a)
		if err != nil {
			return nil, nil, fmt.Errorf("encode alert %s: %w", a.ID, err)
		}
		args = append(args, a.ID, w.Expect, b)
	}
	rvKeys, rvArg, err := s.encodeReviews(c)
	if err != nil {
		return nil, nil, err
	}
	return append(keys, rvKeys...), append(args, rvArg), nil
}

// flag is a boolean as the script reads it.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ttlMillis is d in whole milliseconds, the precision of PX, rounded up so
// that a positive TTL never becomes zero.
func ttlMillis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// decodeHead reads the audit head from a GET of its key: the zero head
// when the log is empty.
func decodeHead(get *goredis.StringCmd) (core.AuditHead, error) {
	raw, err := get.Bytes()
	if errors.Is(err, goredis.Nil) {
		return core.AuditHead{}, nil
	} else if err != nil {
		return core.AuditHead{}, fmt.Errorf("read audit head: %w", err)
	}
	var head core.AuditHead
	if err := json.Unmarshal(raw, &head); err != nil {
		return core.AuditHead{}, fmt.Errorf("decode audit head: %w", err)
	}
	return head, nil
}

// conflict turns the script's result into nil ({"ok"}) or the ECONFLICT
// that the memory store returns for the same failed expectation
// ({what, index, have}).
func conflict(c core.Change, res []any) error {
	if len(res) == 0 {
		return errors.New("redis apply: empty script result")
	}
	what, _ := res[0].(string)
	switch what {
	case "ok":
		return nil
	case "late":
		return core.Unavailable(errors.New("redis apply: the script ran after its deadline and changed nothing"))
	}
	if len(res) != 3 {
		return fmt.Errorf("redis apply: unexpected script result %v", res)
	}
	i, _ := res[1].(int64)
	switch what {
	case "request":
		have, _ := res[2].(int64)
		w := c.Requests[i]
		if w.Expect == 0 {
			return core.Errorf(core.ECONFLICT, "Request %s already exists.", w.Request.ID)
		}
		return core.Errorf(core.ECONFLICT, "Request %s changed meanwhile (version %d, expected %d).", w.Request.ID, have, w.Expect)
	case "slot":
		have, _ := res[2].(string)
		w := c.Slots[i]
		if have != "" {
			return core.Errorf(core.ECONFLICT, "%s already has an open request for %s (%s).", w.Principal, w.Role, have)
		}
		return core.Errorf(core.ECONFLICT, "The open request of %s for %s changed meanwhile.", w.Principal, w.Role)
	case "holders":
		have, _ := res[2].(int64)
		return core.Errorf(core.ECONFLICT, "Role holders changed meanwhile (revision %d, expected %d).", have, *c.HoldersRev)
	case "job":
		return core.Errorf(core.ECONFLICT, "Job %s is no longer held under its lease.", c.Complete[i].ID())
	case "alert":
		have, _ := res[2].(int64)
		w := c.Alerts[i]
		if w.Expect == 0 {
			return core.Errorf(core.ECONFLICT, "Alert %s already exists.", w.Alert.ID)
		}
		return core.Errorf(core.ECONFLICT, "Alert %s changed meanwhile (version %d, expected %d).", w.Alert.ID, have, w.Expect)
	case "mfa":
		have, _ := res[2].(int64)
		return core.Errorf(core.ECONFLICT, "The MFA record of %s changed meanwhile (version %d, expected %d).", c.MFA.Record.Principal, have, c.MFA.Expect)
	case "review", "item":
		have, _ := res[2].(int64)
		return conflictReview(c, what, i, have)
	}
	return fmt.Errorf("redis apply: unexpected script result %v", res)
}
