package slack_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/core"
)

// blockingTarget blocks every Grant until released.
type blockingTarget struct {
	entered chan string // request ids whose grant has started
	release chan struct{}
	once    sync.Once
	granted atomic.Int32
}

func newBlockingTarget(t *testing.T) *blockingTarget {
	return &blockingTarget{entered: make(chan string, 8), release: make(chan struct{})}
}

func (bt *blockingTarget) free()        { bt.once.Do(func() { close(bt.release) }) }
func (bt *blockingTarget) Name() string { return "blocking" }

func (bt *blockingTarget) Grant(ctx context.Context, g core.Grant) error {
	bt.entered <- g.RequestID
	select {
	case <-bt.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	bt.granted.Add(1)
	return nil
}

func (bt *blockingTarget) Revoke(context.Context, core.Grant) error { return nil }

func (bt *blockingTarget) waitEntered(t *testing.T) string {
	t.Helper()
	select {
	case id := <-bt.entered:
		return id
	case <-time.After(5 * time.Second):
		t.Fatal("the target's Grant was never called")
		return ""
	}
}

// TestBlockingTargetDoesNotDelayAck: the slash command is acknowledged
// while the target it triggers is still blocked, and other users are
// served meanwhile; the activation completes once the target returns.
func TestBlockingTargetDoesNotDelayAck(t *testing.T) {
	bt := newBlockingTarget(t)
	e := newEnv(t, options{targets: map[string][]core.Target{"staging": {bt}}})
	t.Cleanup(bt.free) // before the env's cleanup waits for the jobs

	acked := make(chan struct{})
	go func() {
		defer close(acked)
		form, _, _ := e.slashForm(uAlice, "staging for 1h")
		if rec := e.post("/slack/commands", form); rec.Code != 200 || rec.Body.Len() != 0 {
			t.Errorf("slash command: status %d body %q, want an empty 200", rec.Code, rec.Body.String())
		}
	}()
	select {
	case <-acked:
	case <-time.After(5 * time.Second):
		t.Fatal("the slash command was not acknowledged while the target blocked")
	}
	bt.waitEntered(t)
	if bt.granted.Load() != 0 {
		t.Fatal("the target returned before it was released")
	}
	// The handler has returned while the grant is still blocked. Others are served meanwhile.
	_, resp := e.slash(uBob, "help")
	e.waitResponse(resp)

	bt.free()
	e.settle()
	if bt.granted.Load() != 1 {
		t.Fatalf("granted %d times, want 1", bt.granted.Load())
	}
	e.waitMessage(cSec, "alice activated staging")
}

// TestBlockingTargetDoesNotDelaySubmissionAck: a modal submission whose
// grant blocks is answered after SubmitWait (the modal closes); the
// outcome follows by DM once the target returns.
func TestBlockingTargetDoesNotDelaySubmissionAck(t *testing.T) {
	bt := newBlockingTarget(t)
	e := newEnv(t, options{targets: map[string][]core.Target{"deploy": {bt}}, submitWait: 100 * time.Millisecond})
	t.Cleanup(bt.free)
	trigger, _ := e.slash(uAlice, "deploy")
	opened := e.waitOpened(trigger)

	done := make(chan []byte, 1)
	go func() {
		done <- e.interact(e.submission(uAlice, opened, map[string]string{"justification": "ship the hotfix"}))
	}()
	id := bt.waitEntered(t)
	select {
	case resp := <-done:
		if !emptyResponse(resp) {
			t.Fatalf("submission response = %s, want the modal closed", resp)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the submission was not answered while the target blocked")
	}
	if bt.granted.Load() != 0 {
		t.Fatal("the target returned before it was released")
	}
	// The submission's own outcome ("… (r-…)") waits for the grant.
	outcome := "(" + id + ")."
	if m, ok := e.messageWith(slacktest.DM(uAlice), outcome); ok {
		t.Fatalf("the submission's outcome was posted before the grant finished: %q", m.Text)
	}
	bt.free()
	m := e.waitMessage(slacktest.DM(uAlice), outcome)
	if !strings.Contains(m.Text, "deploy is active until") {
		t.Errorf("alice's DM = %q, want the activation", m.Text)
	}
}
