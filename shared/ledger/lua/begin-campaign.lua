-- KEYS: 2
-- The first step of creating a campaign, pool by pool (pools live in slots of their own, so no
-- one script can create them all): records the creation as pending, beside the campaign hash.
-- The pools are written next (create-pools.lua), and commit-campaign.lua then makes the pending
-- record the campaign hash: until that last step no grab can find the campaign.
--
-- KEYS[1] the campaign hash, KEYS[2] its pending creation hash (same slot)
-- ARGV[1] spec JSON, ARGV[2] split, ARGV[3] now (ms), ARGV[4] the instance number drawn for this
--   creation, ARGV[5] the stripe count, ARGV[6] the pool count, ARGV[7] the expiry instant (ms)
--   or '', ARGV[8] the expiry as a duration from now (ms) or ''
-- Returns {'exists', KEYS[1]} when the campaign id is taken; {'other', KEYS[2]} when a creation
-- with another spec was cut short; else {'pending', instance, expires_at_ms or ''}: the instance
-- to write the pools of, the one drawn now or that of the same spec's creation cut short.
--
-- A duration becomes an instant on this Redis server's clock, once, so every pool gets the same
-- instant however many masters they live on.

if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'exists', KEYS[1]}
end
local pending = redis.call('HMGET', KEYS[2], 'spec', 'instance', 'expires_at_ms')
if pending[1] then
  if pending[1] ~= ARGV[1] then
    return {'other', KEYS[2]}
  end
  return {'pending', pending[2], pending[3] or ''}
end

local expiresAt = ARGV[7]
if ARGV[8] ~= '' then
  local time = redis.call('TIME')
  expiresAt = string.format('%.0f', tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + tonumber(ARGV[8]))
end
redis.call('HSET', KEYS[2], 'spec', ARGV[1], 'split', ARGV[2], 'created_at_ms', ARGV[3],
  'pool_count', ARGV[6], 'instance', ARGV[4], 'stripes', ARGV[5])
if expiresAt ~= '' then
  redis.call('HSET', KEYS[2], 'expires_at_ms', expiresAt)
end
return {'pending', ARGV[4], expiresAt}
