package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// trimScript trims the audit stream KEYS[1] up to event ARGV[1] (entry id
// 0-SEQ), which must have hash ARGV[2], and records it as the checkpoint
// KEYS[2]. It returns 1 when trimmed (or already trimmed that far), 0 when
// the event is not there with that hash.
var trimScript = goredis.NewScript(`
local cp = redis.call('GET', KEYS[2])
if cp and tonumber(cjson.decode(cp).seq) >= tonumber(ARGV[1]) then return 1 end
local id = '0-' .. ARGV[1]
local e = redis.call('XRANGE', KEYS[1], id, id)
if #e == 0 then return 0 end
local fields = e[1][2]
local hash = nil
for i = 1, #fields, 2 do
  if fields[i] == 'hash' then hash = fields[i + 1] end
end
if hash ~= ARGV[2] then return 0 end
redis.call('XTRIM', KEYS[1], 'MINID', '0-' .. (tonumber(ARGV[1]) + 1))
redis.call('SET', KEYS[2], '{"seq":' .. ARGV[1] .. ',"hash":"' .. ARGV[2] .. '"}')
return 1
`)

// TrimAudit drops the events up to through from the stream, which must
// hold through with its hash (ECONFLICT otherwise), and records through as
// the checkpoint, after which the stream's chain continues. Trimming at or
// before the checkpoint does nothing.
func (s *Store) TrimAudit(ctx context.Context, through core.AuditHead) error {
	if err := live(ctx); err != nil {
		return err
	}
	n, err := s.runWrite(ctx, trimScript, []string{s.keys.audit(), s.keys.auditCheckpoint()}, through.Seq, through.Hash)
	if err != nil {
		return fmt.Errorf("redis trim audit: %w", err)
	}
	if n, _ := n.(int64); n != 1 {
		return core.Errorf(core.ECONFLICT, "Audit event %d is not in the store with hash %s: nothing was trimmed.", through.Seq, through.Hash)
	}
	return nil
}

// AuditCheckpoint returns the last event trimmed, the zero head when none was.
func (s *Store) AuditCheckpoint(ctx context.Context) (core.AuditHead, error) {
	if err := live(ctx); err != nil {
		return core.AuditHead{}, err
	}
	raw, err := s.client.Get(ctx, s.keys.auditCheckpoint()).Bytes()
	if errors.Is(err, goredis.Nil) {
		return core.AuditHead{}, nil
	} else if err != nil {
		return core.AuditHead{}, fmt.Errorf("redis audit checkpoint: %w", err)
	}
	var cp core.AuditHead
	if err := json.Unmarshal(raw, &cp); err != nil {
		return core.AuditHead{}, fmt.Errorf("redis audit checkpoint: %w", err)
	}
	return cp, nil
}
