/**
 * A delete the server refuses in the background (here NO_AUTH: the parent's ACL was changed under
 * the holder) must not kill the process, nor leave the node behind to block the lock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import zookeeper, { type Client } from 'node-zookeeper-client';
import { afterEach, describe, expect, it } from 'vitest';
import { testZkConnect } from '../support/env.js';
import { ZkFixture } from '../support/zk.js';
import { eventually } from '../support/async.js';

const { ACL, Id, Permission } = zookeeper;
const keptLock = new URL('../../dist/test/support/kept-lock.js', import.meta.url).pathname;

let child: ChildProcess | undefined;
let client: Client | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  client?.close();
});

async function connect(): Promise<Client> {
  const c = zookeeper.createClient(testZkConnect(), { sessionTimeout: 10_000, retries: 0 });
  const connected = new Promise<void>((resolve) => c.once('connected', () => resolve()));
  c.connect();
  await connected;
  return c;
}

describe('a guaranteed delete the server refuses', () => {
  it('ends the session instead: the process survives, the node goes, and the lock works again', async () => {
    const zk = new ZkFixture(testZkConnect());
    const parent = `${zk.root}/refused`;
    child = spawn(process.execPath, [keptLock], {
      env: { ...process.env, ZK_CONNECT: testZkConnect(), LOCK_ROOT: zk.root, LOCK_KEY: 'refused', RETAIN_MS: '1500' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) =>
      events.push(JSON.parse(line) as Record<string, unknown>),
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    const event = async (name: string) => {
      await eventually(
        () => events.some((e) => e.event === name) || child!.exitCode !== null,
        10_000,
        `child event ${name}`,
      );
      return events.find((e) => e.event === name);
    };

    const kept = await event('kept');
    expect(kept, stderr).toBeDefined();
    client = await connect();
    const c = client;
    const children = () =>
      new Promise<string[]>((resolve, reject) =>
        c.getChildren(parent, (err, names) => (err ? reject(err) : resolve(names))),
      );
    expect(await children()).toHaveLength(1);
    // Anyone may still do anything under the parent, except delete.
    const noDelete = [
      new ACL(Permission.CREATE | Permission.READ | Permission.WRITE | Permission.ADMIN, new Id('world', 'anyone')),
    ];
    await new Promise<void>((resolve, reject) =>
      c.setACL(parent, noDelete, -1, (err) => (err ? reject(err) : resolve())),
    );

    // The keep ends after 1.5 s; the delete is refused, and ending the session removes the node.
    await eventually(
      async () => (await children()).length === 0 || child!.exitCode !== null,
      15_000,
      'kept node removed',
    );
    expect(child.exitCode, stderr).toBeNull();
    expect(await children()).toEqual([]);
    const warning = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message?: string }; path?: string })
      .find((line) => line.msg.startsWith('zookeeper refused to delete a lock node'));
    expect(warning, stderr).toMatchObject({ level: 40, path: expect.stringMatching(new RegExp(`^${parent}/`)) });
    expect(warning!.err!.message).toContain('NO_AUTH');

    child.kill('SIGUSR2');
    const again = await event('reacquired');
    expect(again, stderr).toBeDefined();
    expect(BigInt(again!.token as string)).toBeGreaterThan(BigInt(kept!.token as string));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
