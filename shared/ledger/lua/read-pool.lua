-- KEYS: 2
-- Reads a pool's balance and the grants some users already hold, in one round trip.
--
-- KEYS[1] pool hash, KEYS[2] grants hash
-- ARGV user ids
-- Returns false if there is no such pool, else {remaining_cents, remaining_packets, version,
-- token, then for each user the grant record "cents|token|atMs|jobId" or false}.

local reply = redis.call('HMGET', KEYS[1], 'remaining_cents', 'remaining_packets', 'version', 'token')
if not reply[1] then
  return false
end
for i = 1, #ARGV do
  reply[4 + i] = redis.call('HGET', KEYS[2], ARGV[i])
end
return reply
