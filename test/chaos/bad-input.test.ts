/**
 * Chaos scenario 7: bad input. Malformed grab jobs pushed straight into the queue, invalid
 * campaign specs through the CLI, and garbage sent to a worker's metrics port. Nothing crashes
 * (the same worker processes still serve /healthz), every bad job ends rejected, no balance moves,
 * and the good grabs around them settle as usual.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrabJob } from '../../shared/queue/grab-job.js';
import { ShardedQueue } from '../../shared/queue/sharded-queue.js';
import { loadSettings } from '../../shared/config/settings.js';
import { grab } from '../support/cli.js';
import { privateRedis } from '../support/private-redis.js';
import { checkCampaign } from '../support/chaos-checker.js';
import { healthz, recordRow, scale, startChaosFleet } from '../support/chaos.js';

const server = privateRedis({ appendonly: true });
let redis: Redis;
let queue: ShardedQueue;
beforeAll(async () => {
  redis = new Redis(server.url);
  queue = await ShardedQueue.open('grab', loadSettings({}).queueShards, redis);
});
afterAll(async () => {
  await queue?.close();
  redis?.disconnect();
});

const specDir = mkdtempSync(join(tmpdir(), 'grab-chaos-specs-'));
afterAll(() => rmSync(specDir, { recursive: true, force: true }));
function specFile(name: string, text: string): string {
  const path = join(specDir, name);
  writeFileSync(path, text);
  return path;
}

/** Sends raw bytes and collects whatever comes back until the server closes or 2 s pass. */
function raw(port: number, payload: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = () => {
      socket.destroy();
      resolve(reply);
    };
    socket.setTimeout(2000, done);
    socket.on('connect', () => socket.write(payload, () => socket.end()));
    socket.on('data', (d) => (reply += d.toString('latin1')));
    socket.on('error', done);
    socket.on('close', done);
  });
}

describe('chaos 7: bad input', () => {
  it('malformed, hostile and oversized jobs end rejected and change no balance; the good ones settle', {
    timeout: scale(90_000, 300_000),
  }, async () => {
    const started = Date.now();
    const id = `chaos-bad-${randomUUID().slice(0, 8)}`;
    const created = await grab(
      ['campaign', 'create', '--id', id, '--pools', '2', '--packets', '100', '--amount-cents', '10000'],
      server.env,
    );
    expect(created.code, created.stderr).toBe(0);
    const huge = 'x'.repeat(1 << 20);
    const copies = scale(1, 20);
    const bad: unknown[] = [];
    for (let c = 0; c < copies; c++) {
      bad.push(
        { campaign: id, pool: 'p1' }, // missing user
        { campaign: id, user: `m${c}` }, // missing pool
        { campaign: id, pool: 'p1', user: 42 }, // wrong type
        { campaign: id, pool: 'p1', user: null },
        { campaign: id, pool: ['p1'], user: 'arr' },
        { campaign: id, pool: { $gt: '' }, user: 'obj' },
        { campaign: id, pool: 'p1', user: 'eve', cents: 1_000_000 }, // extra field
        { campaign: id, pool: 'nope', user: 'bob' }, // unknown pool
        { campaign: id, pool: 'p1', user: huge }, // 1 MB payload
        { campaign: id, pool: huge, user: 'big' },
        { campaign: id, pool: 'p1', user: '../x' }, // hostile ids
        { campaign: id, pool: 'p1', user: 'a:b' },
        { campaign: id, pool: 'p1', user: '{x}' },
        { campaign: id, pool: '../p1', user: 'dots' },
        { campaign: id, pool: 'p1:p2', user: 'colon' },
        { campaign: id, pool: '{p1}', user: 'brace' },
        { campaign: id, pool: 'p1', user: '' },
        { campaign: id, pool: 'p1', user: 'nul\u0000byte' },
        { campaign: id, pool: '12345', user: 'digits' },
      );
    }
    const recordable = bad.length; // each names our campaign, so each gets a rejected outcome under it
    const strays: unknown[] = [
      // no campaign to charge the outcome to: they must still fail, rejected, and touch nothing
      null,
      42,
      'a string',
      [],
      {},
      { campaign: 'no-such-campaign', pool: 'p1', user: 'u1' },
      { campaign: '../x', pool: 'p1', user: 'u1' },
      { campaign: 'a:b', pool: 'p1', user: 'u1' },
      { campaign: '{x}', pool: 'p1', user: 'u1' },
      { campaign: huge, pool: 'p1', user: 'u1' },
    ];
    const goodUsers = scale(1_000, 5_000); // enough to sell out both pools
    // The good grabs: the producer's; then the bad ones pushed straight into the queue.
    const produced = await grab(
      ['produce', '--campaign', id, '--users', String(goodUsers), '--distribution', 'uniform'],
      server.env,
    );
    expect(produced.code, produced.stderr).toBe(0);
    const jobs = await queue.addBulk(
      [...bad, ...strays].map((data, i) => ({
        name: 'grab',
        data: data as GrabJob,
        opts: { jobId: `${id}-bad-${i}` },
      })),
    );

    const fleet = await startChaosFleet(2, ['--concurrency', '20'], server.env);
    const pidsBefore = fleet.workerPids().sort();
    let metricsGarbage = 0;
    try {
      // Garbage at every worker's metrics port while the jobs are being settled.
      for (const port of fleet.ports) {
        const replies = await Promise.all([
          raw(port, Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10])),
          raw(port, 'GARBAGE /metrics HTTP/9.9\r\n\r\n'),
          raw(port, `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Huge: ${'h'.repeat(200_000)}\r\n\r\n`),
          raw(port, 'DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n'),
          raw(port, 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'),
          raw(port, 'GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n'),
          raw(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'),
          raw(port, 'GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: x\r\n\r\nzz\r\n'),
          raw(port, `${'A'.repeat(100_000)}\r\n\r\n`),
        ]);
        metricsGarbage += replies.length;
        expect(replies[3]).toMatch(/^HTTP\/1\.1 405/);
        expect(replies[5]).toMatch(/^HTTP\/1\.1 404/);
        expect(replies[2]).toMatch(/^HTTP\/1\.1 431|^$/);
      }
      const waited = await grab(['wait', '--campaign', id, '--timeout', '60'], server.env);
      expect(waited.code, `${waited.stdout}${waited.stderr}\n${fleet.output().slice(-3000)}`).toBe(0);
      // Nothing crashed: the same worker processes, still serving.
      expect(fleet.workerPids().sort()).toEqual(pidsBefore);
      for (const port of fleet.ports) expect(await healthz(port)).toBe(true);
      // Every stray job failed as rejected, without retries, too.
      const until = Date.now() + 20_000;
      for (const job of jobs) {
        let state = await job.getState();
        while (state !== 'failed' && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 100));
          state = await job.getState();
        }
        expect(state, `job ${job.id}`).toBe('failed');
        const failed = await queue.shardFor(job.data).getJob(job.id!);
        expect(failed!.failedReason).toMatch(/^rejected: /);
        expect(failed!.attemptsMade).toBe(1);
      }
    } finally {
      expect(await fleet.stop()).toBe(0);
    }

    const check = await checkCampaign({
      campaign: id,
      env: server.env,
      expectedGrabs: goodUsers + recordable,
    });
    expect(check.violations).toEqual([]);
    expect(check.report.outcomes.rejected).toBe(recordable);
    // The good grabs granted every packet, exactly as if no bad job had been there; none of the
    // bad users holds a grant.
    expect(check.report.outcomes.granted).toBe(Math.min(goodUsers, 200));
    const exported = await grab(['export', '--campaign', id], server.env);
    const users = exported.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { user: string }).user);
    expect(users.every((u) => /^u\d+$/.test(u))).toBe(true);
    // The stray campaigns were never created.
    expect(await redis.exists('grab:campaign:{no-such-campaign}', 'grab:campaign:{../x}')).toBe(0);

    recordRow(
      {
        scenario: '7. bad input (jobs, specs, metrics port)',
        grabs: goodUsers + bad.length + strays.length,
        faults: `${bad.length + strays.length} bad jobs, ${metricsGarbage} junk requests`,
        fencedWrites: '–',
        recovery: 'no crash',
        startedAt: started,
      },
      check,
    );
  });

  it.concurrent.each([
    [['--id', 'x', '--pools', '1', '--packets', '0', '--amount', '1'], /packets/],
    [['--id', 'x', '--pools', '1', '--packets', '1', '--amount', '1.234'], /more than two decimals/],
    [['--id', 'x', '--pools', '1', '--packets', '1', '--amount', '-1'], /amount/],
    [['--id', 'x', '--pools', '1', '--packets', '1', '--amount', 'NaN'], /amount/],
    [['--id', 'x', '--pools', '1', '--packets', '1', '--amount', '1e3'], /amount/],
    [['--id', 'x', '--pools', '1', '--packets', '500', '--amount', '1.00'], /at least 500 cents/],
    [['--id', 'x', '--pools', '1', '--packets', '1', '--amount-cents', '99999999999999999999'], /amount-cents/],
    [['--id', '../x', '--pools', '1', '--packets', '1', '--amount', '1'], /--id/],
    [['--id', 'a:b', '--pools', '1', '--packets', '1', '--amount', '1'], /--id/],
    [['--id', '{x}', '--pools', '1', '--packets', '1', '--amount', '1'], /--id/],
    [['--id', 'x'.repeat(65), '--pools', '1', '--packets', '1', '--amount', '1'], /--id/],
    [['--id', 'x', '--pools', '-1', '--packets', '1', '--amount', '1'], /--pools/],
    [['--id', 'x', '--pools', '1.5', '--packets', '1', '--amount', '1'], /--pools/],
    [['--id', 'x', '--pools', '1', '--packets', '1', '--amount', '1', '--split', 'evil'], /--split/],
    [['--file', '/nonexistent/spec.yaml'], /cannot read spec file/],
    [['--file', specFile('bad-pool-id.yaml', 'id: x\npools:\n  - { id: "../p", amount: "1", packets: 1 }\n')], /id/],
    [
      [
        '--file',
        specFile(
          'dup-pools.yaml',
          'id: x\npools:\n  - { id: p, amount: "1", packets: 1 }\n  - { id: p, amount: "1", packets: 1 }\n',
        ),
      ],
      /p/,
    ],
    [['--file', specFile('no-pools.json', '{"id":"x","pools":[]}')], /pools/],
    [['--file', specFile('not-yaml.yaml', '{{{: : :\n\t- ]')], /spec/],
    [
      ['--file', specFile('types.json', '{"id":"x","pools":[{"id":"p","amountCents":"lots","packets":true}]}')],
      /amount|packets/,
    ],
  ])('refuses the invalid campaign spec %j with exit 2 and a clear message', async (args, message) => {
    const result = await grab(['campaign', 'create', ...args], server.env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // a message, not a stack trace
  });
});
