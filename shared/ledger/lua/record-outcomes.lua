-- KEYS: 5
-- Records the outcomes of settled grabs in one step (see includes/record-outcomes.lua).
--
-- KEYS[1] pool hash, KEYS[2] outcomes hash, KEYS[3] outcome slots, KEYS[4] failures hash,
--   KEYS[5] the stripe's progress hash
-- ARGV triples: job id, outcome code, reason (for 'f', else empty).
-- Returns 1, or 0 if there is no such pool (the campaign instance was deleted): then nothing
-- is written, so no key of a deleted instance comes back.

--- @include "outcome-store"
--- @include "record-outcomes"

if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
recordOutcomes(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV, 1)
return 1
