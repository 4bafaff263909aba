package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// Audit events are chained in two steps. Apply gives each event its
// sequence number and appends it, unchained, to the pending stream, in the
// same script as the transition it records. The sealer then reads the
// pending events in order, chains them in Go (core.ChainHash: the digest of
// the very bytes Apply wrote, chained to the head) and moves them into the
// audit stream with their hashes in one script, which first checks that the
// head is still the one it chained from. Sealers may run in every replica
// at once: a sealer that lost the race finds the head moved and starts
// again from the new one, and the one that won has made the progress. No
// Redis script hashes: a SHA-256 written in Lua cost ~100 µs per event,
// and was what bounded mass expiry.
//
// Readers never see the pending stream: AuditHead and AuditRange seal what
// is pending first, so an event is readable, chained, as soon as the Apply
// that wrote it has returned. Between the two steps an event is pending for
// milliseconds (the sealer runs after each Apply that audits); the chain's
// anchors outside Redis are what detect rewrites either way.

// sealBatch is how many pending events one seal script moves at most: a
// few hundred microseconds of Redis time.
const sealBatch = 512

// sealScript moves the pending events ARGV[3].. (the first's sequence
// number, then each one's hash) into the audit stream, when the audit head
// is still ARGV[1] (seq) and ARGV[2] (hash). It returns 1 when moved, 0
// when the head has moved meanwhile (another sealer's work), and -1 when
// the pending stream does not hold those events.
// KEYS: 1 pending stream, 2 audit stream, 3 audit head.
var sealScript = goredis.NewScript(`
local seq, hash = 0, ''
local raw = redis.call('GET', KEYS[3])
if raw then
  local head = cjson.decode(raw)
  seq, hash = tonumber(head.seq), head.hash
end
if seq ~= tonumber(ARGV[1]) or hash ~= ARGV[2] then return 0 end
local first, n = tonumber(ARGV[3]), #ARGV - 3
local last = first + n - 1
if first ~= seq + 1 then return -1 end
local pending = redis.call('XRANGE', KEYS[1], '0-' .. string.format('%d', first), '0-' .. string.format('%d', last))
if #pending ~= n then return -1 end
for i = 1, n do
  local h = ARGV[3 + i]
  redis.call('XADD', KEYS[2], pending[i][1], 'e', pending[i][2][2], 'prev', hash, 'hash', h)
  hash = h
end
redis.call('SET', KEYS[3], '{"seq":' .. string.format('%d', last) .. ',"hash":"' .. hash .. '"}')
redis.call('XTRIM', KEYS[1], 'MINID', '0-' .. string.format('%d', last + 1))
return 1
`)

// seal chains every event pending when it starts and returns the audit
// head after them. The replica's sealers take turns (mu); other replicas'
// may race, which costs a retry, never an event.
func (s *Store) seal(ctx context.Context) (core.AuditHead, error) {
	s.sealer.mu.Lock()
	defer s.sealer.mu.Unlock()
	for {
		head, pending, err := s.readPending(ctx)
		if err != nil || len(pending) == 0 {
			return head, err
		}
		args := make([]any, 0, 3+len(pending))
		args = append(args, head.Seq, head.Hash, head.Seq+1)
		prev := head.Hash
		for i, m := range pending {
			seq := head.Seq + 1 + int64(i)
			if m.ID != "0-"+strconv.FormatInt(seq, 10) {
				return head, fmt.Errorf("redis audit: pending event %s where event %d was due: the pending audit stream has a gap", m.ID, seq)
			}
			raw, ok := m.Values["e"].(string)
			if !ok {
				return head, fmt.Errorf("redis audit: pending entry %s has no event", m.ID)
			}
			sum := sha256.Sum256([]byte(raw))
			prev = core.ChainHash(prev, seq, hex.EncodeToString(sum[:]))
			args = append(args, prev)
		}
		res, err := s.runWrite(ctx, sealScript, []string{s.keys.auditPending(), s.keys.audit(), s.keys.auditHead()}, args...)
		if err != nil {
			return head, fmt.Errorf("redis audit seal: %w", err)
		}
		if n, _ := res.(int64); n == -1 {
			return head, fmt.Errorf("redis audit seal: the pending events after %d changed while being sealed", head.Seq)
		}
	}
}

// readPending reads the audit head and the first pending events in one
// transaction, so that the events follow that head unless the stream is
// damaged: a seal moves events and the head together.
func (s *Store) readPending(ctx context.Context) (core.AuditHead, []goredis.XMessage, error) {
	var headCmd *goredis.StringCmd
	var pendingCmd *goredis.XMessageSliceCmd
	_, err := s.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		headCmd = p.Get(ctx, s.keys.auditHead())
		pendingCmd = p.XRangeN(ctx, s.keys.auditPending(), "-", "+", sealBatch)
		return nil
	})
	if err != nil && err != goredis.Nil {
		return core.AuditHead{}, nil, fmt.Errorf("redis audit: %w", err)
	}
	head, err := decodeHead(headCmd)
	if err != nil {
		return core.AuditHead{}, nil, err
	}
	return head, pendingCmd.Val(), nil
}

// sealer runs a Store's background seals: after each Apply that audits,
// soon, so that events are chained within milliseconds even when nobody
// reads the audit.
type sealer struct {
	mu      sync.Mutex    // one seal at a time in this process
	start   sync.Once     // the loop starts with the first kick
	wake    chan struct{} // buffered 1: a kick while sealing runs once more after
	done    chan struct{} // closed by Close
	closing sync.Once
	run     func(context.Context) (core.AuditHead, error)
}

// sealGather is how long the background sealer waits after a kick, so that
// the events of a burst of Applies are sealed in one batch.
const sealGather = 5 * time.Millisecond

// sealTimeout bounds one background seal (milliseconds when Redis is
// well), and sealRetry is how long the sealer waits after a failed one
// (Redis unreachable or paused) before it tries again.
const (
	sealTimeout = 2 * time.Second
	sealRetry   = time.Second
)

func newSealer(run func(context.Context) (core.AuditHead, error)) *sealer {
	return &sealer{wake: make(chan struct{}, 1), done: make(chan struct{}), run: run}
}

// kick asks for a seal soon; it never blocks.
func (k *sealer) kick() {
	k.start.Do(func() { go k.loop() })
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

func (k *sealer) loop() {
	for {
		select {
		case <-k.done:
			return
		case <-k.wake:
		}
		select {
		case <-k.done:
			return
		case <-time.After(sealGather):
		}
		ctx, cancel := context.WithTimeout(context.Background(), sealTimeout)
		_, err := k.run(ctx)
		cancel()
		if err != nil {
			// Readers seal too and report the error; here, try again later.
			time.AfterFunc(sealRetry, k.kick)
		}
	}
}

// stop ends the background loop.
func (k *sealer) stop() { k.closing.Do(func() { close(k.done) }) }
