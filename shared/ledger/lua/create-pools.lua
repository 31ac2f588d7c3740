-- KEYS: variable
-- Writes pools of a pending campaign creation (see begin-campaign.lua), all of one stripe, so
-- one slot. A pool already written (by a creation cut short and run again) stays as it is.
--
-- KEYS: the pool hashes (the rest of each pool's keys start empty)
-- ARGV[1] split, ARGV[2] the expiry instant (ms) or '', then for each pool: total cents, packets
-- Returns how many pools it wrote.

local split, expiresAt = ARGV[1], ARGV[2]
local written = 0
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    local cents, packets = ARGV[1 + 2 * i], ARGV[2 + 2 * i]
    redis.call('HSET', KEYS[i],
      'total_cents', cents, 'packets', packets,
      'remaining_cents', cents, 'remaining_packets', packets,
      'version', 0, 'token', '00000000000000000000', 'split', split)
    if expiresAt ~= '' then
      redis.call('HSET', KEYS[i], 'expires_at_ms', expiresAt)
    end
    written = written + 1
  end
end
return written
