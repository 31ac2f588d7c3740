import { z } from 'zod';
import { herdDriver, predecessorDriver } from '../shared/lock/lock-driver.js';
import { runLockBench } from './lock-bench.js';
import { zkSessionOptions } from '../shared/lock/zk-settings.js';
import type { Command } from '../shared/cli/command.js';
import { intFlag, option } from '../shared/cli/options.js';

export const lockBenchCommand: Command = {
  name: 'lock-bench',
  summary: 'Measure ZooKeeper lock handoffs: N contenders, each in its own session, on L locks',
  usage: 'grab lock-bench [--contenders N] [--locks L] [--seconds S] [--driver zk|zk-herd] [--json]',
  example: 'grab lock-bench --contenders 16 --locks 1 --seconds 10 --json',
  options: {
    contenders: { type: 'string' },
    locks: { type: 'string' },
    seconds: { type: 'string' },
    driver: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, settings }) {
    const contenders = option(values, 'contenders', intFlag(1, 512, 16));
    const locks = option(values, 'locks', intFlag(1, 10_000, 1));
    const seconds = option(values, 'seconds', intFlag(1, 3600, 10));
    const driver = option(values, 'driver', z.enum(['zk', 'zk-herd'], { error: 'must be zk or zk-herd' }).default('zk'));
    const json = values.json === true;
    const result = await runLockBench({
      zookeeper: zkSessionOptions(settings),
      contenders,
      locks,
      seconds,
      driver: driver === 'zk' ? predecessorDriver : herdDriver,
      onProgress: json ? undefined : (n, ms) => process.stderr.write(`\r${n} handoffs in ${(ms / 1000).toFixed(0)} s`),
    });
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stderr.write('\n');
      process.stdout.write(
        `${result.contenders} contenders on ${result.locks} lock(s): ${result.handoffsPerSec} handoffs/s, acquire p50 ${result.acquireP50Ms} ms, p99 ${result.acquireP99Ms} ms\n`,
      );
    }
    return 0;
  },
};
