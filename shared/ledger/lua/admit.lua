-- KEYS: 6
-- Admission: the cheap first step for a batch of grabs of one pool, before any lock. A pool that
-- can hand out nothing more settles the grabs here, recording their outcomes in the same step;
-- otherwise it says whether they wait (paused) or go on to the lock path.
--
-- KEYS[1] pool hash, KEYS[2] grants hash, KEYS[3] outcomes hash, KEYS[4] outcome slots,
--   KEYS[5] failures hash, KEYS[6] the stripe's progress hash
-- ARGV[1] '1' if the grabs were never enqueued (they are marked pending first, as
--   mark-enqueued.lua does, so they are counted as enqueued and settled), else '0'; then pairs:
--   user, job id.
-- Returns one of
--   {'no_pool'}
--   {'proceed'}                  open, packets left: nothing written, take the lock path
--   {'wait'}                     paused: nothing written, the grabs wait for the resume
--   {'settled', why, added, then per grab: outcome code, cents or ''}
--                                why is 'expired' (closed, or past its expiry on the Redis
--                                server's clock) or 'sold_out' (the flag commit-grants.lua and
--                                grab-atomic.lua set when they take the last packet). A user who
--                                holds a grant gets it back: 'g' for the job that got it, 'd' for
--                                another; a grab already settled as 's' or 'e' keeps that; the
--                                rest are 'e' or 's'. added: how many grabs were marked
--                                pending here for the first time (0 unless ARGV[1] is '1').
-- Closed and expired come before paused, and paused before sold out.

--- @include "pool-lifecycle"
--- @include "outcome-store"

local pool = redis.call('HMGET', KEYS[1], 'state', 'expires_at_ms', 'sold_out', 'remaining_packets')
if not pool[4] then
  return {'no_pool'}
end
local why = poolLifecycle(pool[1], pool[2])
if why == 'paused' then
  return {'wait'}
end
if not why then
  if pool[3] ~= '1' then
    return {'proceed'}
  end
  why = 'sold_out'
end

local enqueue = ARGV[1] == '1'
local fallback = why == 'expired' and 'e' or 's'
local reply = {'settled', why, 0}
local added = 0
local moves = {}
local failuresKept = redis.call('EXISTS', KEYS[5]) == 1
for i = 2, #ARGV, 2 do
  local user, jobId = ARGV[i], ARGV[i + 1]
  local old = getOutcome(KEYS[3], KEYS[4], jobId)
  if enqueue and not old then
    setOutcome(KEYS[3], KEYS[4], jobId, 'q')
    tallyMove(moves, nil, 'q')
    added = added + 1
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
    setOutcome(KEYS[3], KEYS[4], jobId, code)
    tallyMove(moves, old, code)
  end
  if failuresKept then
    redis.call('HDEL', KEYS[5], jobId)
  end
  table.insert(reply, code)
  table.insert(reply, cents)
end
addCounts(KEYS[1], KEYS[6], moves)
reply[3] = added
return reply
