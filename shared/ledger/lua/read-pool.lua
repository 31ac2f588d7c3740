-- KEYS: 2
-- Reads a pool's balance and the grants some users already hold, in one round trip.
--
-- KEYS[1] pool hash, KEYS[2] grants hash
-- ARGV user ids
-- Returns false if there is no such pool, else {remaining_cents, remaining_packets, version,
-- token, closed (1 if the pool is closed or past its expiry on the Redis server's clock, else
-- 0), then for each user the grant record "cents|token|atMs|jobId" or false}.

local pool = redis.call('HMGET', KEYS[1], 'remaining_cents', 'remaining_packets', 'version', 'token', 'state',
  'expires_at_ms')
if not pool[1] then
  return false
end
local closed = 0
if pool[5] == 'closed' or pool[5] == 'expired' then
  closed = 1
elseif pool[6] then
  local time = redis.call('TIME')
  if tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) >= tonumber(pool[6]) then
    closed = 1
  end
end
local reply = {pool[1], pool[2], pool[3], pool[4], closed}
for i = 1, #ARGV do
  reply[5 + i] = redis.call('HGET', KEYS[2], ARGV[i])
end
return reply
