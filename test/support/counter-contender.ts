// Child process for the mutual-exclusion test: a deliberately non-atomic read-increment-write.
import { Redis } from 'ioredis';
import { ZkConnection } from '../../shared/lock/zk-connection.js';
import { ZkLock } from '../../shared/lock/zk-lock.js';

const { ZK_CONNECT, REDIS_URL, COUNTER_KEY, ITERATIONS, LOCK_ROOT, USE_LOCK } = process.env;
if (!ZK_CONNECT || !REDIS_URL || !COUNTER_KEY || !ITERATIONS || !LOCK_ROOT) throw new Error('missing environment');

const redis = new Redis(REDIS_URL);
const connection = new ZkConnection({ connect: ZK_CONNECT, sessionTimeoutMs: 10_000 });
const lock = new ZkLock(connection, { root: LOCK_ROOT });
const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() < 0.5 ? 0 : 1));

for (let i = 0; i < Number(ITERATIONS); i++) {
  const handle = USE_LOCK === '1' ? await lock.acquire('counter', { timeoutMs: 30_000 }) : undefined;
  const value = Number((await redis.get(COUNTER_KEY)) ?? '0');
  await pause();
  await redis.set(COUNTER_KEY, String(value + 1));
  await handle?.release();
}
connection.close();
redis.disconnect();
