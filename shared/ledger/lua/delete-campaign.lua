-- KEYS: variable
-- Removes one instance of a campaign: its record and every key of its pools, in one step.
--
-- KEYS[1] the set of campaign ids, KEYS[2] the campaign hash, then every other key of the
--   instance: its rejected hash, its stripes' progress hashes, and each pool's keys.
-- ARGV[1] campaign id, ARGV[2] the instance read along with the pool ids.
-- Returns 1 if deleted, 0 if the campaign is gone or was re-created since it was read (the
-- keys passed are then not its keys any more: the caller reads again).
--
-- Writers that come late find the pool hash gone and write nothing (see record-outcomes.lua),
-- so nothing of this instance reappears.
--
-- Not Redis Cluster-safe, like create-campaign.lua.

if redis.call('HGET', KEYS[2], 'instance') ~= ARGV[2] then
  return 0
end
for i = 2, #KEYS do
  redis.call('UNLINK', KEYS[i])
end
redis.call('SREM', KEYS[1], ARGV[1])
return 1
