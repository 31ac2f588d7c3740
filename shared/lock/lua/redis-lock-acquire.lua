-- Takes the lock if it is free and hands out the next fencing token.
-- KEYS: 2
-- KEYS[1] the lock key, KEYS[2] its fencing counter (same hash tag, so one slot)
-- ARGV[1] the owner's random token, ARGV[2] the lease in milliseconds
-- Returns the fencing token as a zero-padded 20-digit string, or false when the lock is held.
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return false
end
return string.format('%020d', redis.call('INCR', KEYS[2]))
