-- Renews the lease only if this owner still holds the lock.
-- KEYS: 1
-- KEYS[1] the lock key
-- ARGV[1] the owner's random token, ARGV[2] the new lease in milliseconds
-- Returns 1 when renewed, 0 when the lock was no longer ours.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
