import { randomUUID } from 'node:crypto';
import { it } from 'vitest';
import { grab, startGrab } from '../support/cli.js';
import { testRedisUrl, testZkConnect } from '../support/env.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { sleep } from '../support/zk.js';

it('repro shutdown after outage with grabs in flight', async () => {
  const queue = `q-${randomUUID().slice(0, 6)}`;
  const id = `r-${randomUUID().slice(0, 6)}`;
  const env = { GRAB_QUEUE: queue };
  console.log((await grab(['campaign', 'create', '--id', id, '--pools', '2', '--packets', '500', '--amount', '100.00'], env)).code);
  console.log((await grab(['produce', '--campaign', id, '--users', '2000'], env)).code);
  const [zkHost, zkPort] = testZkConnect().split(':');
  const redisUrl = new URL(testRedisUrl());
  const zk = await startTcpProxy(zkHost!, Number(zkPort));
  const redis = await startTcpProxy(redisUrl.hostname, Number(redisUrl.port));
  const worker = startGrab(['work', '--lock', 'zk', '--concurrency', '4', '--max-batch', '1', '--metrics-port', '39411'], { ...env, ZK_CONNECT: zk.address, REDIS_URL: `redis://${redis.address}`, LOG_LEVEL: process.env.REPRO_LEVEL ?? 'info' });
  await sleep(2000);
  zk.cut(); await sleep(100); zk.restore();
  await sleep(700);
  redis.cut();
  for (;;) { const r = await fetch('http://127.0.0.1:39411/readyz').catch(() => undefined); if (r && r.status === 503) break; await sleep(20); }
  redis.restore();
  for (;;) { const r = await fetch('http://127.0.0.1:39411/readyz').catch(() => undefined); if (r && r.status === 200) break; await sleep(20); }
  const t0 = Date.now();
  const timer = setTimeout(() => { console.log(worker.output().slice(-6000)); }, 40_000);
  const code = await worker.stop();
  clearTimeout(timer);
  console.log('exit', code, Date.now() - t0, 'ms');
  await zk.close(); await redis.close();
}, 80_000);
