/** Free loopback ports for the servers and processes a test starts. */
import net from 'node:net';

const HOST = '127.0.0.1';

/** Ports handed out by this process, shared by every copy of this module a runner may load. */
function handedOut(): Set<number> {
  const key = Symbol.for('grab-fleet.test.ports');
  const g = globalThis as unknown as Record<symbol, Set<number> | undefined>;
  g[key] ??= new Set();
  return g[key];
}

/** A port the kernel just handed out for 127.0.0.1, never one this process already handed out. */
export async function freePort(): Promise<number> {
  const taken = handedOut();
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const probe = net.createServer();
      probe.unref();
      probe.once('error', reject);
      probe.listen(0, HOST, () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen(port, HOST, () => probe.close(() => resolve(true)));
  });
}

/** A base port such that base + offset is free on loopback for every offset (and at most 65535). */
export async function freeBasePort(offsets: readonly number[]): Promise<number> {
  const span = Math.max(...offsets);
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (65_535 - span - 20_000));
    const free = await Promise.all(offsets.map((offset) => portFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no free loopback ports at offsets ${offsets.join(',')} of any base port`);
}

/** A first port such that port … port + n − 1 are all free on loopback. */
export const freePortRange = (n: number): Promise<number> => freeBasePort(Array.from({ length: n }, (_, i) => i));
