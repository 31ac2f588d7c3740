// Child process for fault tests: takes one lock, reports it as JSON lines, and reports its loss.
import { ZkConnection } from '../../shared/lock/zk-connection.js';
import { ZkLock } from '../../shared/lock/zk-lock.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

const connection = new ZkConnection({ connect: env('ZK_CONNECT'), sessionTimeoutMs: Number(env('SESSION_MS')) });
const lock = new ZkLock(connection, { root: env('LOCK_ROOT') });
const handle = await lock.acquire(env('LOCK_KEY'), { timeoutMs: 30_000 });
handle.lost.addEventListener('abort', () => say({ event: 'lost', reason: handle.lost.reason, safe: handle.isSafe() }));
say({ event: 'acquired', token: handle.fencingToken.toString() });
process.on('SIGTERM', () => {
  void handle.release().then(() => process.exit(0));
});
setInterval(() => undefined, 1000);
