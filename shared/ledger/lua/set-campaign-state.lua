-- KEYS: 1
-- Records the state an operator (or the expiry) wants a campaign in, before its pools are
-- changed one by one: the first step of every campaign-wide lifecycle change, so a change cut
-- short is found and finished by running it again (or by a worker's sweep).
--
-- KEYS[1] the campaign hash
-- ARGV[1] the instance, ARGV[2] the state wanted: open, paused, closed or expired
-- Returns {'gone'} if that instance is gone, else {status, state, seq, state_at_ms, done}:
--   status 'changed' (recorded now), 'unchanged' (it was in that state already), 'refused'
--   (closed and expired are final), 'not_due' (expired was asked before the expiry instant);
--   state, seq and state_at_ms as recorded after the call; done '1' once every pool has it
--   (finish-campaign-state.lua), '0' while pools still need it.
-- A campaign past its expiry instant on the Redis server's clock is recorded expired first,
-- whatever was asked: its pools stopped granting at that instant.

local c = redis.call('HMGET', KEYS[1], 'instance', 'state', 'state_seq', 'state_at_ms', 'state_done', 'expires_at_ms')
if c[1] ~= ARGV[1] then
  return {'gone'}
end
local state, seq, at, done = c[2] or 'open', tonumber(c[3] or '0'), c[4] or '', c[5] or '1'
local wanted = ARGV[2]
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local final = state == 'closed' or state == 'expired'

local function record(newState, newAt)
  state, seq, at, done = newState, seq + 1, newAt, '0'
  redis.call('HSET', KEYS[1], 'state', state, 'state_seq', seq, 'state_at_ms', at, 'state_done', done)
end

local status
if not final and c[6] and nowMs >= tonumber(c[6]) then
  record('expired', c[6])
  status = wanted == 'expired' and 'changed' or 'refused'
elseif wanted == state then
  status = 'unchanged'
elseif final then
  status = 'refused'
elseif wanted == 'expired' then
  status = 'not_due'
else
  record(wanted, string.format('%.0f', nowMs))
  status = 'changed'
end
return {status, state, seq, at, done}
