import type { PoolAddress } from '../shared/ledger/keys.js';
import type { OutcomeLog, PoolOutcome } from '../shared/ledger/outcome-log.js';
import type { Logger } from '../shared/logging/logger.js';

interface Watcher {
  jobId: string;
  settle: (outcome: PoolOutcome | undefined) => void;
}

export interface OutcomeWatchOptions {
  outcomes: OutcomeLog;
  logger: Logger;
  /** How often the watched grabs' outcomes are read. */
  intervalMs?: number;
  /** Grabs watched at once, at most; past that, a wait answers at once that the grab is pending. */
  maxWatched?: number;
}

/**
 * Waits for grabs to settle by reading their outcomes from the ledger's outcome log: one read of
 * every watched grab per pool each `intervalMs` (HMGET, pipelined), whatever the number of
 * requests waiting, and none while nobody waits. So a wait costs at most one field per tick,
 * and `maxWatched` bounds the whole.
 */
export class OutcomeWatch {
  private readonly byPool = new Map<string, { pool: PoolAddress; watchers: Set<Watcher> }>();
  private watched = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly intervalMs: number;
  private readonly maxWatched: number;

  constructor(private readonly options: OutcomeWatchOptions) {
    this.intervalMs = options.intervalMs ?? 20;
    this.maxWatched = options.maxWatched ?? 10_000;
  }

  /** The grab's outcome once it has one, or undefined if it has none within `timeoutMs`. */
  wait(pool: PoolAddress, jobId: string, timeoutMs: number): Promise<PoolOutcome | undefined> {
    if (this.closed || timeoutMs <= 0 || this.watched >= this.maxWatched) return Promise.resolve(undefined);
    const key = `${pool.campaignId}.${pool.instance}.${pool.poolId}`;
    const entry = this.byPool.get(key) ?? { pool, watchers: new Set<Watcher>() };
    this.byPool.set(key, entry);
    return new Promise((resolve) => {
      const watcher: Watcher = {
        jobId,
        settle: (outcome) => {
          if (!entry.watchers.delete(watcher)) return;
          clearTimeout(deadline);
          this.watched--;
          if (entry.watchers.size === 0) this.byPool.delete(key);
          resolve(outcome);
        },
      };
      const deadline = setTimeout(() => watcher.settle(undefined), timeoutMs);
      entry.watchers.add(watcher);
      this.watched++;
      this.timer ??= setTimeout(() => void this.poll(), this.intervalMs);
    });
  }

  /** Settles every wait at once, and any later one, as pending: the server is stopping. */
  close(): void {
    this.closed = true;
    for (const { watchers } of [...this.byPool.values()]) for (const w of [...watchers]) w.settle(undefined);
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    try {
      await Promise.all(
        [...this.byPool.values()].map(async ({ pool, watchers }) => {
          const asked = [...watchers];
          const outcomes = await this.options.outcomes.outcomesOf(
            pool,
            asked.map((w) => w.jobId),
          );
          asked.forEach((watcher, i) => {
            const outcome = outcomes[i];
            if (outcome !== undefined && outcome !== 'pending') watcher.settle(outcome);
          });
        }),
      );
    } catch (err) {
      // The next tick reads again; a wait that outlasts the outage answers "pending".
      this.options.logger.warn({ err }, 'reading outcomes of waited grabs failed');
    }
    this.timer = this.watched > 0 ? setTimeout(() => void this.poll(), this.intervalMs) : undefined;
  }
}
