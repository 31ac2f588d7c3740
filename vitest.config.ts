import { defineConfig } from 'vitest/config';

/**
 * Tests that start processes against the run's private Redis and ZooKeeper (test/support/global-setup.ts).
 * One file at a time: on two cores, files side by side starve each other's workers, lock holders
 * and scrapes, and timing-bound checks flake.
 */
const withServers = {
  globalSetup: ['test/support/global-setup.ts'],
  maxWorkers: 1,
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

/** Smoke runs of the benchmarks: a project of their own (`npm run test:integration` runs both). */
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
          ...withServers,
          sequence: { groupOrder: 1 },
        },
      },
      { test: { name: 'bench', include: [benchSmokes], ...withServers, sequence: { groupOrder: 2 } } },
      {
        test: { name: 'browser', include: ['test/browser/**/*.test.ts'], ...withServers, sequence: { groupOrder: 3 } },
      },
      { test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'], ...withServers, sequence: { groupOrder: 4 } } },
    ],
  },
});
