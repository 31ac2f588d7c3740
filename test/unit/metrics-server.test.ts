import { connect } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logging/logger.js';
import {
  metricsUrl,
  startMetricsServer,
  type MetricsServer,
  type MetricsServerOptions,
} from '../../shared/metrics/metrics-server.js';

const logger = createLogger('test', 'silent');
let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(overrides: Partial<MetricsServerOptions> = {}): Promise<string> {
  const registry = new Registry();
  new Counter({ name: 'test_things_total', help: 'things', registers: [registry] }).inc(3);
  server = await startMetricsServer({
    host: '127.0.0.1',
    port: 0,
    registry,
    readiness: () => ({ redis: true }),
    logger,
    ...overrides,
  });
  return server.url.replace(/\/metrics$/, '');
}

/** Sends raw bytes and returns whatever comes back before the server closes the connection. */
function rawRequest(base: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    let reply = '';
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(reply));
  });
}

describe('metrics server', () => {
  it('serves the registry', async () => {
    const base = await start();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('\ntest_things_total 3\n');
  });

  it('answers /healthz, and /readyz 503 naming the failing check until it passes', async () => {
    let zookeeper = false;
    const base = await start({ readiness: () => ({ redis: true, zookeeper }) });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, checks: { redis: true, zookeeper: false } });
    zookeeper = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('turns bad requests away cleanly and keeps serving', async () => {
    const base = await start();
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/__proto__`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${base}/metrics?x=1`)).status).toBe(200);
    expect(await rawRequest(base, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await rawRequest(base, '\u0000\u0001\u00ff garbage')).toMatch(/^HTTP\/1\.1 400|^$/);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  it('answers 500 when collecting fails', async () => {
    const registry = new Registry();
    new Counter({
      name: 'test_broken_total',
      help: 'broken',
      registers: [registry],
      collect() {
        throw new Error('collect failed');
      },
    });
    const base = await start({ registry });
    expect((await fetch(`${base}/metrics`)).status).toBe(500);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('names a URL reachable from this machine for wildcard binds', () => {
    expect(metricsUrl('127.0.0.1', 9400)).toBe('http://127.0.0.1:9400/metrics');
    expect(metricsUrl('0.0.0.0', 9401)).toBe('http://127.0.0.1:9401/metrics');
    expect(metricsUrl('::', 9402)).toBe('http://[::1]:9402/metrics');
    expect(metricsUrl('worker-1', 9403)).toBe('http://worker-1:9403/metrics');
  });
});
