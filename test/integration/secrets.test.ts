/** Secrets stay out of logs and out of command lines, against a Redis that wants a password. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childPids } from '../support/chaos.js';
import { cliEnv, grabCli, startGrab } from '../support/cli.js';
import { startRedis, stopAll, type RedisServer } from '../support/servers.js';
import { eventually, sleep } from '../support/async.js';
import { freePortRange } from '../support/ports.js';

const OLD_PASSWORD = 'rotatedAway7f3a';
const NEW_PASSWORD = 'rotatedIn2c9e';
const ZK_PASSWORD = 'zkSecret41d8';
const ZK_AUTH = `fleet:${ZK_PASSWORD}`;
const dir = mkdtempSync(join(tmpdir(), 'grab-secrets-'));

afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const occurrences = (text: string, what: string) => text.split(what).length - 1;

describe('a Redis password rotation under a running worker', () => {
  it('the refused reconnects are logged as pino JSON, and the old password never', async () => {
    const redis = await startRedis({ requirepass: OLD_PASSWORD });
    const logFile = join(dir, 'worker.log');
    const log = openSync(logFile, 'w');
    const worker = spawn(process.execPath, [grabCli, 'work', '--lock', 'atomic'], {
      env: cliEnv({ REDIS_URL: redis.url, LOG_LEVEL: 'info', GRAB_QUEUE: `rotation-${randomUUID().slice(0, 8)}` }),
      stdio: ['ignore', 'ignore', log],
    });
    closeSync(log);
    try {
      await eventually(
        () => readFileSync(logFile, 'utf8').includes('worker started') || worker.exitCode !== null,
        20_000,
        'worker started',
      );
      const admin = new Redis(redis.url);
      try {
        await admin.config('SET', 'requirepass', NEW_PASSWORD);
        // Connections already open stay authenticated: cut them, so every reconnect is refused.
        await admin.call('CLIENT', 'KILL', 'TYPE', 'normal');
      } finally {
        admin.disconnect();
      }
      await sleep(4000);
    } finally {
      worker.kill('SIGKILL');
    }
    const text = readFileSync(logFile, 'utf8');
    const lines = text.trim().split('\n');
    const refused = lines.filter((line) => line.includes('WRONGPASS'));
    expect(refused.length, text.slice(0, 2000)).toBeGreaterThan(0);
    expect(occurrences(text, OLD_PASSWORD), 'times the old password appears in the log').toBe(0);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(JSON.parse(refused[0]!)).toMatchObject({
      level: 50,
      err: { message: expect.stringContaining('WRONGPASS') },
    });
  }, 60_000);
});

/** A process's command line (what ps shows every user) and environment (only its own user can read it). */
function processView(pid: number): { argv: string; env: string[] } | undefined {
  try {
    return {
      argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '),
      env: readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0'),
    };
  } catch {
    return undefined; // gone already
  }
}

describe('settings reach child processes through the environment, never their command line', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis({ requirepass: NEW_PASSWORD });
  });

  it('grab fleet: given --redis-url and --zk-auth, its workers get them as REDIS_URL and ZK_AUTH', async () => {
    const fleet = startGrab(
      [
        'fleet',
        '--workers',
        '1',
        '--lock',
        'atomic',
        '--log-level',
        'info',
        '--redis-url',
        redis.url,
        '--zk-auth',
        ZK_AUTH,
      ],
      {
        GRAB_QUEUE: `argv-${randomUUID().slice(0, 8)}`,
      },
    );
    try {
      // The worker's own line (the fleet logs one too): it connected with what its environment gave it.
      await eventually(
        () => /"name":"worker".*"msg":"worker started"/.test(fleet.output()) || fleet.child.exitCode !== null,
        20_000,
        'fleet worker started',
      );
      const pid = Number(/pids (\d+)/.exec(fleet.output())?.[1]);
      const worker = processView(pid);
      expect(worker, fleet.output()).toBeDefined();
      expect(worker!.argv).toMatch(/ work .*--lock atomic/);
      expect(worker!.argv).not.toContain(NEW_PASSWORD);
      expect(worker!.argv).not.toContain(ZK_PASSWORD);
      expect(worker!.env).toContain(`REDIS_URL=${redis.url}`);
      expect(worker!.env).toContain(`ZK_AUTH=${ZK_AUTH}`);
      expect(worker!.env).toContain('LOG_LEVEL=info');
    } finally {
      expect(await fleet.stop()).toBe(0);
    }
  }, 60_000);

  it('grab bench e2e: the no-op ceiling and the grab workers it starts', async () => {
    const bench = spawn(
      process.execPath,
      [
        grabCli,
        'bench',
        'e2e',
        '--json',
        '--scenario',
        'hot',
        '--strategy',
        'ceiling',
        '--strategy',
        'atomic',
        '--scale',
        '0.001',
        '--workers',
        '1',
        '--concurrency',
        '10',
        '--metrics-port-base',
        String(await freePortRange(1)),
      ],
      {
        env: cliEnv({ REDIS_URL: redis.url, ZK_AUTH, GRAB_QUEUE: `bench-argv-${randomUUID().slice(0, 8)}` }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    bench.stdout.on('data', (d: Buffer) => (output += d.toString()));
    bench.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => bench.once('exit', resolve));
    const seen = new Map<number, { argv: string; env: string[] }>();
    while (bench.exitCode === null) {
      for (const pid of childPids(bench.pid!))
        if (!seen.has(pid)) {
          const view = processView(pid);
          if (view) seen.set(pid, view);
        }
      await sleep(50);
    }
    expect(await exited, output).toBe(0);
    const children = [...seen.values()];
    expect(
      children
        .map((c) => (c.argv.includes('noop-worker') ? 'ceiling' : c.argv.includes(' work ') ? 'work' : c.argv))
        .sort(),
    ).toEqual(['ceiling', 'work']);
    for (const child of children) {
      expect(child.argv).not.toContain(NEW_PASSWORD);
      expect(child.argv).not.toContain(ZK_PASSWORD);
      expect(child.env).toContain(`REDIS_URL=${redis.url}`);
      expect(child.env).toContain(`ZK_AUTH=${ZK_AUTH}`);
    }
  }, 90_000);
});
