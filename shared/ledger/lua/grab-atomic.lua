-- KEYS: 3
-- The lock-free grab: checks, computes the packet and deducts it in one atomic step.
--
-- KEYS[1] pool hash, KEYS[2] grants hash, KEYS[3] claims list (users in grant order)
-- ARGV[1] user, ARGV[2] job id, ARGV[3] now (ms), ARGV[4] a random uint32 drawn by the caller
-- Returns {'no_pool'}, {'duplicate', grant record}, {'expired'} (closed, or past its expiry on
-- the Redis server's clock), {'paused'}, {'sold_out'} or {'granted', grant record}.
-- Grants carry token 0: no lock was held.

local user, jobId, nowMs, draw = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local pool = redis.call('HMGET', KEYS[1], 'remaining_cents', 'remaining_packets', 'split', 'state', 'expires_at_ms')
if not pool[1] then
  return {'no_pool'}
end
local existing = redis.call('HGET', KEYS[2], user)
if existing then
  return {'duplicate', existing}
end
-- The lifecycle check of admit.lua and commit-grants.lua: closed and expired come first.
if pool[4] == 'closed' or pool[4] == 'expired' then
  return {'expired'}
end
if pool[5] then
  local time = redis.call('TIME')
  if tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) >= tonumber(pool[5]) then
    return {'expired'}
  end
end
if pool[4] == 'paused' then
  return {'paused'}
end
local remainingCents, remainingPackets, split = tonumber(pool[1]), tonumber(pool[2]), pool[3]
if remainingPackets < 1 then
  return {'sold_out'}
end

-- The formulas of shared/ledger/split.ts. For the random split, `draw % (span + 1)` is slightly
-- biased towards small values (and reaches at most 2^32 - 1 when the span is larger): split.ts
-- rejects biased draws instead. Acceptable here: every amount stays within the same bounds, so
-- the pool still sums exactly and is never overspent; only the distribution differs a little.
local cents
if remainingPackets == 1 then
  cents = remainingCents
elseif split == 'equal' then
  cents = math.floor(remainingCents / remainingPackets)
elseif split == 'random' then
  local span = 2 * math.floor((remainingCents - remainingPackets) / remainingPackets)
  cents = 1 + draw % (span + 1)
else
  return redis.error_reply('ERR pool ' .. KEYS[1] .. ' has unknown split "' .. tostring(split) .. '"')
end

-- %.0f, not tostring: Lua prints large doubles in exponent notation.
local centsText = string.format('%.0f', cents)
local record = centsText .. '|00000000000000000000|' .. nowMs .. '|' .. jobId
redis.call('HSET', KEYS[2], user, record)
-- The claim list, and the luckiest grant: replaced only by more cents, so a tie keeps the earliest.
redis.call('RPUSH', KEYS[3], user)
if cents > tonumber(redis.call('HGET', KEYS[1], 'lucky_cents') or '0') then
  redis.call('HSET', KEYS[1], 'lucky_user', user, 'lucky_cents', centsText)
end
redis.call('HINCRBY', KEYS[1], 'remaining_cents', '-' .. centsText)
-- The flag admit.lua reads: this step took the last packet.
if redis.call('HINCRBY', KEYS[1], 'remaining_packets', -1) == 0 then
  redis.call('HSET', KEYS[1], 'sold_out', 1)
end
redis.call('HINCRBY', KEYS[1], 'version', 1)
return {'granted', record}
