-- KEYS: 1
-- Records which family of lock (zk, redis, atomic, none) settles a campaign instance's grabs,
-- the first time a worker asks, and returns the family recorded.
--
-- KEYS[1] the campaign hash
-- ARGV[1] the instance, ARGV[2] the asking worker's lock family
-- Returns the recorded family, or false if that instance is gone.
--
-- Fencing tokens of different lock services cannot be compared: a ZooKeeper czxid outranks
-- every Redis counter token. A worker of another family must not commit to the campaign.

if redis.call('HGET', KEYS[1], 'instance') ~= ARGV[1] then
  return false
end
redis.call('HSETNX', KEYS[1], 'lock', ARGV[2])
return redis.call('HGET', KEYS[1], 'lock')
