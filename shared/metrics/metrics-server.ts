import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logging/logger.js';

/** Named checks of what the process needs right now; it is ready when every one is true. */
export type ReadinessChecks = () => Record<string, boolean>;

export interface MetricsServerOptions {
  host: string;
  /** 0 picks a free port; `url` then tells which. */
  port: number;
  registry: Registry;
  readiness: ReadinessChecks;
  logger: Logger;
}

export interface MetricsServer {
  /** Where /metrics answers, reachable from this machine. */
  readonly url: string;
  close(): Promise<void>;
}

/** The origin of a server bound to host:port, reachable from this machine: a wildcard bind is reached over loopback. */
export function serverOrigin(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** The /metrics URL of a server bound to host:port. */
export const metricsUrl = (host: string, port: number): string => `${serverOrigin(host, port)}/metrics`;

type Route = (options: MetricsServerOptions) => Promise<{ status: number; body: string; contentType: string }>;

const text = 'text/plain; charset=utf-8';

const routes: Record<string, Route> = {
  async '/metrics'({ registry }) {
    return { status: 200, body: await registry.metrics(), contentType: registry.contentType };
  },
  async '/healthz'() {
    return { status: 200, body: 'ok\n', contentType: text };
  },
  async '/readyz'({ readiness }) {
    const checks = readiness();
    const ready = Object.values(checks).every(Boolean);
    return {
      status: ready ? 200 : 503,
      body: `${JSON.stringify({ ready, checks })}\n`,
      contentType: 'application/json',
    };
  },
};

function send(res: ServerResponse, status: number, body: string, contentType = text): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function respond(req: IncomingMessage, res: ServerResponse, options: MetricsServerOptions): Promise<void> {
  const path = (req.url ?? '').split('?', 1)[0]!;
  const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
  if (!route) return send(res, 404, 'not found: try /metrics, /healthz or /readyz\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'method not allowed\n');
  }
  try {
    const { status, body, contentType } = await route(options);
    send(res, status, body, contentType);
  } catch (err) {
    options.logger.warn({ err, path }, 'metrics request failed');
    if (!res.headersSent) send(res, 500, 'internal error\n');
  }
}

/**
 * Serves /metrics, /healthz and /readyz. It never keeps the process alive on its own, and a bad
 * request gets a 404 or 405 (malformed HTTP: Node's own 400), never an exception.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((req, res) => void respond(req, res, options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => options.logger.error({ err }, 'metrics server error'));
  server.unref();
  const url = metricsUrl(options.host, (server.address() as AddressInfo).port);
  options.logger.info({ url }, 'serving metrics');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
