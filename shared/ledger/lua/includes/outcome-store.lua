-- Where a grab's outcome code is kept. A grab `grab produce` numbered has a slot, the fifth part
-- of its job id ("campaign.instance.pool.user.slot"): its code is 4 bits at that slot of the
-- pool's outcome slots string (BITFIELD u4 #slot), half a byte per grab. A grab handed in over
-- HTTP has no slot: its code is a field of the pool's outcomes hash, under its job id.
-- Codes: q pending, g granted, s sold out, d duplicate, e expired, f failed; false if unknown.
local SLOT_CODES = {'q', 'g', 's', 'd', 'e', 'f'}
local SLOT_VALUES = {q = 1, g = 2, s = 3, d = 4, e = 5, f = 6}

local function grabSlot(jobId)
  return string.match(jobId, '^[^.]+%.[^.]+%.[^.]+%.[^.]+%.(%d+)$')
end

local function getOutcome(hashKey, slotsKey, jobId)
  local slot = grabSlot(jobId)
  if not slot then
    return redis.call('HGET', hashKey, jobId)
  end
  return SLOT_CODES[redis.call('BITFIELD', slotsKey, 'GET', 'u4', '#' .. slot)[1]] or false
end

local function setOutcome(hashKey, slotsKey, jobId, code)
  local slot = grabSlot(jobId)
  if not slot then
    redis.call('HSET', hashKey, jobId, code)
  else
    redis.call('BITFIELD', slotsKey, 'SET', 'u4', '#' .. slot, SLOT_VALUES[code])
  end
end
