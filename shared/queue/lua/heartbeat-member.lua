-- KEYS: 2
-- A fleet member says it is alive and learns who else is, and how many shards the queue has now:
-- one round trip, on Redis's clock, so members on hosts whose clocks disagree still agree on who
-- has gone quiet.
--
-- KEYS[1] the members sorted set (member id scored by its last heartbeat, ms)
-- KEYS[2] the queue's recorded shard count (same hash tag)
-- ARGV[1] this member's id, ARGV[2] how long (ms) a member may stay silent before it is dropped
-- Returns {shard count (0 if none is recorded), {every live member id, sorted by id}}.

local member, ttlMs = ARGV[1], tonumber(ARGV[2])
if not ttlMs or ttlMs < 1 then
  return redis.error_reply('ERR member ttl must be a whole number of ms >= 1, got "' .. tostring(ARGV[2]) .. '"')
end
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], nowMs, member)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowMs - ttlMs)
redis.call('PEXPIRE', KEYS[1], ttlMs * 10)
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
table.sort(members)
return {tonumber(redis.call('GET', KEYS[2]) or '0') or 0, members}
