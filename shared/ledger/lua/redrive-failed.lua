-- KEYS: 4
-- Puts failed grabs back to pending before their jobs are enqueued again.
--
-- KEYS[1] pool hash, KEYS[2] outcomes hash, KEYS[3] outcome slots, KEYS[4] the stripe's progress hash
-- ARGV job ids (from the failures hash)
-- Returns how many were failed and are now pending, or -1 if there is no such pool.
--
-- Their failure records stay until a worker settles them, so a re-drive cut short is found and
-- finished by the next one.

--- @include "outcome-store"

if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
local moved = 0
for i = 1, #ARGV do
  if getOutcome(KEYS[2], KEYS[3], ARGV[i]) == 'f' then
    setOutcome(KEYS[2], KEYS[3], ARGV[i], 'q')
    moved = moved + 1
  end
end
addCounts(KEYS[1], KEYS[4], {f = -moved, q = moved})
return moved
