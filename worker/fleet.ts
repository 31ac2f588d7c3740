import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../shared/logging/logger.js';
import { grabEntry } from '../shared/cli/grab-entry.js';

const RESTART_DELAY_MS = 500;
/** `grab work` exits 2 when its flags or settings are refused: restarting it would only repeat that. */
const REFUSED_EXIT_CODE = 2;

export interface FleetOptions {
  workers: number;
  /** The `grab work` flags of every worker. */
  args: string[];
  /** Each worker's environment, by worker index (so each can get its own metrics port); it carries the settings. */
  envFor: (index: number) => NodeJS.ProcessEnv;
  logger: Logger;
}

/**
 * N local `grab work` processes. A worker that dies is restarted; SIGTERM/SIGINT is passed on,
 * and the fleet exits once every worker has stopped.
 */
export function runFleet({ workers, args, envFor, logger }: FleetOptions): Promise<number> {
  const children = new Map<number, ChildProcess>();
  let stopping = false;

  const start = (index: number) => {
    const child = spawn(process.execPath, [grabEntry, 'work', ...args], {
      env: envFor(index),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.set(index, child);
    logger.info({ worker: index, pid: child.pid }, 'worker started');
    child.once('exit', (code, signal) => {
      children.delete(index);
      if (stopping) {
        if (children.size === 0) finish();
        return;
      }
      if (code === REFUSED_EXIT_CODE) {
        logger.error({ worker: index, code }, 'worker refused its settings; stopping the fleet');
        exitCode = REFUSED_EXIT_CODE;
        stop('SIGTERM');
        return;
      }
      logger.warn({ worker: index, code, signal }, 'worker died; restarting');
      setTimeout(() => {
        if (!stopping) start(index);
      }, RESTART_DELAY_MS);
    });
  };

  let exitCode = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    finish = () => resolve(exitCode);
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: children.size }, 'stopping fleet');
    if (children.size === 0) finish();
    for (const child of children.values()) child.kill(signal);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  for (let i = 0; i < workers; i++) start(i);
  process.stdout.write(`fleet: ${workers} workers, pids ${[...children.values()].map((c) => c.pid).join(' ')}\n`);
  return done;
}
