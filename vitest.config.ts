import { defineConfig } from 'vitest/config';

/** Tests that start processes against the run's private Redis and ZooKeeper (test/support/global-setup.ts). */
const withServers = {
  globalSetup: ['test/support/global-setup.ts'],
  // One file at a time: the files share those servers, and each starts processes of its own.
  fileParallelism: false,
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
