-- applyall: commit a batch of Changes in one script, each on its own as
-- apply.lua commits one: a Change whose checks fail is not written, and
-- the Changes after it are applied all the same. Returns one result per
-- Change, as apply returns it, then the audit head as it stands after the
-- batch (its JSON, '' while the log is empty), so that the writer chains
-- its next events from it.
-- KEYS: every Change's keys, one Change after another.
-- ARGV: 1 the number of Changes n; 2..2n+1 per Change the number of its
--   keys and of its arguments; then every Change's arguments, one Change
--   after another.
local n = tonumber(ARGV[1])
local out = {}
local k, a = 0, 1 + 2 * n
local head
for i = 1, n do
  local nk, na = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local keys, args = {}, {}
  for j = 1, nk do keys[j] = KEYS[k + j] end
  for j = 1, na do args[j] = ARGV[a + j] end
  k, a = k + nk, a + na
  head = keys[6]
  out[i] = apply(keys, args)
end
out[n + 1] = redis.call('GET', head) or ''
return out
