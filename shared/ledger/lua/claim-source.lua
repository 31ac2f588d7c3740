-- KEYS: 2
-- Numbers a user source of a campaign instance: the same name always gets the same number, a
-- new one the next.
--
-- KEYS[1] the campaign hash, KEYS[2] the instance's sources hash
-- ARGV[1] the instance, ARGV[2] the source's name ("distribution:first user")
-- Returns the source's number, or false if that instance is gone (then nothing is written).

if redis.call('HGET', KEYS[1], 'instance') ~= ARGV[1] then
  return false
end
local number = redis.call('HGET', KEYS[2], ARGV[2])
if not number then
  number = redis.call('HLEN', KEYS[2])
  redis.call('HSET', KEYS[2], ARGV[2], number)
end
return tonumber(number)
