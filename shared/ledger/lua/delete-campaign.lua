-- KEYS: variable
-- The last step of deleting a campaign instance, once its pools and progress are gone: removes
-- its record (or its pending creation) and the rest of its campaign-slot keys, in one step.
--
-- KEYS[1] the campaign hash, KEYS[2] its pending creation hash, then the instance's other keys
--   in the campaign's slot (its rejected hash, queues set, sources hash)
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
for i = 3, #KEYS do
  redis.call('UNLINK', KEYS[i])
end
return 1
