import { flag } from '../shared/cli/flags.js';
import { coercedWholeNumber } from '../shared/config/whole-number.js';

/** The flags of the benchmarks that start a fleet of `grab work` processes: its shape and its metrics ports. */
export const benchWorkers = () => flag('--workers <n>', 'grab work processes', coercedWholeNumber(1, 64)).default(2);

export const benchConcurrency = () =>
  flag('--concurrency <n>', "each worker's --concurrency", coercedWholeNumber(1, 10_000)).default(200);

export const metricsPortBase = () =>
  flag('--metrics-port-base <port>', 'first metrics port of the workers', coercedWholeNumber(1024, 65_000)).default(
    9500,
  );
