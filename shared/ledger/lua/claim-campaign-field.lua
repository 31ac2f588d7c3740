-- KEYS: 1
-- Records a setting every later user of a campaign instance must share, the first time one
-- asks, and returns the value recorded: the family of lock (zk, redis, atomic, none) that
-- settles its grabs, or how the producer picks each user's pool (its slots follow from it).
--
-- KEYS[1] the campaign hash
-- ARGV[1] the instance, ARGV[2] the field, ARGV[3] the asking caller's value
-- Returns the recorded value, or false if that instance is gone.
--
-- Fencing tokens of different lock services cannot be compared: a ZooKeeper czxid outranks
-- every Redis counter token. A worker of another family must not commit to the campaign. A
-- producer run with another distribution would give a slot another user's grab.

if redis.call('HGET', KEYS[1], 'instance') ~= ARGV[1] then
  return false
end
redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3])
return redis.call('HGET', KEYS[1], ARGV[2])
