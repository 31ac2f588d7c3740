import { defineConfig } from 'vitest/config';

/**
 * Tests that start processes against private Redis and ZooKeeper servers (test/support/global-setup.ts),
 * each test worker with servers of its own. `workers` files run side by side.
 */
const withServers = (workers: number) => ({
  globalSetup: ['test/support/global-setup.ts'],
  maxWorkers: workers,
  testTimeout: 60_000,
  hookTimeout: 60_000,
});

/** Smoke runs of the benchmarks: they measure the machine, so nothing runs beside them. */
const benchSmokes = 'test/integration/*bench-smoke.test.ts';

// Projects run one after another, lowest group first: the fast unit tests, then the files that start servers.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 60_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: [benchSmokes],
          ...withServers(2),
          sequence: { groupOrder: 1 },
        },
      },
      { test: { name: 'bench', include: [benchSmokes], ...withServers(1), sequence: { groupOrder: 2 } } },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          ...withServers(1),
          sequence: { groupOrder: 3 },
        },
      },
      // Fault injection with timing of its own (outages, kills, pauses): one file at a time.
      { test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'], ...withServers(1), sequence: { groupOrder: 4 } } },
    ],
  },
});
