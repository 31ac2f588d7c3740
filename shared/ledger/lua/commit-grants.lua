-- KEYS: 7
-- The fenced, versioned batch commit of a lock holder's grants to one pool, and the outcomes of
-- the batch's grabs, recorded in the same step when the commit succeeds.
--
-- KEYS[1] pool hash, KEYS[2] grants hash, KEYS[3] claims list (users in grant order),
--   KEYS[4] outcomes hash, KEYS[5] outcome slots, KEYS[6] failures hash, KEYS[7] the stripe's
--   progress hash
-- ARGV[1] the holder's fencing token (20 zero-padded digits), ARGV[2] the pool version the
--   grants were computed from, ARGV[3] the number of grants, then one triple per grant: user,
--   cents, job id; then one triple per settled grab to record: job id, outcome code, reason
--   (see includes/record-outcomes.lua). Grants are dated on the Redis server's clock, the clock
--   the close and expiry checks use.
-- Returns one of
--   {'no_pool'}
--   {'expired'}                  the pool is closed, or expired on the Redis server's clock: no
--                                grant may land after its close instant
--   {'paused'}                   the pool is paused: the grabs wait until it is resumed
--   {'fenced', stored token}     a holder with a higher token has written: this one lost the lock
--   {'stale', stored version}    the pool changed since the holder read it: read again, recompute
--   {'held', user, grant record} the user already holds a grant the holder did not know of (it
--                                computed from a balance it remembered, without reading the
--                                users' grants): read them, recompute
--   {'ok', version}
-- An invalid batch is an error reply. Nothing changes unless the reply is 'ok'.
--
-- The fence alone is not enough: an old holder's write can land after a new holder's read but
-- before its write, with a token the pool has not seen yet. The version check refuses the new
-- holder's commit then, so it recomputes from the balance the old holder left.

local GRANT_SLICE = 1000
local token, expectedVersion, grantCount = ARGV[1], ARGV[2], tonumber(ARGV[3])
if not string.match(token, '^%d+$') or #token ~= 20 then
  return redis.error_reply('ERR fencing token must be 20 decimal digits, got "' .. token .. '"')
end
local outcomesFrom = 4 + 3 * (grantCount or 0)
if not grantCount or grantCount < 0 or grantCount % 1 ~= 0 or #ARGV < outcomesFrom - 1 or (#ARGV - outcomesFrom + 1) % 3 ~= 0 then
  return redis.error_reply('ERR expected a grant count, that many user, cents, job id triples, then job id, '
    .. 'outcome, reason triples')
end

--- @include "pool-lifecycle"
--- @include "outcome-store"
--- @include "record-outcomes"

local pool = redis.call('HMGET', KEYS[1], 'remaining_cents', 'remaining_packets', 'version', 'token', 'state',
  'expires_at_ms')
if not pool[1] then
  return {'no_pool'}
end
local lifecycle, nowMs = poolLifecycle(pool[5], pool[6])
if lifecycle then
  return {lifecycle}
end
-- Tokens are uint64: compared as equal-width digit strings, never as Lua numbers (doubles).
if token < pool[4] then
  return {'fenced', pool[4]}
end
if expectedVersion ~= pool[3] then
  return {'stale', pool[3]}
end

-- Validate every grant before writing anything.
local remainingCents, remainingPackets = tonumber(pool[1]), tonumber(pool[2])
local newRecords, newUsers = {}, {}
local spentCents = 0
for i = 4, outcomesFrom - 1, 3 do
  local user, centsText, jobId = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if newRecords[user] then
    return redis.error_reply('ERR user "' .. user .. '" appears twice in one batch')
  end
  local existing = redis.call('HGET', KEYS[2], user)
  if existing then
    return {'held', user, existing}
  end
  -- Canonical digits only: the text is stored as given, and cents below 2^53 are exact doubles.
  if not string.match(centsText, '^[1-9]%d*$') then
    return redis.error_reply('ERR grant to user "' .. user .. '": cents must be a whole number >= 1, got "' .. centsText .. '"')
  end
  spentCents = spentCents + tonumber(centsText)
  table.insert(newUsers, user)
  local packetsLeft = remainingPackets - #newUsers
  if packetsLeft < 0 then
    return redis.error_reply('ERR more grants than the ' .. remainingPackets .. ' packets left')
  end
  -- Every packet still unclaimed needs at least 1 cent of what is left.
  if remainingCents - spentCents < packetsLeft then
    return redis.error_reply('ERR grants overspend: ' .. string.format('%.0f', spentCents) .. ' cents granted of '
      .. pool[1] .. ' left would leave less than 1 cent for each of the ' .. packetsLeft .. ' packets after them')
  end
  newRecords[user] = centsText .. '|' .. token .. '|' .. string.format('%.0f', nowMs) .. '|' .. jobId
end

if #newUsers > 0 then
  -- A few calls per batch, not one per grant; in slices, as unpack() is bounded by Lua's stack.
  for first = 1, #newUsers, GRANT_SLICE do
    local users, fields = {}, {}
    for i = first, math.min(first + GRANT_SLICE - 1, #newUsers) do
      local user = newUsers[i]
      table.insert(users, user)
      table.insert(fields, user)
      table.insert(fields, newRecords[user])
    end
    redis.call('HSET', KEYS[2], unpack(fields))
    redis.call('RPUSH', KEYS[3], unpack(users))
  end
  -- The luckiest grant: replaced only by more cents, so a tie keeps the earliest.
  local luckyCents = tonumber(redis.call('HGET', KEYS[1], 'lucky_cents') or '0')
  for _, user in ipairs(newUsers) do
    local centsText = string.match(newRecords[user], '^%d+')
    local cents = tonumber(centsText)
    if cents > luckyCents then
      luckyCents = cents
      redis.call('HSET', KEYS[1], 'lucky_user', user, 'lucky_cents', centsText)
    end
  end
  redis.call('HINCRBY', KEYS[1], 'remaining_cents', string.format('%.0f', -spentCents))
  -- The flag admit.lua reads: this step took the last packet.
  if redis.call('HINCRBY', KEYS[1], 'remaining_packets', -#newUsers) == 0 then
    redis.call('HSET', KEYS[1], 'sold_out', 1)
  end
  redis.call('HSET', KEYS[1], 'token', token)
end
recordOutcomes(KEYS[1], KEYS[4], KEYS[5], KEYS[6], KEYS[7], ARGV, outcomesFrom)
if #newUsers > 0 then
  return {'ok', redis.call('HINCRBY', KEYS[1], 'version', 1)}
end
return {'ok', pool[3]}
