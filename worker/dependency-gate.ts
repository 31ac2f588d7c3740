import type { Logger } from '../shared/logging/logger.js';

export interface GateOptions {
  /** Each dependency's health, checked without I/O: whether its connection is up right now. */
  checks: Record<string, () => boolean>;
  /** Told when some dependency goes down (with the names of those down), and when all are up again. */
  onChange: (up: boolean, down: string[]) => void;
  logger: Logger;
  intervalMs?: number;
}

/**
 * Watches the services a worker cannot settle grabs without (its ledger's Redis, its lock
 * service), so that it stops taking jobs while one is unreachable and starts again by itself
 * once all are back, instead of spending the jobs' attempts on an outage.
 */
export class DependencyGate {
  private timer: NodeJS.Timeout | undefined;
  private down: string[] = [];

  constructor(private readonly options: GateOptions) {}

  get isOpen(): boolean {
    return this.down.length === 0;
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.options.intervalMs ?? 250);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  check(): void {
    const down = Object.entries(this.options.checks)
      .filter(([, healthy]) => !healthy())
      .map(([name]) => name);
    const wasOpen = this.isOpen;
    this.down = down;
    if (wasOpen && down.length > 0) {
      this.options.logger.warn({ down }, "a dependency is unreachable: pausing this worker's shards");
      this.options.onChange(false, down);
    } else if (!wasOpen && down.length === 0) {
      this.options.logger.info("every dependency is back: resuming this worker's shards");
      this.options.onChange(true, []);
    }
  }
}
