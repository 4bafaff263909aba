package core

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// maxRetries bounds compare-and-set retries when concurrent writers collide.
const maxRetries = 16

// maxTextLen bounds justifications, reasons and tickets.
const maxTextLen = 500

// Caller is who asks for something, and through which adapter.
type Caller struct {
	Principal string // principal id; "" for a service identity
	Source    string // "console", "slack", "discord", "cli", "scheduler", "api:TOKEN-NAME"
	// Scopes are what a service identity (an API token acting as no
	// principal) may do.
	Scopes Scope
	// Delivery names the durable delivery (an inbox item) that carries the
	// call, when there is one. A request the call opens is named after it,
	// so that running the delivery again after a crash finds that request
	// instead of opening a second.
	Delivery string
}

// System is the caller for actions the scheduler takes on its own.
var System = Caller{Principal: "system", Source: "scheduler"}

// Config holds what a Service needs. Store, Directory and OTP are required.
type Config struct {
	Store     Store
	Directory *Directory
	Clock     Clock          // default SystemClock
	Events    EventSink      // default: events are dropped
	Targets   Targets        // default: roles have no targets
	OTP       OTP            // TOTP generator and checker
	MFAKey    []byte         // 32-byte AES-256 key sealing TOTP secrets
	Issuer    string         // TOTP issuer shown in authenticator apps
	Location  *time.Location // for times in messages; default UTC
	JobLease  time.Duration  // how long a claimed job is owned without a heartbeat before another replica may run it; default 4s
	Observer  Observer       // told what the scheduler does; default: nobody
	Reviews   []ReviewPlan   // access review definitions
	Alerts    AlertSettings  // alert rules; kinds left out keep their defaults
	// RequestRetention is how long a final request (Expired, Revoked,
	// Denied, Canceled, TimedOut, Failed) is kept before the scheduler
	// deletes it; its audit events stay. Default DefaultRequestRetention.
	RequestRetention time.Duration
	// ReviewRetention is how long a closed access review and its items are
	// kept before the scheduler deletes them; their audit events stay.
	// Default DefaultReviewRetention.
	ReviewRetention time.Duration
	// Errors reports failures of work done after a commit or in the
	// background (a target call, a notice); default: dropped.
	Errors func(error)
	// AuditArchive, when set, receives audit events older than AuditHot
	// (default DefaultAuditHot), which are then trimmed from the store.
	AuditArchive AuditArchive
	AuditHot     time.Duration
}

// Service is elevate's domain API: every activation, approval and admin
// action goes through it, and it authorizes each one itself.
type Service struct {
	store   Store
	current atomic.Pointer[Directory] // swapped whole by SetDirectory on a config reload
	clock   Clock
	events  EventSink
	targets Targets
	// targetCalls bounds the concurrent calls to each target.
	targetCalls targetLimits
	otp         OTP
	sealer      *Sealer
	issuer      string
	loc         *time.Location
	groups      groupResolvers
	lease       time.Duration
	// retention is how long final requests are kept.
	retention time.Duration
	archive   AuditArchive  // nil: the store keeps every event
	auditHot  time.Duration // how long events stay in the store with an archive
	observe   Observer
	reviews   *Reviews
	alerts    *Alerts

	handlersMu sync.Mutex
	handlers   map[JobKind]JobHandler
	background atomic.Bool    // notices run in the background after a commit (set by Run)
	bg         sync.WaitGroup // background notice deliveries
	onErr      func(error)    // where background failures are reported
}

// NewService checks c and returns a Service.
func NewService(c Config) (*Service, error) {
	if c.Store == nil || c.Directory == nil {
		return nil, errors.New("core: store and directory are required")
	}
	s := &Service{store: c.Store, clock: c.Clock, events: c.Events, targets: c.Targets, otp: c.OTP, issuer: c.Issuer, observe: c.Observer,
		handlers: map[JobKind]JobHandler{}, onErr: c.Errors}
	c.Directory.index()
	s.current.Store(c.Directory)
	if s.observe == nil {
		s.observe = noObserver{}
	}
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	if s.events == nil {
		s.events = EventSinkFunc(func(context.Context, Event) {})
	}
	if s.targets == nil {
		s.targets = noTargets{}
	}
	if s.loc = c.Location; s.loc == nil {
		s.loc = time.UTC
	}
	if s.lease = c.JobLease; s.lease <= 0 {
		s.lease = jobLease
	}
	if s.retention = c.RequestRetention; s.retention <= 0 {
		s.retention = DefaultRequestRetention
	}
	if s.archive, s.auditHot = c.AuditArchive, c.AuditHot; s.auditHot <= 0 {
		s.auditHot = DefaultAuditHot
	}
	s.reviews = newReviews(s, c.Reviews, c.ReviewRetention)
	s.alerts = newAlerts(s, c.Alerts)
	s.events = triggeringSink{alerts: s.alerts, next: s.events}
	if s.issuer == "" {
		s.issuer = "elevate"
	}
	if c.MFAKey != nil {
		sealer, err := NewSealer(c.MFAKey)
		if err != nil {
			return nil, err
		}
		s.sealer = sealer
	}
	return s, nil
}

// Directory returns the configured principals, groups and roles.
func (s *Service) Directory() *Directory { return s.dir() }

// Store returns the service's store, for the layers that keep their own
// records beside core's (notifications keeps message copies there).
func (s *Service) Store() Store { return s.store }

// Clock returns the service's clock.
func (s *Service) Clock() Clock { return s.clock }

type noTargets struct{}

func (noTargets) For(string) []Target { return nil }

// newRequestID returns an id like "r-7k2qx9": short enough to type, random
// enough (30 bits) that a collision is retried rather than expected.
func newRequestID() string { return newID("r-") }

// newID returns prefix and six random characters that are easy to type.
func newID(prefix string) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + string(b[:])
}

// outcome is what a transition committed, and what must follow the commit.
type outcome struct {
	events []Event
	grant  bool // the window opened: targets must grant it before it is announced
}

// transition is a pure step on a clone of a request: it changes req and
// adds writes to ch, or returns a domain error that stops the update.
type transition func(req *Request, now time.Time, ch *Change) (outcome, error)

// update loads request id, applies step and commits the result with a
// compare-and-set on the request's version, retrying when another writer won
// the race so that step always decides on the newest state. The Change
// carries the transition's effects (notices, a grant job), which Commit
// then runs at once.
func (s *Service) update(ctx context.Context, id string, step transition) (*Request, error) {
	for range maxRetries {
		cur, err := s.store.Request(ctx, id)
		if err != nil {
			if ErrorCode(err) == ENOTFOUND {
				return nil, Errorf(ENOTFOUND, "No request %s.", id)
			}
			return nil, err
		}
		next, ch, err := s.step(cur, step, s.clock.Now())
		if err != nil {
			if next == nil {
				return nil, err
			}
			return cur, err
		}
		refused, err := s.commit(ctx, ch)
		if err != nil {
			if ErrorCode(err) == ECONFLICT {
				continue
			}
			return nil, fmt.Errorf("update %s: %w", id, err)
		}
		return s.settled(ctx, next, refused), nil
	}
	return nil, Errorf(ECONFLICT, "Request %s is changing too quickly; try again.", id)
}

// step applies step to a clone of cur and returns the clone and the Change
// that commits it over cur's version, with its effects. On a domain error
// from step it returns cur and that error; on a failure to build the
// effects, nil and the error.
func (s *Service) step(cur *Request, step transition, now time.Time) (*Request, Change, error) {
	next := cur.Clone()
	ch := Change{}
	out, err := step(next, now, &ch)
	if err != nil {
		return cur, Change{}, err
	}
	if next.State.Final() && !cur.State.Final() {
		s.schedulePurge(next, now, &ch)
	}
	next.Version = cur.Version + 1
	ch.Requests = append(ch.Requests, RequestWrite{Request: next, Expect: cur.Version})
	if err := s.effects(&ch, next, out); err != nil {
		return nil, Change{}, err
	}
	return next, ch, nil
}

// settled returns req as it stands after the grant its commit ran inline:
// Failed when a target refused it, so that no caller shows the committed
// "Active" copy of a window no target granted.
func (s *Service) settled(ctx context.Context, req *Request, refused bool) *Request {
	if !refused {
		return req
	}
	if cur, err := s.store.Request(ctx, req.ID); err == nil && cur.Version > req.Version {
		return cur
	}
	return req
}

// effects adds to ch what must follow the transition of req: its events as
// notices, and, when a window opened on a role with targets, the grant job
// that announces the activation only once every target has granted it, so
// nobody is told a role is active while a target still works on it or has
// refused it.
func (s *Service) effects(ch *Change, req *Request, out outcome) error {
	grant := out.grant && len(s.targets.For(req.Role)) > 0
	var now, later []Event
	for _, e := range out.events {
		if e.Request != nil {
			e.Request = req.Clone() // as committed, version included
		}
		if grant && e.Kind == EventActivated {
			later = append(later, e)
			continue
		}
		now = append(now, e)
	}
	if grant {
		ch.Schedule = append(ch.Schedule, s.held(grantJob(req, later), s.clock.Now()))
	}
	return s.Announce(ch, now...)
}

// event builds an event about req.
func (s *Service) event(kind EventKind, req *Request, actor string, now time.Time) Event {
	return Event{Kind: kind, Severity: SeverityInfo, Time: now, Actor: actor, Request: req.Clone()}
}

// audit builds the audit record of a request transition.
func audit(req *Request, action string, c Caller, now time.Time) AuditEvent {
	return AuditEvent{
		Time: now, Actor: c.Principal, Action: action, Principal: req.Principal, Role: req.Role,
		RequestID: req.ID, Duration: req.Duration, Justification: req.Justification,
		Ticket: req.Ticket, Source: c.Source,
	}
}

// release frees the request's open-request slot; every move to a final state does it.
func release(req *Request, ch *Change) {
	ch.Slots = append(ch.Slots, SlotWrite{Principal: req.Principal, Role: req.Role, Expect: req.ID})
}

// unschedule removes the request's jobs of the given kinds.
func unschedule(req *Request, ch *Change, kinds ...JobKind) {
	for _, k := range kinds {
		ch.Unschedule = append(ch.Unschedule, JobID(k, req.ID))
	}
}
