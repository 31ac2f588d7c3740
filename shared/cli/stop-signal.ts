import type { Logger } from '../logging/logger.js';

/** Resolves at the first SIGTERM or SIGINT, logging which: a long-running command then stops cleanly. */
export function stopSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      resolve(signal);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
