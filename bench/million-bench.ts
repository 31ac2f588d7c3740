import { spawn } from 'node:child_process';
import type { Settings } from '../shared/config/settings.js';
import type { CommandServices } from '../shared/cli/services.js';
import { grabEntry } from '../shared/cli/grab-entry.js';
import { childEnv } from '../shared/config/child-env.js';
import { campaignCreateArgs, grabRunner } from './grab-process.js';
import { usedMemory } from './redis-info.js';

export interface MillionBenchResult {
  grabs: number;
  pools: number;
  workers: number;
  wallSeconds: number;
  grabsPerSec: number;
  redisPeakMb: number;
  reportOk: boolean;
}

/**
 * The whole operator path at scale, with the default fleet: campaign create, produce, a
 * `grab fleet`, wait, report; each a real `grab` process, as an operator would run them.
 */
export async function runMillionBench(
  settings: Settings,
  services: CommandServices,
  grabs: number,
  workers: number,
  onProgress: (line: string) => void,
): Promise<MillionBenchResult> {
  const campaignId = `bench-million-${Date.now()}`;
  const pools = 100;
  // No metrics port: the produce run and the fleet's first worker would both ask for it.
  const env = childEnv({ ...settings, queue: `${settings.queue}-bench`, metricsPort: undefined, logLevel: 'warn' });
  const run = grabRunner(env);
  let peakBytes = 0;
  const sampler = setInterval(() => {
    usedMemory(services.redis).then(
      (bytes) => {
        peakBytes = Math.max(peakBytes, bytes);
      },
      () => undefined,
    );
  }, 500);
  const startedAt = performance.now();
  const packets = Math.ceil(grabs / pools / 2);
  if ((await run(campaignCreateArgs(campaignId, pools, packets))) !== 0) {
    throw new Error('campaign create failed');
  }
  onProgress(`created ${campaignId}: ${pools} pools of ${packets} packets; enqueuing ${grabs} grabs (zipf)`);
  const fleet = spawn(process.execPath, [grabEntry, 'fleet', '--workers', String(workers)], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const fleetExited = new Promise((resolve) => fleet.once('exit', resolve));
  try {
    if ((await run(['produce', '--campaign', campaignId, '--users', String(grabs), '--distribution', 'zipf'])) !== 0)
      throw new Error('produce failed');
    onProgress('all grabs enqueued; waiting for the fleet to settle them');
    if ((await run(['wait', '--campaign', campaignId, '--timeout', '3600'])) !== 0) throw new Error('wait timed out');
  } finally {
    clearInterval(sampler);
    fleet.kill('SIGTERM');
    await fleetExited;
  }
  const wallSeconds = (performance.now() - startedAt) / 1000;
  const reportOk = (await run(['report', '--campaign', campaignId])) === 0;
  await run(['campaign', 'delete', '--id', campaignId]);
  return {
    grabs,
    pools,
    workers,
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    grabsPerSec: Math.round(grabs / wallSeconds),
    redisPeakMb: Math.round(peakBytes / 1024 / 1024),
    reportOk,
  };
}
