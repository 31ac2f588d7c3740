import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grabJobId, MAX_SLOT, parseGrabJobId, slotOfJobId } from '../../shared/queue/grab-job.js';
import { type LuaCommand, loadLuaCommands } from '../../shared/redis/lua-scripts.js';
import { testRedisUrl } from '../support/env.js';

/**
 * The Lua scripts read a grab's slot from its job id (grabSlot, includes/outcome-store.lua) and the
 * TypeScript side does too (slotOfJobId, shared/queue/grab-job.ts): outcomes are written by one and
 * read by the other, so both must name the same slot, or none, for every id.
 */

/** A script of its own beside the real includes, loaded by the real loader. */
function grabSlotScript(redis: Redis): LuaCommand {
  const dir = mkdtempSync(join(tmpdir(), 'grab-slot-'));
  symlinkSync(fileURLToPath(new URL('../../shared/ledger/lua/includes', import.meta.url)), join(dir, 'includes'));
  writeFileSync(join(dir, 'grab-slot-of.lua'), '-- KEYS: 0\n--- @include "outcome-store"\nreturn grabSlot(ARGV[1])\n');
  return loadLuaCommands(redis, dir, ['grabSlotOf']).grabSlotOf;
}

const produced = (slot: number) => grabJobId({ campaign: 'new-year', instance: 3, pool: 'red-1', user: 'u_42', slot });

/** [job id, the slot it names or undefined]. */
const cases: Array<[string, number | undefined]> = [
  // As `grab produce` makes them: always their slot.
  [produced(0), 0],
  [produced(7), 7],
  [produced(1_000_000), 1_000_000],
  [produced(MAX_SLOT), MAX_SLOT],
  [grabJobId({ campaign: 'c-1', instance: 12, pool: 'p_9', user: '12345', slot: 5 }), 5],
  // As the HTTP API makes them: no slot, even when the user id is all digits.
  [grabJobId({ campaign: 'new-year', instance: 3, pool: 'red-1', user: 'u_42' }), undefined],
  [grabJobId({ campaign: 'new-year', instance: 3, pool: 'red-1', user: '42' }), undefined],
  // Anything else: no slot.
  ['new-year.3.red-1.u_42.7.1', undefined],
  ['new-year.3.red-1.u_42.', undefined],
  ['new-year.3.red-1.u_42.x', undefined],
  ['new-year.3.red-1.u_42.7a', undefined],
  ['new-year.3.red-1.u_42.-1', undefined],
  ['new-year.3.red-1.u_42.+1', undefined],
  ['new-year.3.red-1.u_42.1e3', undefined],
  ['new-year.3.red-1.u_42. 7', undefined],
  ['new-year.3.red-1.u_42.007', undefined],
  ['new-year.3.red-1.u_42.00', undefined],
  [`new-year.3.red-1.u_42.${MAX_SLOT + 1}`, undefined],
  ['new-year.3.red-1.u_42.99999999999999999999', undefined],
  [`new-year.3.red-1.u_42.${'9'.repeat(400)}`, undefined],
  ['new-year..red-1.u_42.7', undefined],
  ['.3.red-1.u_42.7', undefined],
  ['new-year.3.red-1..7', undefined],
  ['new-year.3..u_42.7', undefined],
  ['....7', undefined],
  ['new-year.3.red-1.7', undefined],
  ['7', undefined],
  ['', undefined],
  ['new-year.3.red-1.u_42.7\n', undefined],
  ['new-year.3.red-1.u_42.٣', undefined],
];

describe('the slot of a job id, in TypeScript and in Lua', () => {
  let redis: Redis;
  let grabSlotOf: LuaCommand;
  beforeAll(() => {
    redis = new Redis(testRedisUrl());
    grabSlotOf = grabSlotScript(redis);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it.each(cases)('%j names slot %s', async (jobId, slot) => {
    expect(slotOfJobId(jobId)).toBe(slot);
    // Lua hands the slot on as the text of BITFIELD's #offset: it must be the very number.
    expect(await grabSlotOf([], [jobId])).toBe(slot === undefined ? null : String(slot));
    // The campaign instance's own parse agrees: the same slot, or no grab of it at all.
    const parsed = parseGrabJobId('new-year', 3, jobId);
    if (parsed !== undefined) expect(parsed.slot).toBe(slot);
  });

  it('every produced grab of a pool names its own slot', async () => {
    for (const slot of [1, 9, 10, 99, 100, 65_535, 65_536, 2 ** 29, MAX_SLOT - 1]) {
      expect(slotOfJobId(produced(slot))).toBe(slot);
      expect(await grabSlotOf([], [produced(slot)])).toBe(String(slot));
      expect(parseGrabJobId('new-year', 3, produced(slot))).toEqual({ pool: 'red-1', user: 'u_42', slot });
    }
  });
});
