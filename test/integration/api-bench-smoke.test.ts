/** grab bench api at a tiny size: it runs end to end and prints the fields docs/api.md reports. */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { grab } from '../support/cli.js';

it('bench api --json: ingest both ways, the fleet rate and ?wait latency', async () => {
  const r = await grab(['bench', 'api', '--json', '--jobs', '1000', '--connections', '20', '--wait-seconds', '1'], {
    GRAB_QUEUE: `smoke-api-${randomUUID().slice(0, 8)}`,
  });
  expect(r.code, r.stderr).toBe(0);
  const result = JSON.parse(r.stdout) as Record<string, number>;
  expect(Object.keys(result).sort()).toEqual([
    'apiJobsPerSec',
    'connections',
    'fleetGrabsPerSec',
    'jobs',
    'produceJobsPerSec',
    'ratio',
    'waitP50Ms',
    'waitP99Ms',
    'waitRatePerSec',
    'waitSettledShare',
  ]);
  expect(result.jobs).toBe(1000);
  expect(result.apiJobsPerSec).toBeGreaterThan(0);
  expect(result.produceJobsPerSec).toBeGreaterThan(0);
  expect(result.waitSettledShare).toBeGreaterThan(0);
});
