-- apply: commit one core.Change. It first checks every expectation and
-- returns {what, index, have} for the first that fails; only when every
-- check holds does it write, removals before additions, and return {'ok'}.
-- Audit events get their sequence numbers here, where appends are
-- serialized, and go to the pending stream (entry id 0-SEQ) unchained: the
-- sealer (seal.go) chains them in Go and moves them to the audit stream
-- moments later, so no script hashes (Redis Lua has no SHA-256 of its own,
-- and one written in Lua cost ~100 µs per event). The sequence counter
-- starts from the audit head when it does not exist yet.
-- A Change is applied at most once: its random id is remembered for ten
-- minutes, so a script the client re-sends after a lost reply is a no-op.
-- The ids live in one sorted set scored by when they may be forgotten, by
-- the store's clock (ARGV[16]), not Redis's: each write forgets a few
-- whose time has passed, so the set holds ten minutes of Changes.
--
-- Indexes are kept here too, by the same atomic write: per principal the
-- ids of their open requests (openof:P), of all their requests scored by
-- creation (reqof:P), and the keys of their assignments
-- (asgof:P), per role the ids of its requests pending approval
-- (awaiting:R) and the keys of its assignments (asgfor:R). Their names are
-- built from the store's key tag (ARGV[13]), so they share every other
-- key's hash tag and Cluster slot.
--
-- KEYS: 1 holders revision, 2 assignments hash, 3 jobs zset,
--   4 job data hash, 5 pending audit stream, 6 audit sequence counter,
--   7 the applied ids (zset), 8 audit head, then
--   per request its key; per slot its key; per closed window its key and its
--   role's index; per opened window the same; the MFA record's key if any.
-- ARGV: 1-10 the counts of requests, slots, closed windows, opened windows,
--   deleted assignments, put assignments, MFA writes (0 or 1), unscheduled
--   jobs, scheduled jobs and audit events; 11 the expected holders revision
--   ('' for none); 12 the count of completed jobs; 13 the key tag
--   ("{prefix}:"); 14 the caller's deadline in Unix ms ('' for none): a
--   script that runs after it (Redis was paused) returns {'late'} and
--   writes nothing; 15 this Change's random id; 16 the store's clock in
--   Unix ms; then
--   per request: id, expected version, JSON, 1 if open else 0,
--     1 if pending approval else 0, principal, role, created Unix ms;
--   per slot: expected holder, new holder ('' = free);
--   per closed window: principal;
--   per opened window: principal, JSON, TTL in ms;
--   per deleted assignment: key;   per put assignment: key, JSON, principal, role;
--   the MFA write: expected version, JSON;
--   per unscheduled job: id;   per scheduled job: id, score ms (its due
--   time, or its lease end when scheduled claimed), JSON;
--   per audit event: its content JSON;
--   per completed job: id, lease end ms;
--   per alert write: id, expected version, JSON (the alerts hash is then
--   the key before the review part's keys; the number of alerts is what
--   the arguments before the review part's leave).
-- The review part of the Change comes last, apart from the layout above:
-- its JSON is the last argument and its keys are the last keys (see
-- reviewPart in review.go); rk(i) is its i-th key.
local nReq, nSlot = tonumber(ARGV[1]), tonumber(ARGV[2])
local nClose, nOpen = tonumber(ARGV[3]), tonumber(ARGV[4])
local nDelA, nPutA, nMFA = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local nUnsched, nSched, nAudit = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local revExpect = ARGV[11]
local nDone = tonumber(ARGV[12])
local tag = ARGV[13]

local applied = redis.call('ZSCORE', KEYS[7], ARGV[15])
if applied and tonumber(applied) > tonumber(ARGV[16]) then return {'ok'} end
if ARGV[14] ~= '' then
  local now = redis.call('TIME')
  if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > tonumber(ARGV[14]) then
    return {'late'}
  end
end

local kReq = 9
local kSlot = kReq + nReq
local kClose = kSlot + nSlot
local kOpen = kClose + 2 * nClose
local kMFA = kOpen + 2 * nOpen

local aReq = 17
local aSlot = aReq + 8 * nReq
local aClose = aSlot + 2 * nSlot
local aOpen = aClose + nClose
local aDelA = aOpen + 3 * nOpen
local aPutA = aDelA + nDelA
local aMFA = aPutA + 4 * nPutA
local aUnsched = aMFA + 2 * nMFA
local aSched = aUnsched + nUnsched
local aAudit = aSched + 3 * nSched
local aDone = aAudit + nAudit
local aAlert = aDone + 2 * nDone

-- version returns the "version" of a stored JSON record, 0 when absent.
local function version(raw)
  if not raw then return 0 end
  local ok, v = pcall(cjson.decode, raw)
  if ok and type(v) == 'table' and tonumber(v.version) then return tonumber(v.version) end
  return -1
end

local rv = cjson.decode(ARGV[#ARGV])
local function rk(i) return KEYS[#KEYS - rv.nkeys + i] end
local nAlert = (#ARGV - aAlert) / 3 -- what precedes the review part's argument
local kAlerts = #KEYS - rv.nkeys
local function list(t) if type(t) == 'table' then return t end return {} end

-- Checks, in the memory store's order.
for i = 0, nReq - 1 do
  local have = version(redis.call('GET', KEYS[kReq + i]))
  if have ~= tonumber(ARGV[aReq + 8 * i + 1]) then return {'request', i, have} end
end
for i = 0, nSlot - 1 do
  local have = redis.call('GET', KEYS[kSlot + i]) or ''
  if have ~= ARGV[aSlot + 2 * i] then return {'slot', i, have} end
end
if revExpect ~= '' then
  local have = tonumber(redis.call('GET', KEYS[1]) or '0')
  if have ~= tonumber(revExpect) then return {'holders', 0, have} end
end
for i = 0, nAlert - 1 do
  local have = version(redis.call('HGET', KEYS[kAlerts], ARGV[aAlert + 3 * i]))
  if have ~= tonumber(ARGV[aAlert + 3 * i + 1]) then return {'alert', i, have} end
end
if nMFA == 1 then
  local have = version(redis.call('GET', KEYS[kMFA]))
  if have ~= tonumber(ARGV[aMFA]) then return {'mfa', 0, have} end
end
-- A completed job must be held: scored at its lease end, which differs
-- from the due time its data keeps.
for i = 0, nDone - 1 do
  local id, lease = ARGV[aDone + 2 * i], tonumber(ARGV[aDone + 2 * i + 1])
  local score = redis.call('ZSCORE', KEYS[3], id)
  local raw = redis.call('HGET', KEYS[4], id)
  if not score or not raw or tonumber(score) ~= lease or tonumber(cjson.decode(raw).m) == lease then
    return {'job', i, 0}
  end
end
for i, r in ipairs(list(rv.reviews)) do
  local have = version(redis.call('GET', rk(r.k)))
  if have ~= r.e then return {'review', i - 1, have} end
end
for i, it in ipairs(list(rv.items)) do
  local have = version(redis.call('HGET', rk(it.k), it.n))
  if have ~= it.e then return {'item', i - 1, have} end
end

-- Writes.
-- member puts id in (on) or out of the set named key.
local function member(on, key, id)
  if on then redis.call('SADD', key, id) else redis.call('SREM', key, id) end
end
for i = 0, nReq - 1 do
  local a = aReq + 8 * i
  redis.call('SET', KEYS[kReq + i], ARGV[a + 2])
  redis.call('ZADD', tag .. 'reqof:' .. ARGV[a + 5], ARGV[a + 7], ARGV[a])
  member(ARGV[a + 3] == '1', tag .. 'openof:' .. ARGV[a + 5], ARGV[a])
  member(ARGV[a + 4] == '1', tag .. 'awaiting:' .. ARGV[a + 6], ARGV[a])
end
for i = 0, nSlot - 1 do
  local set = ARGV[aSlot + 2 * i + 1]
  if set == '' then
    redis.call('DEL', KEYS[kSlot + i])
  else
    redis.call('SET', KEYS[kSlot + i], set)
  end
end
for i = 0, nClose - 1 do
  redis.call('DEL', KEYS[kClose + 2 * i])
  redis.call('SREM', KEYS[kClose + 2 * i + 1], ARGV[aClose + i])
end
for i = 0, nOpen - 1 do
  local a = aOpen + 3 * i
  redis.call('SET', KEYS[kOpen + 2 * i], ARGV[a + 1], 'PX', ARGV[a + 2])
  redis.call('SADD', KEYS[kOpen + 2 * i + 1], ARGV[a])
end
for i = 0, nDelA - 1 do
  local key = ARGV[aDelA + i]
  local raw = redis.call('HGET', KEYS[2], key)
  if raw then
    local a = cjson.decode(raw)
    redis.call('SREM', tag .. 'asgof:' .. a.principal, key)
    redis.call('SREM', tag .. 'asgfor:' .. a.role, key)
    redis.call('HDEL', KEYS[2], key)
  end
end
for i = 0, nPutA - 1 do
  local a = aPutA + 4 * i
  redis.call('HSET', KEYS[2], ARGV[a], ARGV[a + 1])
  redis.call('SADD', tag .. 'asgof:' .. ARGV[a + 2], ARGV[a])
  redis.call('SADD', tag .. 'asgfor:' .. ARGV[a + 3], ARGV[a])
end
if nClose + nOpen + nDelA + nPutA > 0 then
  redis.call('INCR', KEYS[1])
end
if nMFA == 1 then
  redis.call('SET', KEYS[kMFA], ARGV[aMFA + 1])
end
for i = 0, nDone - 1 do
  redis.call('ZREM', KEYS[3], ARGV[aDone + 2 * i])
  redis.call('HDEL', KEYS[4], ARGV[aDone + 2 * i])
end
for _, a in ipairs(list(rv.lastact)) do
  redis.call('HSET', rk(a.k), a.p, string.format('%d', a.ms))
end
for _, r in ipairs(list(rv.reviews)) do
  redis.call('SET', rk(r.k), r.j)
  if r.open then redis.call('SADD', rk(r.o), r.id) else redis.call('SREM', rk(r.o), r.id) end
end
for _, it in ipairs(list(rv.items)) do
  redis.call('HSET', rk(it.k), it.n, it.j)
  if it.old ~= '' then redis.call('HINCRBY', rk(it.c), it.old, -1) end
  redis.call('HINCRBY', rk(it.c), it.new, 1)
  for _, p in ipairs(list(it.rem)) do
    if redis.call('ZREM', rk(p.s), it.n) == 1 then redis.call('HINCRBY', rk(p.w), p.r, -1) end
  end
  for _, p in ipairs(list(it.add)) do
    if redis.call('ZADD', rk(p.s), tonumber(it.n), it.n) == 1 then redis.call('HINCRBY', rk(p.w), p.r, 1) end
  end
end
for _, k in ipairs(list(rv.delrem)) do
  redis.call('HDEL', rk(rv.removals), k)
end
for _, r in ipairs(list(rv.putrem)) do
  redis.call('HSET', rk(rv.removals), r.k, r.v)
end
for i = 0, nUnsched - 1 do
  redis.call('ZREM', KEYS[3], ARGV[aUnsched + i])
  redis.call('HDEL', KEYS[4], ARGV[aUnsched + i])
end
for i = 0, nSched - 1 do
  local a = aSched + 3 * i
  redis.call('ZADD', KEYS[3], ARGV[a + 1], ARGV[a])
  redis.call('HSET', KEYS[4], ARGV[a], ARGV[a + 2])
end
for i = 0, nAlert - 1 do
  redis.call('HSET', KEYS[kAlerts], ARGV[aAlert + 3 * i], ARGV[aAlert + 3 * i + 2])
end
if nAudit > 0 then
  local seq = tonumber(redis.call('GET', KEYS[6]))
  if not seq then
    local raw = redis.call('GET', KEYS[8])
    seq = raw and tonumber(cjson.decode(raw).seq) or 0
  end
  for i = 0, nAudit - 1 do
    seq = seq + 1
    redis.call('XADD', KEYS[5], '0-' .. string.format('%d', seq), 'e', ARGV[aAudit + i])
  end
  redis.call('SET', KEYS[6], string.format('%d', seq))
end
redis.call('ZADD', KEYS[7], tonumber(ARGV[16]) + 600000, ARGV[15])
local stale = redis.call('ZRANGEBYSCORE', KEYS[7], '-inf', ARGV[16], 'LIMIT', 0, 8)
if #stale > 0 then redis.call('ZREM', KEYS[7], unpack(stale)) end
return {'ok'}
