-- KEYS: 5
-- Admission: the cheap first step for a batch of grabs of one pool, before any lock. A pool that
-- can hand out nothing more settles the grabs here, recording their outcomes in the same step;
-- otherwise it says whether they wait (paused) or go on to the lock path.
--
-- KEYS[1] pool hash, KEYS[2] grants hash, KEYS[3] outcomes hash, KEYS[4] failures hash,
--   KEYS[5] the stripe's progress hash
-- ARGV[1] '1' if the grabs were never enqueued (they are marked pending first, as
--   mark-enqueued.lua does, so they are counted as enqueued and settled), else '0'; then pairs:
--   user, job id.
-- Returns one of
--   {'no_pool'}
--   {'proceed'}                  open, packets left: nothing written, take the lock path
--   {'wait'}                     paused: nothing written, the grabs wait for the resume
--   {'settled', why, then per grab: outcome code, cents or ''}
--                                why is 'expired' (closed, or past its expiry on the Redis
--                                server's clock) or 'sold_out' (the flag commit-grants.lua and
--                                grab-atomic.lua set when they take the last packet). A user who
--                                holds a grant gets it back: 'g' for the job that got it, 'd' for
--                                another; a grab already settled as 's' or 'e' keeps that; the
--                                rest are 'e' or 's'.
-- Closed and expired come before paused, and paused before sold out.

local pool = redis.call('HMGET', KEYS[1], 'state', 'expires_at_ms', 'sold_out', 'remaining_packets')
if not pool[4] then
  return {'no_pool'}
end
local why
if pool[1] == 'closed' or pool[1] == 'expired' then
  why = 'expired'
elseif pool[2] then
  local time = redis.call('TIME')
  if tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) >= tonumber(pool[2]) then
    why = 'expired'
  end
end
if not why then
  if pool[1] == 'paused' then
    return {'wait'}
  end
  if pool[3] ~= '1' then
    return {'proceed'}
  end
  why = 'sold_out'
end

local enqueue = ARGV[1] == '1'
local fallback = why == 'expired' and 'e' or 's'
local reply = {'settled', why}
local function count(code, by)
  redis.call('HINCRBY', KEYS[1], 'o:' .. code, by)
  redis.call('HINCRBY', KEYS[5], code, by)
end
for i = 2, #ARGV, 2 do
  local user, jobId = ARGV[i], ARGV[i + 1]
  local old = redis.call('HGET', KEYS[3], jobId)
  if enqueue and not old then
    redis.call('HSET', KEYS[3], jobId, 'q')
    count('q', 1)
    old = 'q'
  end
  local code, cents = fallback, ''
  local grant = redis.call('HGET', KEYS[2], user)
  if grant then
    local grantCents, grantJob = string.match(grant, '^(%d+)|%d+|%d+|(.*)$')
    code = grantJob == jobId and 'g' or 'd'
    cents = grantCents
  elseif old == 's' or old == 'e' then
    code = old
  end
  if old ~= code then
    redis.call('HSET', KEYS[3], jobId, code)
    if old then
      count(old, -1)
    end
    count(code, 1)
  end
  redis.call('HDEL', KEYS[4], jobId)
  table.insert(reply, code)
  table.insert(reply, cents)
end
return reply
