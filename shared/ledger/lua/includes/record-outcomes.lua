-- Records the outcomes of settled grabs, moving each grab's count from its old outcome to its
-- new one in the pool's and the stripe's counters. Every script that settles grabs records them
-- through this, so the representation of the outcome log lives in one place.
--
-- poolKey, outcomesKey, slotsKey, failuresKey, progressKey: the pool hash, its outcomes hash,
-- outcome slots and failures hash, and its stripe's progress hash (outcomeKeys in
-- outcome-log.ts). A script that includes this includes "outcome-store" before it. argv[from], argv[from + 1], ...: triples of job id, outcome
-- code, reason (for 'f', else empty). Codes: q pending, g granted, s sold out, d duplicate,
-- e expired (closed or past its expiry), f failed.
--
-- A failure never overwrites a settled outcome, and nothing overwrites granted: a grab that was
-- granted stays granted whatever a later or stale delivery of its job finds. Settling a grab
-- clears its failure.
local function recordOutcomes(poolKey, outcomesKey, slotsKey, failuresKey, progressKey, argv, from)
  local moves = {}
  local failuresKept = redis.call('EXISTS', failuresKey) == 1
  for i = from, #argv, 3 do
    local jobId, code, reason = argv[i], argv[i + 1], argv[i + 2]
    local old = getOutcome(outcomesKey, slotsKey, jobId)
    local settled = old and old ~= 'q' and old ~= 'f'
    -- Granted is final: the grant stays, so a stale delivery (one that lost its job lock, read
    -- the pool before the grant and saw it sold out) must not record anything else over it.
    if not (code == 'f' and settled) and old ~= 'g' then
      if old ~= code then
        setOutcome(outcomesKey, slotsKey, jobId, code)
        tallyMove(moves, old, code)
      end
      if code == 'f' then
        redis.call('HSET', failuresKey, jobId, reason)
        failuresKept = true
      elseif failuresKept then
        redis.call('HDEL', failuresKey, jobId)
      end
    end
  end
  addCounts(poolKey, progressKey, moves)
end
