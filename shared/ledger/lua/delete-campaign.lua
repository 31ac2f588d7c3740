-- KEYS: 5
-- The last step of deleting a campaign instance, once its pools and progress are gone: removes
-- its record (or its pending creation) and the rest of its campaign-slot keys, in one step.
--
-- KEYS[1] the campaign hash, KEYS[2] its pending creation hash, KEYS[3] the instance's rejected
--   hash, KEYS[4] its queues set, KEYS[5] its user sources hash (all in the campaign's slot)
-- ARGV[1] the instance read along with the pool ids
-- Returns 1 if deleted, 0 if neither the record nor a pending creation is that instance (the
-- campaign was re-created since it was read: the caller reads again).
--
-- Writers that come late find the pool hash gone and write nothing (see record-outcomes.lua),
-- so nothing of this instance reappears.

local found = false
for i = 1, 2 do
  if redis.call('HGET', KEYS[i], 'instance') == ARGV[1] then
    redis.call('UNLINK', KEYS[i])
    found = true
  end
end
if not found then
  return 0
end
redis.call('UNLINK', KEYS[3], KEYS[4], KEYS[5])
return 1
