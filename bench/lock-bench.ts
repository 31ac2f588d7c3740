import { randomUUID } from 'node:crypto';
import { quantile } from '../shared/metrics/quantile.js';
import { ZkConnection } from '../shared/lock/zk-connection.js';
import { ZkLock } from '../shared/lock/zk-lock.js';
import type { LockDriver } from '../shared/lock/lock-driver.js';
import type { ZkSessionOptions } from '../shared/lock/zk-session.js';
import { deleteGuaranteed } from '../shared/lock/lock-internals.js';

export interface LockBenchOptions {
  zookeeper: ZkSessionOptions;
  contenders: number;
  locks: number;
  seconds: number;
  driver?: LockDriver;
  onProgress?: ((handoffs: number, elapsedMs: number) => void) | undefined;
}

export interface LockBenchResult {
  contenders: number;
  locks: number;
  handoffsPerSec: number;
  acquireP50Ms: number;
  acquireP99Ms: number;
}

/** N contenders, each in its own ZooKeeper session, acquire and release L locks as fast as they can. */
export async function runLockBench(options: LockBenchOptions): Promise<LockBenchResult> {
  const root = `/grab/bench/${randomUUID()}`;
  const connections = Array.from({ length: options.contenders }, () => new ZkConnection(options.zookeeper));
  const locks = connections.map((c) => new ZkLock(c, { root, ...(options.driver ? { driver: options.driver } : {}) }));
  await Promise.all(connections.map((c) => c.session()));
  const latenciesMs: number[] = [];
  let handoffs = 0;
  const started = performance.now();
  const endAt = started + options.seconds * 1000;
  const progress = setInterval(() => options.onProgress?.(handoffs, performance.now() - started), 1000);
  try {
    await Promise.all(
      locks.map(async (lock, i) => {
        const key = `lock-${i % options.locks}`;
        while (performance.now() < endAt) {
          const t0 = performance.now();
          const handle = await lock.acquire(key, { timeoutMs: 30_000 });
          latenciesMs.push(performance.now() - t0);
          await handle.release();
          handoffs++;
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  const elapsedSec = (performance.now() - started) / 1000;
  const cleaner = await connections[0]!.session();
  for (let i = 0; i < options.locks; i++) await deleteGuaranteed(cleaner, `${root}/lock-${i}`);
  await deleteGuaranteed(cleaner, root);
  for (const c of connections) c.close();
  return {
    contenders: options.contenders,
    locks: options.locks,
    handoffsPerSec: Math.round(handoffs / elapsedSec),
    acquireP50Ms: round2(quantile(latenciesMs, 0.5)),
    acquireP99Ms: round2(quantile(latenciesMs, 0.99)),
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
