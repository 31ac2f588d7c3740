import { defineConfig } from 'vitest/config';

/**
 * Tests that start processes against private Redis and ZooKeeper servers (test/support/global-setup.ts):
 * two files at a time, each test worker with servers of its own.
 */
const withServers = {
  globalSetup: ['test/support/global-setup.ts'],
  maxWorkers: 2,
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

// Groups run in order, lowest first: the fast unit tests, then the files that start servers.
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
          ...withServers,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: { name: 'browser', include: ['test/browser/**/*.test.ts'], ...withServers, sequence: { groupOrder: 2 } },
      },
      { test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'], ...withServers, sequence: { groupOrder: 3 } } },
    ],
  },
});
