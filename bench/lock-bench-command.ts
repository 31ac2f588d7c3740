import { herdDriver, predecessorDriver } from '../shared/lock/lock-driver.js';
import { runLockBench } from './lock-bench.js';
import { runCuratorLockBench } from './curator-lock-bench.js';
import { zkSessionOptions } from '../shared/lock/zk-settings.js';
import { defineCommand } from '../shared/cli/command.js';
import { flag, oneOf, toggle } from '../shared/cli/flags.js';
import { coercedWholeNumber } from '../shared/config/whole-number.js';

export const lockBenchCommand = defineCommand({
  name: 'lock-bench',
  summary: 'Measure ZooKeeper lock handoffs: N contenders, each in its own session, on L locks',
  example: 'grab lock-bench --contenders 16 --locks 1 --seconds 10 --json',
  flags: (c) =>
    c
      .addOption(
        flag('--contenders <n>', 'contenders, each in its own ZooKeeper session', coercedWholeNumber(1, 512)).default(
          16,
        ),
      )
      .addOption(flag('--locks <n>', 'locks they contend for', coercedWholeNumber(1, 10_000)).default(1))
      .addOption(flag('--seconds <s>', 'how long to measure', coercedWholeNumber(1, 3600)).default(10))
      .addOption(
        oneOf(
          '--driver <name>',
          'zk waits on its predecessor node; zk-herd, the naive variant, wakes every waiter; curator: ' +
            "Apache Curator's InterProcessMutex, same shape (scripts/curator-lock-bench.sh: Java, Debian's Curator)",
          ['zk', 'zk-herd', 'curator'],
        ).default('zk'),
      )
      .addOption(toggle('--json', 'print the result as one JSON object')),
  async run(opts, { settings }) {
    const { contenders, locks, seconds, driver } = opts;
    const json = opts.json === true;
    const result =
      driver === 'curator'
        ? await runCuratorLockBench({ settings, contenders, locks, seconds })
        : await runLockBench({
            zookeeper: zkSessionOptions(settings),
            contenders,
            locks,
            seconds,
            driver: driver === 'zk' ? predecessorDriver : herdDriver,
            onProgress: json
              ? undefined
              : (n, ms) => process.stderr.write(`\r${n} handoffs in ${(ms / 1000).toFixed(0)} s`),
          });
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stderr.write('\n');
      process.stdout.write(
        `${result.contenders} contenders on ${result.locks} lock(s): ${result.handoffsPerSec} ` +
          `handoffs/s, acquire p50 ${result.acquireP50Ms} ms, p99 ${result.acquireP99Ms} ` +
          `ms\n`,
      );
    }
    return 0;
  },
});
