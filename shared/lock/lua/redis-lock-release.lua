-- Deletes the lock only if this owner still holds it (never another owner's lock after our lease ran out).
-- KEYS: 1
-- KEYS[1] the lock key
-- ARGV[1] the owner's random token
-- Returns 1 when deleted, 0 when the lock was no longer ours.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
