-- KEYS: variable
-- Creates a campaign record and every one of its pools in one step, or changes nothing.
--
-- KEYS[1] the set of campaign ids, KEYS[2] the campaign hash,
--   then for each pool in spec order: its pool hash, its grants hash.
-- ARGV[1] campaign id, ARGV[2] spec JSON, ARGV[3] split, ARGV[4] now (ms),
--   then for each pool: total cents, packets.
-- Returns {'created'}, or {'exists', key} naming the first of the campaign's keys already
-- present (the campaign, or a pool or grants hash a late writer left behind).
--
-- Not Redis Cluster-safe: the pools of a campaign live in different slots. Creation is rare
-- and one atomic step keeps a half-created campaign from ever being visible; on a cluster,
-- create per pool behind a campaign-level guard instead.

for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    return {'exists', KEYS[i]}
  end
end

local split = ARGV[3]
local poolCount = (#KEYS - 2) / 2
redis.call('HSET', KEYS[2], 'spec', ARGV[2], 'split', split, 'created_at_ms', ARGV[4], 'pool_count', poolCount)
redis.call('SADD', KEYS[1], ARGV[1])
for i = 1, poolCount do
  local cents, packets = ARGV[3 + 2 * i], ARGV[4 + 2 * i]
  redis.call('HSET', KEYS[1 + 2 * i],
    'total_cents', cents, 'packets', packets,
    'remaining_cents', cents, 'remaining_packets', packets,
    'version', 0, 'token', '00000000000000000000', 'split', split)
end
return {'created'}
