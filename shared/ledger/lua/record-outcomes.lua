-- KEYS: 4
-- Records the outcomes of settled grabs, moving each grab's count from its old outcome to its
-- new one in the pool's and the stripe's counters, in one step.
--
-- KEYS[1] pool hash, KEYS[2] outcomes hash, KEYS[3] failures hash, KEYS[4] the stripe's
--   progress hash
-- ARGV triples: job id, outcome code, reason (for 'f', else empty). Codes:
--   q pending, g granted, s sold out, d duplicate, e expired (closed or past its expiry), f failed
-- Returns 1, or 0 if there is no such pool (the campaign instance was deleted): then nothing
-- is written, so no key of a deleted instance comes back.
--
-- A failure never overwrites a settled outcome: a grab that was granted stays granted even if
-- a later delivery of its job fails. Settling a grab clears its failure.
--
-- It always writes, even when every outcome was recorded before (a redelivered batch): a WAIT
-- sent behind it then covers everything of this slot written before, by any connection (the
-- grants and outcomes of an earlier, unconfirmed delivery included), not only this call's writes.

if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
for i = 1, #ARGV, 3 do
  local jobId, code, reason = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local old = redis.call('HGET', KEYS[2], jobId)
  local settled = old and old ~= 'q' and old ~= 'f'
  if not (code == 'f' and settled) then
    if old ~= code then
      redis.call('HSET', KEYS[2], jobId, code)
      if old then
        redis.call('HINCRBY', KEYS[1], 'o:' .. old, -1)
        redis.call('HINCRBY', KEYS[4], old, -1)
      end
      redis.call('HINCRBY', KEYS[1], 'o:' .. code, 1)
      redis.call('HINCRBY', KEYS[4], code, 1)
    end
    if code == 'f' then
      redis.call('HSET', KEYS[3], jobId, reason)
    else
      redis.call('HDEL', KEYS[3], jobId)
    end
  end
end
redis.call('HINCRBY', KEYS[1], 'version', 0)
return 1
