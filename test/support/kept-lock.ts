// Child process for the refused-delete test: takes a lock and releases it into the keep
// (RETAIN_MS), so the node is later given up by a delete in the background; on SIGUSR2 it takes
// the lock again, and on SIGTERM it closes and exits 0. Reports as JSON lines on stdout; logs
// (pino JSON) on stderr.
import { createLogger } from '../../shared/logging/logger.js';
import { ZkConnection } from '../../shared/lock/zk-connection.js';
import { ZkLock } from '../../shared/lock/zk-lock.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

const logger = createLogger('kept-lock', 'warn');
const connection = new ZkConnection({ connect: env('ZK_CONNECT'), sessionTimeoutMs: 10_000, logger });
const lock = new ZkLock(connection, { root: env('LOCK_ROOT'), retainMs: Number(env('RETAIN_MS')) });
const key = env('LOCK_KEY');

const takeAndRelease = async (event: string) => {
  const handle = await lock.acquire(key, { timeoutMs: 10_000 });
  await handle.release();
  say({ event, token: handle.fencingToken.toString() });
};

await takeAndRelease('kept');
process.on('SIGUSR2', () => {
  takeAndRelease('reacquired').catch((err: unknown) => say({ event: 'failed', message: String(err) }));
});
process.on('SIGTERM', () => {
  void lock.close().then(() => process.exit(0));
});
setInterval(() => undefined, 1000);
