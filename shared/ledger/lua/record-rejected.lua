-- KEYS: 2
-- Records a grab that named no pool of a campaign instance, with the reason.
--
-- KEYS[1] the campaign hash, KEYS[2] the instance's rejected hash
-- ARGV[1] the instance, ARGV[2] job id, ARGV[3] reason
-- Returns 1, or 0 if that instance is gone (deleted, or re-created): then nothing is written.

if redis.call('HGET', KEYS[1], 'instance') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
