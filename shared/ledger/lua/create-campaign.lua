-- KEYS: variable
-- Creates one instance of a campaign: its record and every one of its pools, in one step, or
-- changes nothing.
--
-- KEYS[1] the set of campaign ids, KEYS[2] the campaign hash,
--   then for each pool in spec order: its pool hash (the rest of its keys start empty).
-- ARGV[1] campaign id, ARGV[2] spec JSON, ARGV[3] split, ARGV[4] now (ms), ARGV[5] the
--   instance number, ARGV[6] the stripe count, ARGV[7] the expiry instant (ms) or '', ARGV[8]
--   the expiry as a duration from now (ms) or '', then for each pool: total cents, packets.
-- Returns {'created'}, or {'exists', key} when the campaign id is taken.
--
-- A duration becomes an instant on the Redis server's clock, the clock every script that
-- refuses a grant after expiry reads; the campaign hash and every pool hash keep it.
--
-- Not Redis Cluster-safe: the pools of a campaign live in different slots. Creation is rare
-- and one atomic step keeps a half-created campaign from ever being visible.

if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'exists', KEYS[2]}
end

local expiresAt = ARGV[7]
if ARGV[8] ~= '' then
  local time = redis.call('TIME')
  expiresAt = string.format('%.0f', tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + tonumber(ARGV[8]))
end
local split = ARGV[3]
local poolCount = #KEYS - 2
redis.call('HSET', KEYS[2], 'spec', ARGV[2], 'split', split, 'created_at_ms', ARGV[4],
  'pool_count', poolCount, 'instance', ARGV[5], 'stripes', ARGV[6])
if expiresAt ~= '' then
  redis.call('HSET', KEYS[2], 'expires_at_ms', expiresAt)
end
redis.call('SADD', KEYS[1], ARGV[1])
for i = 1, poolCount do
  local cents, packets = ARGV[7 + 2 * i], ARGV[8 + 2 * i]
  redis.call('HSET', KEYS[2 + i],
    'total_cents', cents, 'packets', packets,
    'remaining_cents', cents, 'remaining_packets', packets,
    'version', 0, 'token', '00000000000000000000', 'split', split)
  if expiresAt ~= '' then
    redis.call('HSET', KEYS[2 + i], 'expires_at_ms', expiresAt)
  end
end
return {'created'}
