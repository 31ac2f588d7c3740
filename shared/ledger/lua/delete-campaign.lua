-- KEYS: variable
-- Removes a campaign record, its pool hashes and its grants hashes in one step.
--
-- KEYS[1] the set of campaign ids, KEYS[2] the campaign hash,
--   then every pool hash and grants hash of the campaign.
-- ARGV[1] campaign id, ARGV[2] the created_at_ms read along with the pool ids.
-- Returns 1 if deleted, 0 if the campaign is gone or was re-created since it was read (the
-- keys passed may then not be its keys any more: the caller reads again).
--
-- Not Redis Cluster-safe, like create-campaign.lua.

if redis.call('HGET', KEYS[2], 'created_at_ms') ~= ARGV[2] then
  return 0
end
for i = 2, #KEYS do
  redis.call('UNLINK', KEYS[i])
end
redis.call('SREM', KEYS[1], ARGV[1])
return 1
