-- KEYS: 2
-- The last step of creating a campaign: once every pool is written, the pending creation
-- becomes the campaign hash, in one step. From then on grabs find the campaign.
--
-- KEYS[1] the campaign hash, KEYS[2] its pending creation hash (same slot)
-- ARGV[1] the instance whose pools were written
-- Returns 1 if committed, 0 if that pending creation is gone (deleted meanwhile).

if redis.call('HGET', KEYS[2], 'instance') ~= ARGV[1] or redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('RENAME', KEYS[2], KEYS[1])
return 1
