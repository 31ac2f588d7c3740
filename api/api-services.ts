import type { RedisClient } from '../shared/redis/connection.js';
import type { Ledger } from '../shared/ledger/ledger.js';
import type { OutcomeLog } from '../shared/ledger/outcome-log.js';
import type { Logger } from '../shared/logging/logger.js';
import type { CampaignCache } from './campaign-cache.js';
import type { GrabIntake } from './grab-intake.js';
import type { HandlersInFlight } from './handlers-in-flight.js';
import type { OutcomeWatch } from './outcome-watch.js';

/** What the routes work with: one set per server, opened and closed by startApi. */
export interface ApiServices {
  redis: RedisClient;
  ledger: Ledger;
  outcomes: OutcomeLog;
  campaigns: CampaignCache;
  intake: GrabIntake;
  watch: OutcomeWatch;
  handlers: HandlersInFlight;
  logger: Logger;
}
