-- KEYS: 2
-- Reads a pool's balance and the grants some users already hold, in one round trip.
--
-- KEYS[1] pool hash, KEYS[2] grants hash
-- ARGV user ids
-- Returns false if there is no such pool, else {remaining_cents, remaining_packets, version,
-- token, closed (1 if the pool is closed or past its expiry on the Redis server's clock, else
-- 0), then for each user the grant record "cents|token|atMs|jobId" or false}.

--- @include "pool-lifecycle"

local pool = redis.call('HMGET', KEYS[1], 'remaining_cents', 'remaining_packets', 'version', 'token', 'state',
  'expires_at_ms')
if not pool[1] then
  return false
end
local closed = poolLifecycle(pool[5], pool[6]) == 'expired' and 1 or 0
local reply = {pool[1], pool[2], pool[3], pool[4], closed}
for i = 1, #ARGV do
  reply[5 + i] = redis.call('HGET', KEYS[2], ARGV[i])
end
return reply
