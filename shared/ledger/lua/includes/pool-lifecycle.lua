-- The pool's lifecycle as every script that can grant or settle sees it, on the Redis server's
-- clock (never a worker's): 'expired' once the pool is closed, expired, or past its expiry
-- instant; 'paused'; or nil while it is open. Closed and expired come before paused. Also
-- returns the server's time in ms, which dates what the script writes.
local function poolLifecycle(state, expiresAtMs)
  local time = redis.call('TIME')
  local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  if state == 'closed' or state == 'expired' or (expiresAtMs and nowMs >= tonumber(expiresAtMs)) then
    return 'expired', nowMs
  end
  if state == 'paused' then
    return 'paused', nowMs
  end
  return nil, nowMs
end
