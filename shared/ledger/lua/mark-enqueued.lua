-- KEYS: 4
-- Records grabs as enqueued (pending) in their pool's outcome log, each job id once however
-- often it is sent: what `grab wait` and `grab report` expect an outcome for.
--
-- KEYS[1] pool hash, KEYS[2] outcomes hash, KEYS[3] outcome slots, KEYS[4] the stripe's
--   progress hash
-- ARGV job ids
-- Returns how many job ids were new, or -1 if there is no such pool (the campaign instance was
-- deleted): then nothing is written.
--
-- The producer marks a chunk after BullMQ has taken it. A worker that settles a grab before it
-- is marked records its outcome from nothing, so the grab is counted exactly once either way.

--- @include "outcome-store"

if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
local added = 0
for i = 1, #ARGV do
  if not getOutcome(KEYS[2], KEYS[3], ARGV[i]) then
    setOutcome(KEYS[2], KEYS[3], ARGV[i], 'q')
    added = added + 1
  end
end
addCounts(KEYS[1], KEYS[4], {q = added})
return added
