-- Where a grab's outcome code is kept. A grab `grab produce` numbered has a slot, the fifth part
-- of its job id ("campaign.instance.pool.user.slot"): its code is 4 bits at that slot of the
-- pool's outcome slots string (BITFIELD u4 #slot), half a byte per grab. A grab handed in over
-- HTTP has no slot: its code is a field of the pool's outcomes hash, under its job id.
-- Codes: q pending, g granted, s sold out, d duplicate, e expired, f failed; false if unknown.
local SLOT_CODES = {'q', 'g', 's', 'd', 'e', 'f'}
local SLOT_VALUES = {q = 1, g = 2, s = 3, d = 4, e = 5, f = 6}

-- MAX_SLOT of shared/queue/grab-job.ts: 4 bits a slot in a Redis string's 2^32 bits.
local MAX_GRAB_SLOT = 1073741823

-- The slot of a job id, as slotOfJobId (shared/queue/grab-job.ts) reads it: the fifth of five
-- non-empty parts, digits without a leading zero, at most MAX_GRAB_SLOT; nil for any other id.
-- test/integration/job-id-slot.test.ts holds both to the same cases.
local function grabSlot(jobId)
  local slot = string.match(jobId, '^[^.]+%.[^.]+%.[^.]+%.[^.]+%.(%d+)$')
  if slot and (slot == '0' or string.sub(slot, 1, 1) ~= '0') and #slot <= 10 and tonumber(slot) <= MAX_GRAB_SLOT then
    return slot
  end
  return nil
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

-- Outcome counts are kept beside the pool (fields "o:<code>") and in its stripe's progress hash
-- (fields "<code>"). A script tallies a batch's moves, a grab's count out of its old code and
-- into its new one, then adds them once per code.
local function tallyMove(moves, old, new)
  if old then
    moves[old] = (moves[old] or 0) - 1
  end
  moves[new] = (moves[new] or 0) + 1
end

local function addCounts(poolKey, progressKey, moves)
  for code, by in pairs(moves) do
    if by ~= 0 then
      redis.call('HINCRBY', poolKey, 'o:' .. code, by)
      redis.call('HINCRBY', progressKey, code, by)
    end
  end
end
