-- KEYS: 2
-- Gives blocks of a pool's outcome slots to the blocks of a source's grabs in that pool: the
-- same source block always gets the same pool block, a new one the next free.
--
-- KEYS[1] pool hash, KEYS[2] the pool's slot blocks hash
-- ARGV "source:block" names
-- Returns the pool block of each, or false if there is no such pool (then nothing is written).

if redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
local blocks = {}
for i = 1, #ARGV do
  local block = redis.call('HGET', KEYS[2], ARGV[i])
  if not block then
    block = redis.call('HINCRBY', KEYS[2], 'next', 1) - 1
    redis.call('HSET', KEYS[2], ARGV[i], block)
  end
  blocks[i] = tonumber(block)
end
return blocks
