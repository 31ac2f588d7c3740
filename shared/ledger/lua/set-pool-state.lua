-- KEYS: 1
-- Gives one pool the state its campaign recorded (set-campaign-state.lua); at the close or the
-- expiry, refunds what is left in the same step. Single-slot: it touches the pool hash only.
--
-- KEYS[1] the pool hash
-- ARGV[1] the state: open, paused, closed or expired; ARGV[2] the campaign's seq of that state
-- Returns one of
--   {'no_pool'}
--   {'set', state}               paused or open now
--   {'stale', state}             the pool already has this change or a later one (a sweep
--                                that read the campaign before the operator changed it again)
--   {'not_due'}                  expired was asked before the pool's expiry instant
--   {'refunded', state, cents, packets, refunded_at_ms, closed_at_ms}
--                                closed or expired now: the remaining cents and packets moved
--                                to refunded_cents and refunded_packets, remaining set to 0
--   {'final', state, cents, packets, refunded_at_ms, closed_at_ms}
--                                it was closed or expired already: the refund it recorded then
-- A pool is refunded at most once: closed and expired are final, so sweeps and operators may
-- run this concurrently. The close instant (closed_at_ms) is when the close ran, or the expiry
-- instant for an expired pool (a pool past it is recorded expired even if closed was asked):
-- the grant scripts refuse from that instant on, on the same Redis server clock.

local p = redis.call('HMGET', KEYS[1], 'remaining_cents', 'remaining_packets', 'state', 'state_seq',
  'expires_at_ms', 'refunded_cents', 'refunded_packets', 'refunded_at_ms', 'closed_at_ms')
if not p[1] then
  return {'no_pool'}
end
local state = p[3] or 'open'
if state == 'closed' or state == 'expired' then
  return {'final', state, p[6], p[7], p[8], p[9]}
end
local wanted, seq = ARGV[1], tonumber(ARGV[2])
if wanted == 'open' or wanted == 'paused' then
  if seq <= tonumber(p[4] or '0') then
    return {'stale', state}
  end
  redis.call('HSET', KEYS[1], 'state', wanted, 'state_seq', seq)
  return {'set', wanted}
end

local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local closedAt = string.format('%.0f', nowMs)
if p[5] and nowMs >= tonumber(p[5]) then
  wanted, closedAt = 'expired', p[5]
elseif wanted == 'expired' then
  return {'not_due'}
end
local at = string.format('%.0f', nowMs)
redis.call('HSET', KEYS[1], 'state', wanted, 'state_seq', seq, 'closed_at_ms', closedAt,
  'refunded_cents', p[1], 'refunded_packets', p[2], 'refunded_at_ms', at,
  'remaining_cents', 0, 'remaining_packets', 0)
redis.call('HINCRBY', KEYS[1], 'version', 1)
return {'refunded', wanted, p[1], p[2], at, closedAt}
