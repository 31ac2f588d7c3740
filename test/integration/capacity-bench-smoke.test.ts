/** `grab bench shards` and `grab bench cost` at a tiny size: they run end to end and print what the docs read. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { grab } from '../support/cli.js';
import { freePortRange } from '../support/ports.js';

const env = { GRAB_QUEUE: `capacity-${randomUUID().slice(0, 8)}` };
const parseLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, number>);

describe('capacity benchmarks, smoke size', () => {
  it('shards --json: a row per count; each consumed shard holds a Redis connection of its own', async () => {
    const port = await freePortRange(1);
    const r = await grab(
      ['bench', 'shards', '--shards', '1,5', '--seconds', '1', '--json', '--metrics-port-base', String(port)],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const [one, five] = parseLines(r.stdout);
    expect(one).toMatchObject({ shards: 1 });
    expect(five).toMatchObject({ shards: 5 });
    expect(five!.redisConnections! - one!.redisConnections!).toBeGreaterThanOrEqual(4);
    for (const row of [one!, five!]) {
      expect(row.workerRssMb).toBeGreaterThan(0);
      expect(row.redisMemoryKb).toBeGreaterThan(0);
    }
  }, 120_000);

  it('cost --json: every per-grab input of the capacity model, and a passing report', async () => {
    const port = await freePortRange(1);
    const r = await grab(
      ['bench', 'cost', '--jobs', '300', '--pools', '3', '--workers', '1', '--concurrency', '20', '--json'].concat([
        '--metrics-port-base',
        String(port),
      ]),
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const [result] = parseLines(r.stdout);
    expect(result).toMatchObject({ grabs: 300, pools: 3, workers: 1, reportOk: true });
    for (const key of [
      'redisEnqueueCpuUsPerGrab',
      'redisSettleCpuUsPerGrab',
      'batches',
      'zkWritesPerBatch',
      'workerCpuUsPerGrab',
      'redisBytesPerQueuedGrab',
      'redisBytesPerSettledGrab',
    ])
      expect(result![key], key).toBeGreaterThan(0);
  }, 120_000);
});
