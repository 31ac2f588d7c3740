/** Free loopback ports for the servers and processes a test starts. */
import { readFileSync } from 'node:fs';
import net from 'node:net';

const HOST = '127.0.0.1';

/** Ports handed out by this process, shared by every copy of this module a runner may load. */
function handedOut(): Set<number> {
  const key = Symbol.for('grab-fleet.test.ports');
  const g = globalThis as unknown as Record<symbol, Set<number> | undefined>;
  g[key] ??= new Set();
  return g[key];
}

/**
 * Where test ports are picked: below the kernel's ephemeral range, which outgoing connections
 * draw their local ports from. A port picked there could be taken by some client's connection
 * between the pick and the server's listen; below it, only a listener can take it.
 */
function testPortRange(): { low: number; high: number } {
  let ephemeralLow = 32_768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    // Not Linux: assume the usual range.
  }
  return ephemeralLow > 15_000 ? { low: 10_000, high: ephemeralLow - 1 } : { low: 1024, high: ephemeralLow - 1 };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen(port, HOST, () => probe.close(() => resolve(true)));
  });
}

/** A base port such that base + offset is free on loopback, and not handed out, for every offset. */
export async function freeBasePort(offsets: readonly number[]): Promise<number> {
  const span = Math.max(...offsets);
  const taken = handedOut();
  const { low, high } = testPortRange();
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = low + Math.floor(Math.random() * (high - span - low));
    const ports = offsets.map((offset) => base + offset);
    if (ports.some((port) => taken.has(port))) continue;
    const free = await Promise.all(ports.map(portFree));
    if (!free.every(Boolean)) continue;
    for (const port of ports) taken.add(port);
    return base;
  }
  throw new Error(`no free loopback ports at offsets ${offsets.join(',')} of any base port`);
}

/** A free loopback port, never one this process already handed out. */
export const freePort = (): Promise<number> => freeBasePort([0]);

/** A first port such that port … port + n − 1 are all free on loopback. */
export const freePortRange = (n: number): Promise<number> => freeBasePort(Array.from({ length: n }, (_, i) => i));
