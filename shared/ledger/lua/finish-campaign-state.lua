-- KEYS: 1
-- Notes that every pool of a campaign has the state set-campaign-state.lua recorded as `seq`,
-- unless a later change has been recorded since.
--
-- KEYS[1] the campaign hash
-- ARGV[1] the instance, ARGV[2] the seq the pools were given
-- Returns 1 if noted, 0 if the instance is gone or its state changed meanwhile.

local c = redis.call('HMGET', KEYS[1], 'instance', 'state_seq')
if c[1] ~= ARGV[1] or c[2] ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'state_done', '1')
return 1
